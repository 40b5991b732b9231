/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_ROOTFS_H
#define HAKO_ROOTFS_H

#include <stdbool.h>

#include "error.h"
#include "runtime-spec.h"

struct hako_rootfs_ctx
{
  const hako_spec_config *config;
  const char *rootfs;
  const char *bundle;
  bool userns;
  bool cgroupns;
  const char *cgroup_path;
  bool no_pivot;
  int *trees;     /* id-mapped bind trees made before the init (mounts.h), or NULL */
  int devnull_fd; /* the container's /dev/null, verified; -1 until needed */
  int rootfd;     /* set by prepare */
  /* Before a cgroup mount, or at the end of prepare (mounts.h).  */
  int (*in_cgroup) (void *arg, hako_error_t **err);
  void *in_cgroup_arg;
  struct
  {
    const char *dest; /* a proc or sysfs destination of mounts[] */
    int fd;           /* its mount's root, checked */
  } * anchors;        /* finish: where masked and read-only paths are looked up */
  size_t anchors_len;
};

/* In the new mount namespace, before the hooks that run before pivot_root:
   propagation, the root bound on itself, mounts[], devices.  */
int hako_rootfs_prepare (struct hako_rootfs_ctx *c, hako_error_t **err);
/* pivot_root (or move and chroot).  */
int hako_rootfs_pivot (struct hako_rootfs_ctx *c, hako_error_t **err);
/* After pivot_root and the console: masked and read-only paths, the root
   read-only, rootfsPropagation.  */
int hako_rootfs_finish (struct hako_rootfs_ctx *c, hako_error_t **err);
/* linux.sysctl, written inside the container's namespaces, through the
   container's procfs mount (after pivot_root).  */
int hako_sysctl_apply (struct hako_rootfs_ctx *c, hako_error_t **err);
/* linux.personality: process-wide, and kept across execve.  */
int hako_personality_apply (const hako_spec_config *config, hako_error_t **err);

#endif
