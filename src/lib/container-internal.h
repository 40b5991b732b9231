/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the lifecycle files of libhako.  */
#ifndef HAKO_CONTAINER_INTERNAL_H
#define HAKO_CONTAINER_INTERNAL_H

#include "hako-state.h"
#include "process.h"
#include "state.h"

/* The state JSON (spec state plus runc's fields), malloc'd.  */
char *hako_state_json (const hako_st_record *rec, enum hako_status status, bool pretty);
int hako_connect_start_socket (hako_container_dir_t *d, hako_error_t **err);
/* Signal the init, checked against pid reuse.  */
int hako_signal_init (const hako_st_record *rec, int sig, hako_error_t **err);
/* Stop whatever runs, remove the cgroup, run poststop, remove the state. */
int hako_delete_record (hako_container_dir_t *d, hako_st_record *rec, hako_error_t **err);
/* --preserve-fds N (and LISTEN_FDS): check the descriptors exist and set
   the plan's count and the LISTEN_* environment.  */
int hako_preserve_fds_check (int n, hako_exec_plan_t *plan, hako_error_t **err);

#endif
