/* SPDX-License-Identifier: Apache-2.0 */
/* cgroups: the layout of this host (v1, v2, or hybrid), a driver per
   manager (cgroupfs, systemd), and the container's cgroup as recorded in
   its state (hako_st_cgroup), so that later commands need no config.  */
#ifndef HAKO_CGROUP_H
#define HAKO_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "hako-state.h"
#include "runtime-spec.h"

enum hako_cgroup_layout
{
  HAKO_CGROUP_V1,
  HAKO_CGROUP_V2,
  HAKO_CGROUP_HYBRID, /* v1 controllers plus a cgroup2 mount at /sys/fs/cgroup/unified */
};
enum hako_cgroup_layout hako_cgroup_layout (void);
const char *hako_cgroup_layout_name (enum hako_cgroup_layout l);

struct hako_cgroup_request
{
  const char *id;
  const char *cgroups_path;                   /* linux.cgroupsPath or NULL */
  const hako_spec_linux_resources *resources; /* may be NULL */
  bool systemd;                               /* --systemd-cgroup */
  bool disabled;                              /* --cgroup-manager disabled */
  bool rootless;
  const hako_spec_config *config; /* annotations (systemd properties) */
  uid_t owner_uid;                /* chown for delegation (v2, cgroupns), or -1 */
};

/* Create the container's cgroup (nothing is joined yet) and apply the
   resources.  On failure nothing is left behind.  *OUT may be NULL when
   cgroups are skipped (rootless without write access).  */
int hako_cgroup_create (const struct hako_cgroup_request *req, hako_st_cgroup **out, hako_error_t **err);
/* After a create that died before it recorded its cgroup: remove the
   empty cgroup that REQ would have made (cgroupfs only; a directory with
   processes or children stays).  */
void hako_cgroup_remove_unrecorded (const struct hako_cgroup_request *req);
/* Move PID into the cgroup.  */
int hako_cgroup_enter (const hako_st_cgroup *cg, pid_t pid, hako_error_t **err);
/* A sub-cgroup (exec --cgroup): "path" or "controller:path,...".  */
int hako_cgroup_enter_sub (const hako_st_cgroup *cg, pid_t pid, const char *sub, hako_error_t **err);
/* A descriptor of the v2 directory for clone3(CLONE_INTO_CGROUP), or -1.  */
int hako_cgroup_open_v2_dir (const hako_st_cgroup *cg);
/* Remove what we created (killing nothing).  Missing directories are not
   an error.  */
int hako_cgroup_destroy (const hako_st_cgroup *cg, hako_error_t **err);
int hako_cgroup_update (const hako_st_cgroup *cg, const hako_spec_linux_resources *r, hako_error_t **err);
int hako_cgroup_freeze (const hako_st_cgroup *cg, bool freeze, hako_error_t **err);
bool hako_cgroup_is_frozen (const hako_st_cgroup *cg);
int hako_cgroup_pids (const hako_st_cgroup *cg, pid_t **pids, size_t *n, hako_error_t **err);
/* Signal every process of the cgroup (cgroup.kill for SIGKILL on v2). */
int hako_cgroup_kill (const hako_st_cgroup *cg, int sig, hako_error_t **err);
/* The stats for `events` as a JSON object (runc's types.Stats).  */
int hako_cgroup_stats_json (const hako_st_cgroup *cg, char **json, hako_error_t **err);
/* Check resources before anything is created (impossible values).  */
int hako_cgroup_validate (const hako_spec_linux_resources *r, enum hako_cgroup_layout l, hako_error_t **err);

/* cpu.shares (v1) to cpu.weight (v2), the formula runc and crun share.  */
unsigned long long hako_cgroup_shares_to_weight (unsigned long long shares);

/* Internal: low-level file access for the drivers.  */
int hako_cgroup_write (const char *dir, const char *file, const char *value, hako_error_t **err);
int hako_cgroup_read (const char *dir, const char *file, char **out, hako_error_t **err);

#endif
