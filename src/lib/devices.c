/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: linux.devices; the default devices and /dev symlinks of
   runtime-linux.md.  */
#include <config.h>

#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "safe-path.h"

struct devspec
{
  const char *path;
  char type;
  unsigned major, minor;
  mode_t mode;
  uid_t uid; /* (uid_t) -1: left as made */
  gid_t gid;
};

static const struct devspec default_devices[] = {
  { "/dev/null", 'c', 1, 3, 0666, (uid_t) -1, (gid_t) -1 },
  { "/dev/zero", 'c', 1, 5, 0666, (uid_t) -1, (gid_t) -1 },
  { "/dev/full", 'c', 1, 7, 0666, (uid_t) -1, (gid_t) -1 },
  { "/dev/random", 'c', 1, 8, 0666, (uid_t) -1, (gid_t) -1 },
  { "/dev/urandom", 'c', 1, 9, 0666, (uid_t) -1, (gid_t) -1 },
  { "/dev/tty", 'c', 5, 0, 0666, (uid_t) -1, (gid_t) -1 },
};

static mode_t
type_bits (char t)
{
  switch (t)
    {
    case 'b':
      return S_IFBLK;
    case 'p':
      return S_IFIFO;
    default:
      return S_IFCHR;
    }
}

static int
set_mode_owner (int dfd, const char *name, const struct devspec *d, hako_error_t **err)
{
  if (fchmodat (dfd, name, d->mode & 07777, 0) < 0)
    return hako_error_sys (err, "device `%s`: chmod", d->path);
  if ((d->uid != (uid_t) -1 || d->gid != (gid_t) -1) && fchownat (dfd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
    return hako_error_sys (err, "device `%s`: chown", d->path);
  return 0;
}

/* Create one device node.  What the rootfs has at the path is looked at
   itself, never where a link of it leads: a node that matches is kept,
   anything else is an error for linux.devices (runtime-linux.md) and
   replaced for the default devices.  */
static int
make_device (int rootfd, const struct devspec *d, bool userns, bool strict, hako_error_t **err)
{
  mode_t kind = type_bits (d->type);
  dev_t dev = makedev (d->major, d->minor);
  const char *slash = strrchr (d->path, '/');
  cleanup_free char *parent = hako_xstrndup (d->path, (size_t) (slash - d->path));
  const char *name = slash + 1;
  cleanup_close int pfd = hako_mkdir_in_root (rootfd, parent[0] ? parent : "/", 0755, err);
  if (pfd < 0)
    {
      hako_error_prefix (err, "device `%s`", d->path);
      return -1;
    }
  char p[HAKO_FD_PATH_MAX];
  /* O_PATH parents work with mknodat through /proc/self/fd.  */
  cleanup_close int dfd = open (hako_fd_path (pfd, p), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return hako_error_sys (err, "device `%s`: open parent", d->path);
  struct stat st;
  if (fstatat (dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      if ((st.st_mode & S_IFMT) == kind && (kind == S_IFIFO || st.st_rdev == dev))
        return userns ? 0 : set_mode_owner (dfd, name, d, err);
      if (strict)
        return hako_error_set (err, EEXIST, "device `%s`: a different file exists at that path", d->path);
      if (unlinkat (dfd, name, S_ISDIR (st.st_mode) ? AT_REMOVEDIR : 0) < 0)
        return hako_error_sys (err, "device `%s`: remove what the rootfs has there", d->path);
    }
  /* A fifo is no device: a user namespace may make one.  */
  if (! userns || kind == S_IFIFO)
    {
      if (mknodat (dfd, name, kind | (d->mode & 07777), dev) < 0)
        return hako_error_sys (err, "device `%s`: mknod", d->path);
      return set_mode_owner (dfd, name, d, err);
    }
  /* A user namespace cannot mknod: bind the host's node.  */
  const char *hostpath = d->path;
  if (stat (hostpath, &st) < 0 || (st.st_mode & S_IFMT) != kind || st.st_rdev != dev)
    return hako_error_set (err, ENODEV, "device `%s`: no matching host device to bind in a user namespace", d->path);
  cleanup_close int f = openat (dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (f < 0)
    return hako_error_sys (err, "device `%s`: create", d->path);
  if (mount (hostpath, hako_fd_path (f, p), NULL, MS_BIND, NULL) < 0)
    return hako_error_sys (err, "device `%s`: bind the host's node", d->path);
  return 0;
}

/* /dev/NAME -> TARGET.  One the rootfs has already is kept, except for
   ptmx, which must be the link to the container's devpts.  */
static int
make_symlink (int rootfd, const char *target, const char *name, hako_error_t **err)
{
  cleanup_close int dev = hako_open_in_root (rootfd, "/dev", O_PATH | O_DIRECTORY, 0);
  if (dev < 0)
    return 0;
  char p[HAKO_FD_PATH_MAX];
  cleanup_close int dfd = open (hako_fd_path (dev, p), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return hako_error_sys (err, "open /dev");
  if (strcmp (name, "ptmx") == 0)
    {
      char cur[64];
      ssize_t n = readlinkat (dfd, name, cur, sizeof cur - 1);
      if (n >= 0 && (size_t) n == strlen (target) && memcmp (cur, target, (size_t) n) == 0)
        return 0;
      struct stat st;
      if (fstatat (dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0
          && unlinkat (dfd, name, S_ISDIR (st.st_mode) ? AT_REMOVEDIR : 0) < 0)
        return hako_error_sys (err, "remove /dev/%s", name);
    }
  if (symlinkat (target, dfd, name) < 0 && errno != EEXIST)
    return hako_error_sys (err, "symlink /dev/%s", name);
  return 0;
}

int
hako_devices_setup (int rootfd, const hako_spec_config *config, bool userns, hako_error_t **err)
{
  for (size_t i = 0; i < sizeof default_devices / sizeof default_devices[0]; i++)
    if (make_device (rootfd, &default_devices[i], userns, false, err) < 0)
      return -1;
  const hako_spec_linux *l = config->linux;
  for (size_t i = 0; l && i < l->devices_len; i++)
    {
      const hako_spec_device *d = l->devices[i];
      struct devspec s = { d->path,
                           d->type[0],
                           (unsigned) d->major,
                           (unsigned) d->minor,
                           d->has_file_mode ? d->file_mode : 0666,
                           d->has_uid ? (uid_t) d->uid : (uid_t) -1,
                           d->has_gid ? (gid_t) d->gid : (gid_t) -1 };
      if (make_device (rootfd, &s, userns, true, err) < 0)
        {
          hako_error_prefix (err, "linux.devices[%zu]", i);
          return -1;
        }
    }
  static const char *const links[][2] = {
    { "/proc/self/fd", "fd" },       { "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
    { "/proc/self/fd/2", "stderr" }, { "pts/ptmx", "ptmx" },
  };
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
    if (make_symlink (rootfd, links[i][0], links[i][1], err) < 0)
      return -1;
  struct stat st;
  if (stat ("/proc/kcore", &st) == 0 && make_symlink (rootfd, "/proc/kcore", "core", err) < 0)
    return -1;
  return 0;
}
