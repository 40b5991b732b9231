/* SPDX-License-Identifier: Apache-2.0 */
/* The state store: <root>/<id>/ holds state.json (hako_st_record),
   config.json (the config as it was at create) and, while the container is
   created but not started, the start socket.  */
#ifndef HAKO_STATE_H
#define HAKO_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "hako.h"
#include "hako-state.h"
#include "runtime-spec.h"

#define HAKO_STATE_FILE "state.json"
#define HAKO_CONFIG_FILE "config.json"
#define HAKO_START_SOCKET "start.sock"
/* Present from the claim of the id until the init is ready: "creating". */
#define HAKO_CREATING_FILE "creating"

enum hako_status
{
  HAKO_STATUS_CREATING,
  HAKO_STATUS_CREATED,
  HAKO_STATUS_RUNNING,
  HAKO_STATUS_PAUSED,
  HAKO_STATUS_STOPPED,
};
const char *hako_status_name (enum hako_status s);

/* An opened container directory.  */
typedef struct hako_container_dir
{
  char *id;
  char *path; /* absolute */
  int dirfd;  /* O_DIRECTORY; flock'd when locked */
  bool locked;
} hako_container_dir_t;

int hako_validate_id (const char *id, hako_error_t **err);
/* Make sure the root exists (mode 0700).  */
int hako_state_root_ensure (const char *root, hako_error_t **err);

/* Claim ID: create its directory, failing with "exists" when taken.  The
   directory comes back locked, empty and still named ID: a directory made
   anew by another create in between is never taken for ours.  */
int hako_state_claim (const char *root, const char *id, hako_container_dir_t **out, hako_error_t **err);
/* Open an existing container.  LOCK takes the exclusive lock (waiting for
   it); a directory removed while we waited reads as "does not exist".  */
int hako_state_open (const char *root, const char *id, bool lock, hako_container_dir_t **out, hako_error_t **err);
void hako_state_close (hako_container_dir_t *d);
static inline void
hako_state_closep (hako_container_dir_t **d)
{
  hako_state_close (*d);
}
#define cleanup_container_dir __attribute__ ((cleanup (hako_state_closep)))
int hako_state_lock (hako_container_dir_t *d, hako_error_t **err);
/* Whether some process holds the lock now (a create in progress).  */
bool hako_state_lock_busy (hako_container_dir_t *d);

int hako_state_read (hako_container_dir_t *d, hako_st_record **out, hako_error_t **err);
/* The container's copy of its config (HAKO_CONFIG_FILE), parsed; NULL on
   failure, with *ERR filled when ERR is not NULL.  */
hako_spec_config *hako_state_config (const hako_container_dir_t *d, hako_error_t **err);
int hako_state_write (hako_container_dir_t *d, const hako_st_record *rec, hako_error_t **err);
/* Write NAME in the directory atomically: temp file, fsync, rename.  */
int hako_state_write_file (hako_container_dir_t *d, const char *name, const char *data, size_t len, hako_error_t **err);
/* Remove the whole directory (after the container is gone), with the lock
   held; the name is removed only while it still is this directory.  */
int hako_state_remove (hako_container_dir_t *d, hako_error_t **err);

/* Live facts.  */
bool hako_process_alive (pid_t pid, unsigned long long start_time);
int hako_process_start_time (pid_t pid, unsigned long long *out);
enum hako_status hako_state_status (hako_container_dir_t *d, const hako_st_record *rec);

/* The time now as RFC 3339 with nanoseconds, UTC (malloc'd).  */
char *hako_rfc3339_now (void);

#endif
