/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: --systemd-cgroup, linux.cgroupsPath as slice:prefix:name.  */
#include <config.h>

#include <errno.h>

#include "cgroup-internal.h"

int
hako_cgroup_systemd_create (const struct hako_cgroup_request *req, hako_st_cgroup **out, hako_error_t **err)
{
  (void) req;
  (void) out;
  return hako_error_set (err, ENOTSUP, "--systemd-cgroup: the systemd cgroup driver is not built yet");
}

int
hako_cgroup_systemd_enter (const hako_st_cgroup *cg, pid_t pid, hako_error_t **err)
{
  (void) cg;
  (void) pid;
  return hako_error_set (err, ENOTSUP, "the systemd cgroup driver is not built yet");
}

int
hako_cgroup_systemd_destroy (const hako_st_cgroup *cg, hako_error_t **err)
{
  (void) cg;
  (void) err;
  return 0;
}

int
hako_cgroup_systemd_update (const hako_st_cgroup *cg, const hako_spec_linux_resources *r, hako_error_t **err)
{
  (void) cg;
  (void) r;
  (void) err;
  return 0;
}
