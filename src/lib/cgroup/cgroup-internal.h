/* SPDX-License-Identifier: Apache-2.0 */
/* Between the cgroup drivers; not for the rest of libhako.  */
#ifndef HAKO_CGROUP_INTERNAL_H
#define HAKO_CGROUP_INTERNAL_H

#include "cgroup.h"

/* v1: create the container's directory in every hierarchy (filling
   cg->paths), cpuset initialised from its parent.  */
int hako_cgroup_v1_prepare (hako_st_cgroup *cg, const char *rel, bool *created, hako_error_t **err);
int hako_cgroup_v1_apply (const hako_st_cgroup *cg, const hako_spec_linux_resources *r, hako_error_t **err);
const char *hako_cgroup_v1_dir (const hako_st_cgroup *cg, const char *controller);

/* v2: create ROOT/REL with the controllers enabled on the way down.  */
int hako_cgroup_v2_prepare (const char *root, const char *rel, bool *created, hako_error_t **err);
int hako_cgroup_v2_apply (const char *dir, const hako_spec_linux_resources *r, hako_error_t **err);

int hako_cgroup_systemd_create (const struct hako_cgroup_request *req, hako_st_cgroup **out, hako_error_t **err);
int hako_cgroup_systemd_enter (const hako_st_cgroup *cg, pid_t pid, hako_error_t **err);
int hako_cgroup_systemd_destroy (const hako_st_cgroup *cg, hako_error_t **err);

#endif
