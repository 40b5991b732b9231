/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_MOUNTS_H
#define HAKO_MOUNTS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "runtime-spec.h"

struct hako_mount_env
{
  int rootfd;              /* the rootfs, before pivot_root */
  const char *rootfs;      /* its path, for messages */
  const char *bundle;      /* relative bind sources resolve here */
  bool userns;             /* in a new user namespace */
  int *trees;              /* per mounts[] index, a tree made by hako_mount_trees_prepare
                               (-1 for none, taken when used); NULL when there are none */
  bool cgroupns;           /* a new cgroup namespace */
  const char *cgroup_path; /* the container's cgroup, relative to each hierarchy */
  const char *mount_label; /* SELinux context for mounts, or NULL */
  /* Called before the first cgroup file system is mounted (the init is
     only then sure to be in its cgroup, and makes its cgroup namespace);
     NULL for nothing to wait for.  */
  int (*in_cgroup) (void *arg, hako_error_t **err);
  void *in_cgroup_arg;
};

/* Before the container init exists, in the runtime's own namespaces: the
   detached trees of the id-mapped bind mounts (idmap, ridmap).
   MOUNT_ATTR_IDMAP needs CAP_SYS_ADMIN over the source's file system,
   which an init in its own user namespace no longer has; the init only
   attaches them.  *TREES is NULL when no mount needs one, else an array
   of CONFIG->mounts_len descriptors, -1 for the other mounts.  */
int hako_mount_trees_prepare (const hako_spec_config *config, const char *bundle, int **trees, hako_error_t **err);
void hako_mount_trees_free (int *trees, size_t n);

/* Mount M inside the root.  */
int hako_mount_one (const struct hako_mount_env *env, const hako_spec_mount *m, size_t index, hako_error_t **err);

/* Thin wrappers over the new mount API (Linux >= 5.2 / 5.12).  */
int hako_open_tree (int dfd, const char *path, unsigned flags);
int hako_move_mount (int from_dfd, const char *from, int to_dfd, const char *to, unsigned flags);
int hako_mount_setattr (int dfd, const char *path, unsigned flags, uint64_t set, uint64_t clr, uint64_t propagation,
                        int userns_fd);

#endif
