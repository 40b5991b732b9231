/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: root.path, root.readonly, linux.rootfsPropagation,
   linux.maskedPaths, linux.readonlyPaths, linux.sysctl,
   linux.personality; mounts[] in order (each one in mounts.c), devices
   (devices.c).  */
#include <config.h>

#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "devices.h"
#include "log.h"
#include "mounts.h"
#include "safe-path.h"

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#ifndef SYSFS_MAGIC
#define SYSFS_MAGIC 0x62656572
#endif

static unsigned long
propagation_flag (const char *p, unsigned long dflt)
{
  if (p == NULL)
    return dflt;
  if (strcmp (p, "shared") == 0 || strcmp (p, "rshared") == 0)
    return MS_SHARED;
  if (strcmp (p, "slave") == 0 || strcmp (p, "rslave") == 0)
    return MS_SLAVE;
  if (strcmp (p, "private") == 0 || strcmp (p, "rprivate") == 0)
    return MS_PRIVATE;
  if (strcmp (p, "unbindable") == 0 || strcmp (p, "runbindable") == 0)
    return MS_UNBINDABLE;
  return dflt;
}

int
hako_rootfs_prepare (struct hako_rootfs_ctx *c, hako_error_t **err)
{
  const hako_spec_linux *l = c->config->linux;
  const char *prop = l ? l->rootfs_propagation : NULL;
  /* Nothing we mount may reach the host: the whole tree becomes a slave
     (or private, when asked) of the host's before we touch it.  */
  unsigned long initial = propagation_flag (prop, MS_SLAVE);
  if (initial == MS_SHARED || initial == MS_UNBINDABLE)
    initial = MS_SLAVE;
  if (mount (NULL, "/", NULL, MS_REC | initial, NULL) < 0)
    return hako_error_sys (err, "make / %s", initial == MS_PRIVATE ? "private" : "slave");
  /* The root becomes a mount point of its own, for pivot_root.  */
  if (mount (c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return hako_error_sys (err, "bind the root `%s` on itself", c->rootfs);
  c->rootfd = open (c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (c->rootfd < 0)
    return hako_error_sys (err, "open the root `%s`", c->rootfs);

  struct hako_mount_env env = {
    .rootfd = c->rootfd,
    .rootfs = c->rootfs,
    .bundle = c->bundle,
    .userns = c->userns,
    .trees = c->trees,
    .cgroupns = c->cgroupns,
    .cgroup_path = c->cgroup_path,
    .mount_label = l ? l->mount_label : NULL,
    .in_cgroup = c->in_cgroup,
    .in_cgroup_arg = c->in_cgroup_arg,
  };
  for (size_t i = 0; i < c->config->mounts_len; i++)
    if (hako_mount_one (&env, c->config->mounts[i], i, err) < 0)
      return -1;
  if (hako_devices_setup (c->rootfd, c->config, c->userns, err) < 0)
    return -1;
  return c->in_cgroup ? c->in_cgroup (c->in_cgroup_arg, err) : 0;
}

int
hako_rootfs_pivot (struct hako_rootfs_ctx *c, hako_error_t **err)
{
  if (fchdir (c->rootfd) < 0)
    return hako_error_sys (err, "chdir to the root");
  if (c->no_pivot)
    {
      /* For a ramdisk root, where pivot_root is impossible.  */
      if (mount (".", "/", NULL, MS_MOVE, NULL) < 0)
        return hako_error_sys (err, "move the root onto /");
      if (chroot (".") < 0)
        return hako_error_sys (err, "chroot");
    }
  else
    {
      /* pivot_root(".", "."): the old root ends stacked on the new one,
         and is detached without a directory to hold it.  Its unmount
         cannot reach the host: prepare made the whole tree a slave (or
         private).  No propagation change here: "." names the new root,
         whose mounts keep the propagation mounts[] gave them.  */
      if (syscall (SYS_pivot_root, ".", ".") < 0)
        return hako_error_sys (err, "pivot_root into `%s`", c->rootfs);
      if (umount2 (".", MNT_DETACH) < 0)
        return hako_error_sys (err, "detach the old root");
    }
  if (chdir ("/") < 0)
    return hako_error_sys (err, "chdir /");
  close (c->rootfd);
  c->rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (c->rootfd < 0)
    return hako_error_sys (err, "open the new root");
  return 0;
}

/* Where a masked or read-only path is looked up.  Under a proc or sysfs
   mount of mounts[], from that mount's root, checked to be of that type:
   a rootfs that swaps /proc for a link to a decoy while hako works must
   not get the masks put on the decoy, leaving procfs bare.  Elsewhere,
   from the root (what the rootfs holds, its owner sees anyway).  Returns
   the descriptor, or -1 with errno ENOENT when the path does not exist,
   or -1 with *ERR set.  */
static int
open_protected (struct hako_rootfs_ctx *c, const char *path, int flags, const char *field, size_t i, bool *anchored,
                hako_error_t **err)
{
  const hako_spec_config *config = c->config;
  const char *dest = NULL;
  size_t dlen = 0;
  long magic = 0;
  for (size_t k = 0; k < config->mounts_len; k++)
    {
      const hako_spec_mount *m = config->mounts[k];
      long t = m->type == NULL                  ? 0
               : strcmp (m->type, "proc") == 0  ? PROC_SUPER_MAGIC
               : strcmp (m->type, "sysfs") == 0 ? SYSFS_MAGIC
                                                : 0;
      size_t l = strlen (m->destination);
      while (l > 1 && m->destination[l - 1] == '/')
        l--;
      if (strncmp (path, m->destination, l) != 0 || (path[l] != '/' && path[l] != '\0') || l < dlen)
        continue;
      dest = m->destination;
      dlen = l;
      magic = t;
    }
  *anchored = magic != 0;
  if (magic == 0)
    {
      int fd = hako_open_in_root (c->rootfd, path, flags, 0);
      if (fd < 0 && errno != ENOENT)
        return hako_error_sys (err, "%s[%zu]: `%s`", field, i, path);
      return fd;
    }
  size_t a;
  for (a = 0; a < c->anchors_len; a++)
    if (strlen (c->anchors[a].dest) == dlen && strncmp (c->anchors[a].dest, dest, dlen) == 0)
      break;
  if (a == c->anchors_len)
    {
      cleanup_free char *d = hako_xstrndup (dest, dlen);
      int fd = hako_open_in_root (c->rootfd, d, O_PATH | O_DIRECTORY, 0);
      struct statfs sf;
      struct stat st;
      /* The root of such a file system (inode 1), not a directory of it
         that a link of the rootfs points at.  */
      if (fd < 0 || fstatfs (fd, &sf) < 0 || sf.f_type != magic || fstat (fd, &st) < 0 || st.st_ino != 1)
        {
          if (fd >= 0)
            close (fd);
          return hako_error_set (err, EPERM, "%s[%zu]: `%s`: `%s` is no longer the %s mounted there", field, i, path, d,
                                 magic == PROC_SUPER_MAGIC ? "procfs" : "sysfs");
        }
      c->anchors = hako_xrealloc (c->anchors, (c->anchors_len + 1) * sizeof (*c->anchors));
      c->anchors[a].dest = dest;
      c->anchors[a].fd = fd;
      c->anchors_len++;
    }
  const char *rest = path + dlen;
  while (*rest == '/')
    rest++;
  int fd = hako_open_in_root (c->anchors[a].fd, rest[0] ? rest : ".", flags, 0);
  if (fd < 0 && errno != ENOENT)
    return hako_error_sys (err, "%s[%zu]: `%s`", field, i, path);
  return fd;
}

/* An empty read-only tmpfs, detached, made once: each masked directory
   gets a clone of it.  */
static int
empty_tmpfs (hako_error_t **err)
{
  cleanup_close int fs = (int) syscall (SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
  if (fs < 0)
    return hako_error_sys (err, "fsopen tmpfs");
  if (syscall (SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0555", 0) < 0
      || syscall (SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return hako_error_sys (err, "configure an empty tmpfs");
  int m = (int) syscall (SYS_fsmount, fs, FSMOUNT_CLOEXEC,
                         MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (m < 0)
    return hako_error_sys (err, "fsmount an empty tmpfs");
  return m;
}

/* Mask one path: a file gets the container's /dev/null bound over it, a
   directory an empty read-only tmpfs.  Only descriptors, no path: after
   pivot_root, /proc/self/fd/N would be looked up in the container's /proc,
   which its rootfs may have replaced.  A path we cannot open (other than
   missing) fails.  */
static int
mask_path (struct hako_rootfs_ctx *c, const char *path, size_t i, hako_error_t **err)
{
  bool anchored;
  cleanup_close int fd = open_protected (c, path, O_PATH, "linux.maskedPaths", i, &anchored, err);
  if (fd < 0)
    return *err ? -1 : 0;
  struct stat st;
  if (fstat (fd, &st) < 0)
    return hako_error_sys (err, "linux.maskedPaths[%zu]: stat `%s`", i, path);
  int from;
  if (S_ISDIR (st.st_mode))
    {
      /* A new tmpfs for each directory, attached as it is: Linux 6.1
         (Debian 12) refuses OPEN_TREE_CLONE of a detached mount (EINVAL). */
      cleanup_close int fresh = empty_tmpfs (err);
      if (fresh < 0)
        {
          hako_error_prefix (err, "linux.maskedPaths[%zu]", i);
          return -1;
        }
      if (hako_move_mount (fresh, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return hako_error_sys (err, "linux.maskedPaths[%zu]: mask `%s`", i, path);
      return 0;
    }
  else
    {
      if (c->devnull_fd < 0)
        {
          /* The container's /dev/null, which we made, checked to be the
             null device: a rootfs cannot make the mask something else.  */
          c->devnull_fd = hako_open_in_root (c->rootfd, "/dev/null", O_PATH, 0);
          struct stat dn;
          if (c->devnull_fd < 0 || fstat (c->devnull_fd, &dn) < 0 || ! S_ISCHR (dn.st_mode)
              || dn.st_rdev != makedev (1, 3))
            return hako_error_set (err, EPERM,
                                   "linux.maskedPaths[%zu]: /dev/null in the container is not the null device", i);
        }
      from = c->devnull_fd;
    }
  cleanup_close int tree = hako_open_tree (from, "", OPEN_TREE_CLONE | O_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0 || hako_move_mount (tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return hako_error_sys (err, "linux.maskedPaths[%zu]: mask `%s`", i, path);
  return 0;
}

/* Read-only: a recursive bind of the path onto itself, made read-only
   before it is attached.  */
static int
readonly_path (struct hako_rootfs_ctx *c, const char *path, size_t i, hako_error_t **err)
{
  bool anchored;
  cleanup_close int fd = open_protected (c, path, O_PATH, "linux.readonlyPaths", i, &anchored, err);
  if (fd < 0)
    return *err ? -1 : 0;
  cleanup_close int tree = hako_open_tree (fd, "", OPEN_TREE_CLONE | O_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
  if (tree < 0)
    return hako_error_sys (err, "linux.readonlyPaths[%zu]: clone `%s`", i, path);
  if (hako_mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, MOUNT_ATTR_RDONLY, 0, 0, -1) < 0)
    return hako_error_sys (err, "linux.readonlyPaths[%zu]: make `%s` read-only", i, path);
  if (hako_move_mount (tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return hako_error_sys (err, "linux.readonlyPaths[%zu]: mount over `%s`", i, path);
  return 0;
}

int
hako_rootfs_finish (struct hako_rootfs_ctx *c, hako_error_t **err)
{
  const hako_spec_linux *l = c->config->linux;
  for (size_t i = 0; l && i < l->masked_paths_len; i++)
    if (mask_path (c, l->masked_paths[i], i, err) < 0)
      return -1;
  for (size_t i = 0; l && i < l->readonly_paths_len; i++)
    if (readonly_path (c, l->readonly_paths[i], i, err) < 0)
      return -1;
  if (c->config->root->has_readonly && c->config->root->readonly)
    {
      if (hako_mount_setattr (c->rootfd, "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY, 0, 0, -1) < 0)
        return hako_error_sys (err, "root.readonly: make the root read-only");
    }
  if (l && l->rootfs_propagation)
    {
      unsigned long f = propagation_flag (l->rootfs_propagation, 0);
      bool rec = l->rootfs_propagation[0] == 'r';
      if (f && mount (NULL, "/", NULL, f | (rec ? MS_REC : 0), NULL) < 0)
        return hako_error_sys (err, "linux.rootfsPropagation: set `%s`", l->rootfs_propagation);
    }
  close (c->rootfd);
  c->rootfd = -1;
  if (c->devnull_fd >= 0)
    close (c->devnull_fd);
  c->devnull_fd = -1;
  for (size_t a = 0; a < c->anchors_len; a++)
    close (c->anchors[a].fd);
  free (c->anchors);
  c->anchors = NULL;
  c->anchors_len = 0;
  return 0;
}

int
hako_sysctl_apply (struct hako_rootfs_ctx *c, hako_error_t **err)
{
  const hako_spec_linux *l = c->config->linux;
  if (l == NULL || l->sysctl == NULL)
    return 0;
  for (size_t i = 0; i < l->sysctl->len; i++)
    {
      const char *key = l->sysctl->keys[i];
      cleanup_free char *path = hako_strdup_printf ("/proc/sys/%s", key);
      for (char *s = path + 10; *s; s++)
        if (*s == '.')
          *s = '/';
      /* From the procfs mount itself (open_protected), and checked to be
         on procfs: a mount or a link over /proc inside the container must
         not take the write, nor send it to another file.  */
      hako_error_t *e = NULL;
      bool anchored;
      cleanup_close int fd = open_protected (c, path, O_WRONLY, "linux.sysctl", i, &anchored, &e);
      if (! anchored)
        {
          hako_error_free (e);
          return hako_error_set (err, EPERM, "linux.sysctl[\"%s\"]: needs procfs mounted on /proc by mounts[]", key);
        }
      if (fd < 0 && e)
        {
          *err = e;
          return -1;
        }
      if (fd < 0)
        return hako_error_sys (err, "linux.sysctl[\"%s\"]: open `%s`", key, path);
      struct statfs sf;
      if (fstatfs (fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
        return hako_error_set (err, EPERM, "linux.sysctl[\"%s\"]: `%s` is not on procfs", key, path);
      const char *v = l->sysctl->values[i];
      if (write (fd, v, strlen (v)) < 0)
        return hako_error_sys (err, "linux.sysctl[\"%s\"]: write `%s`", key, v);
    }
  return 0;
}

int
hako_personality_apply (const hako_spec_config *config, hako_error_t **err)
{
  const hako_spec_linux *l = config->linux;
  if (l == NULL || l->personality == NULL)
    return 0;
  const hako_spec_personality *p = l->personality;
  /* The spec defines no flags yet: one we do not know is not ignored.  */
  if (p->flags_len > 0)
    return hako_error_set (err, EINVAL, "linux.personality.flags: `%s` is not supported (no flags are defined)",
                           p->flags[0]);
  unsigned long domain;
  if (strcmp (p->domain, "LINUX") == 0)
    domain = PER_LINUX;
  else if (strcmp (p->domain, "LINUX32") == 0)
    domain = PER_LINUX32;
  else
    return hako_error_set (err, EINVAL, "linux.personality.domain: `%s` is not LINUX or LINUX32", p->domain);
  if (personality (domain) < 0)
    return hako_error_sys (err, "linux.personality: set %s", p->domain);
  return 0;
}
