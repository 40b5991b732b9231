/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_MOUNTS_H
#define HAKO_MOUNTS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "runtime-spec.h"

struct hako_mount_env
{
  int rootfd;               /* the rootfs, before pivot_root */
  const char *rootfs;       /* its path, for messages */
  const char *bundle;       /* relative bind sources resolve here */
  bool userns;              /* in a new user namespace */
  int userns_fd;            /* the container's user namespace, for idmap (-1 if none) */
  bool cgroupns;            /* a new cgroup namespace */
  const char *cgroup_path;  /* the container's cgroup, relative to each hierarchy */
  const char *mount_label;  /* SELinux context for mounts, or NULL */
};

/* Mount M inside the root.  */
int hako_mount_one (const struct hako_mount_env *env, const hako_spec_mount *m, size_t index, hako_error_t **err);

/* Thin wrappers over the new mount API (Linux >= 5.2 / 5.12).  */
int hako_open_tree (int dfd, const char *path, unsigned flags);
int hako_move_mount (int from_dfd, const char *from, int to_dfd, const char *to, unsigned flags);
int hako_mount_setattr (int dfd, const char *path, unsigned flags, uint64_t set, uint64_t clr,
                        uint64_t propagation, int userns_fd);

#endif
