/* SPDX-License-Identifier: Apache-2.0 */
/* Resolving paths inside a container root without ever leaving it: every
   symlink, `..` and absolute link is taken relative to the root, and
   whatever we mount on is held as a descriptor, so a path swapped after
   the check cannot redirect the mount.  */
#ifndef HAKO_SAFE_PATH_H
#define HAKO_SAFE_PATH_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* openat2 (RESOLVE_IN_ROOT) when the kernel has it, else a walk of our own
   with the same semantics.  Returns a descriptor or -1 with errno set.  */
int hako_open_in_root (int rootfd, const char *path, int flags, mode_t mode);
/* Force the fallback walk (tests of the fallback).  */
void hako_safe_path_force_fallback (bool on);

/* Make every missing directory of PATH inside the root; returns an O_PATH
   descriptor of the last one.  */
int hako_mkdir_in_root (int rootfd, const char *path, mode_t mode, hako_error_t **err);
/* Make PATH inside the root as a directory or an empty file (DIR false),
   parents too; returns an O_PATH descriptor of it.  An existing entry of
   another kind is used as it is (a file mounted on a file, ...).  */
int hako_create_in_root (int rootfd, const char *path, bool dir, mode_t mode, hako_error_t **err);

/* "/proc/self/fd/N" for a descriptor, to mount on or from.  */
#define HAKO_FD_PATH_MAX 32
const char *hako_fd_path (int fd, char buf[HAKO_FD_PATH_MAX]);

#endif
