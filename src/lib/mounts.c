/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: mounts[] (one entry: bind, file systems, cgroup views),
   mounts[].uidMappings and gidMappings, linux.mountLabel (the context=
   of file systems; refused before this on a host without SELinux).  */
#include <config.h>

#include "mounts.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "mount-options.h"
#include "safe-path.h"
#include "userns.h"

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#define MOUNT_ATTR__ATIME 0x00000070
#define MOUNT_ATTR_RELATIME 0x00000000
#define MOUNT_ATTR_NOATIME 0x00000010
#define MOUNT_ATTR_STRICTATIME 0x00000020
#define MOUNT_ATTR_NODIRATIME 0x00000080
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

struct hako_mount_attr
{
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};

int
hako_open_tree (int dfd, const char *path, unsigned flags)
{
  return (int) syscall (SYS_open_tree, dfd, path, flags);
}

int
hako_move_mount (int from_dfd, const char *from, int to_dfd, const char *to, unsigned flags)
{
  return (int) syscall (SYS_move_mount, from_dfd, from, to_dfd, to, flags);
}

int
hako_mount_setattr (int dfd, const char *path, unsigned flags, uint64_t set, uint64_t clr, uint64_t propagation,
                    int userns_fd)
{
  struct hako_mount_attr a = { set, clr, propagation, userns_fd >= 0 ? (uint64_t) userns_fd : 0 };
  return (int) syscall (SYS_mount_setattr, dfd, path, flags, &a, sizeof a);
}

/* Per-mount flags of mount(2) as mount_setattr attributes.  */
static void
flags_to_attr (unsigned long set, unsigned long clear, uint64_t *aset, uint64_t *aclr)
{
  static const struct
  {
    unsigned long ms;
    uint64_t attr;
  } map[] = {
    { MS_RDONLY, MOUNT_ATTR_RDONLY },         { MS_NOSUID, MOUNT_ATTR_NOSUID },
    { MS_NODEV, MOUNT_ATTR_NODEV },           { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
    { MS_NODIRATIME, MOUNT_ATTR_NODIRATIME }, { MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW },
  };
  *aset = *aclr = 0;
  for (size_t k = 0; k < sizeof map / sizeof map[0]; k++)
    {
      if (set & map[k].ms)
        *aset |= map[k].attr;
      if (clear & map[k].ms)
        *aclr |= map[k].attr;
    }
  const unsigned long atime = MS_NOATIME | MS_STRICTATIME | MS_RELATIME;
  if ((set | clear) & atime)
    {
      /* As mount(2) reads them: noatime, strictatime, or else relatime
         (so "atime" and "norelatime" mean relatime).  Without any atime
         option the source's mode is kept.  */
      *aclr |= MOUNT_ATTR__ATIME;
      *aset |= (set & MS_NOATIME)       ? MOUNT_ATTR_NOATIME
               : (set & MS_STRICTATIME) ? MOUNT_ATTR_STRICTATIME
                                        : MOUNT_ATTR_RELATIME;
    }
}

static int
attr_error (hako_error_t **err, size_t i, const char *src, bool in_userns)
{
  if (errno == EPERM && in_userns)
    return hako_error_sys (err,
                           "mounts[%zu]: set the options of the bind of `%s` (in a user namespace a flag locked "
                           "on the source mount cannot be cleared)",
                           i, src);
  return hako_error_sys (err, "mounts[%zu]: set the options of the bind of `%s`", i, src);
}

static char *
bind_source (const char *bundle, const char *src)
{
  if (src[0] == '/')
    return hako_xstrdup (src);
  return hako_strdup_printf ("%s/%s", bundle, src);
}

/* Flags that belong to the file system, not to a mount: a bind cannot
   change them without changing the source for everyone.  */
#define SB_ONLY_FLAGS (MS_SYNCHRONOUS | MS_DIRSYNC | MS_MANDLOCK | MS_I_VERSION | MS_LAZYTIME | MS_SILENT)

/* The detached tree of a bind mount, with the attributes its options ask
   for: per-mount flags on the top, r* options on all of it, and the id
   mapping of USERNS_FD (-1: none).  *IS_DIR tells what the source is.  */
static int
bind_tree (const char *bundle, const hako_spec_mount *m, size_t i, const hako_mount_opts_t *o, bool in_userns,
           int userns_fd, bool *is_dir, hako_error_t **err)
{
  if (m->source == NULL || m->source[0] == '\0')
    return hako_error_set (err, 0, "mounts[%zu]: a bind mount needs a source", i);
  if (o->data[0])
    return hako_error_set (err, 0,
                           "mounts[%zu]: `%s`: not a mount option, and a bind mount takes no file system "
                           "options",
                           i, o->data);
  if ((o->flags | o->clear) & SB_ONLY_FLAGS)
    return hako_error_set (err, 0,
                           "mounts[%zu]: sync, dirsync, mand, iversion, lazytime and silent are file system "
                           "options and cannot be set on a bind mount",
                           i);
  cleanup_free char *src = bind_source (bundle, m->source);
  struct stat st;
  if (stat (src, &st) < 0)
    return hako_error_sys (err, "mounts[%zu]: bind source `%s`", i, src);
  *is_dir = S_ISDIR (st.st_mode);
  cleanup_close int tree
      = hako_open_tree (AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (o->rbind ? AT_RECURSIVE : 0));
  if (tree < 0)
    {
      if (errno == EINVAL && in_userns && ! o->rbind)
        return hako_error_sys (err,
                               "mounts[%zu]: bind `%s` (in a user namespace a tree holding other mounts can "
                               "only be bound with rbind)",
                               i, src);
      return hako_error_sys (err, "mounts[%zu]: clone mount of `%s`", i, src);
    }
  uint64_t aset, aclr;
  flags_to_attr (o->flags, o->clear, &aset, &aclr);
  if ((aset | aclr) && hako_mount_setattr (tree, "", AT_EMPTY_PATH, aset, aclr, 0, -1) < 0)
    return attr_error (err, i, src, in_userns);
  if (o->recursive_attr
      && hako_mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, o->attr_set, o->attr_clr, 0, -1) < 0)
    return attr_error (err, i, src, in_userns);
  if (userns_fd >= 0
      && hako_mount_setattr (tree, "", AT_EMPTY_PATH | (o->ridmap ? AT_RECURSIVE : 0), MOUNT_ATTR_IDMAP, 0, 0,
                             userns_fd)
             < 0)
    return hako_error_sys (err, "mounts[%zu]: id-mapped mount of `%s`", i, src);
  return TAKE_FD (tree);
}

static int
mount_bind (const struct hako_mount_env *env, const hako_spec_mount *m, size_t i, hako_mount_opts_t *o,
            hako_error_t **err)
{
  cleanup_close int tree = -1;
  bool is_dir = true;
  if (env->trees && env->trees[i] >= 0)
    {
      /* Made before the init, id-mapped (hako_mount_trees_prepare).  */
      struct stat st;
      tree = env->trees[i];
      env->trees[i] = -1;
      if (fstat (tree, &st) < 0)
        return hako_error_sys (err, "mounts[%zu]: the prepared bind of `%s`", i, m->source);
      is_dir = S_ISDIR (st.st_mode);
    }
  else if (o->idmap)
    return hako_error_set (err, 0, "mounts[%zu]: id-mapped mount of `%s` was not prepared", i, m->source);
  else
    {
      tree = bind_tree (env->bundle, m, i, o, env->userns, -1, &is_dir, err);
      if (tree < 0)
        return -1;
    }
  cleanup_close int dst = hako_create_in_root (env->rootfd, m->destination, is_dir, 0755, err);
  if (dst < 0)
    {
      hako_error_prefix (err, "mounts[%zu]", i);
      return -1;
    }
  if (hako_move_mount (tree, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return hako_error_sys (err, "mounts[%zu]: bind `%s` on `%s`", i, m->source, m->destination);
  if (o->propagation)
    {
      /* The tree's descriptor now names the attached mount.  */
      char p[HAKO_FD_PATH_MAX];
      if (mount (NULL, hako_fd_path (tree, p), NULL, o->propagation, NULL) < 0)
        return hako_error_sys (err, "mounts[%zu]: set propagation of `%s`", i, m->destination);
    }
  return 0;
}

/* Copy the tree under FROM into TO (tmpcopyup): regular files, dirs,
   symlinks, with modes and owners.  */
static int
copy_tree (int from, int to, const char *what, int depth, hako_error_t **err)
{
  if (depth > 64)
    return hako_error_set (err, ELOOP, "tmpcopyup `%s`: too deep", what);
  int dfd = openat (from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return hako_error_sys (err, "tmpcopyup `%s`", what);
  cleanup_dir DIR *d = fdopendir (dfd);
  if (d == NULL)
    {
      close (dfd);
      return hako_error_sys (err, "tmpcopyup `%s`", what);
    }
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      struct stat st;
      if (fstatat (dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return hako_error_sys (err, "tmpcopyup `%s/%s`", what, de->d_name);
      if (S_ISDIR (st.st_mode))
        {
          if (mkdirat (to, de->d_name, st.st_mode & 07777) < 0 && errno != EEXIST)
            return hako_error_sys (err, "tmpcopyup mkdir `%s`", de->d_name);
          cleanup_close int sf = openat (dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          cleanup_close int tf = openat (to, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (sf < 0 || tf < 0)
            return hako_error_sys (err, "tmpcopyup `%s`", de->d_name);
          if (copy_tree (sf, tf, de->d_name, depth + 1, err) < 0)
            return -1;
        }
      else if (S_ISLNK (st.st_mode))
        {
          char target[4096];
          ssize_t n = readlinkat (dfd, de->d_name, target, sizeof target - 1);
          if (n < 0)
            return hako_error_sys (err, "tmpcopyup readlink `%s`", de->d_name);
          target[n] = '\0';
          if (symlinkat (target, to, de->d_name) < 0)
            return hako_error_sys (err, "tmpcopyup symlink `%s`", de->d_name);
        }
      else if (S_ISREG (st.st_mode))
        {
          cleanup_close int sf = openat (dfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
          cleanup_close int tf
              = openat (to, de->d_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 07777);
          if (sf < 0 || tf < 0)
            return hako_error_sys (err, "tmpcopyup `%s`", de->d_name);
          char buf[65536];
          ssize_t n;
          while ((n = read (sf, buf, sizeof buf)) > 0)
            if (write (tf, buf, (size_t) n) != n)
              return hako_error_sys (err, "tmpcopyup write `%s`", de->d_name);
          if (n < 0)
            return hako_error_sys (err, "tmpcopyup read `%s`", de->d_name);
        }
      else
        {
          if (mknodat (to, de->d_name, st.st_mode, st.st_rdev) < 0)
            return hako_error_sys (err, "tmpcopyup mknod `%s`", de->d_name);
        }
      if (fchownat (to, de->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EINVAL)
        return hako_error_sys (err, "tmpcopyup chown `%s`", de->d_name);
    }
  return 0;
}

/* A cgroup file system at DEST: cgroup2, or a tmpfs holding each v1
   hierarchy, namespaced (a fresh mount inside a cgroup namespace) or
   limited to the container's cgroup (a bind) otherwise.  */
static int mount_cgroup (const struct hako_mount_env *env, const hako_spec_mount *m, size_t i, hako_mount_opts_t *o,
                         int dst, hako_error_t **err);

static int
mount_fs (const struct hako_mount_env *env, const hako_spec_mount *m, size_t i, hako_mount_opts_t *o,
          hako_error_t **err)
{
  const char *type = m->type;
  if (type == NULL || type[0] == '\0')
    return hako_error_set (err, 0, "mounts[%zu]: `%s`: a mount that is not a bind needs a type", i, m->destination);
  cleanup_close int dst = hako_mkdir_in_root (env->rootfd, m->destination, 0755, err);
  if (dst < 0)
    {
      hako_error_prefix (err, "mounts[%zu]", i);
      return -1;
    }
  char p[HAKO_FD_PATH_MAX];
  if (strcmp (type, "cgroup") == 0 || strcmp (type, "cgroup2") == 0)
    {
      if (mount_cgroup (env, m, i, o, dst, err) < 0)
        return -1;
    }
  else
    {
      const char *src = m->source && m->source[0] ? m->source : type;
      cleanup_free char *data = NULL;
      if (env->mount_label && env->mount_label[0] && strcmp (type, "proc") != 0 && strcmp (type, "sysfs") != 0
          && strcmp (type, "mqueue") != 0)
        data = hako_strdup_printf ("%s%scontext=\"%s\"", o->data, o->data[0] ? "," : "", env->mount_label);
      else
        data = hako_xstrdup (o->data);
      if (mount (src, hako_fd_path (dst, p), type, o->flags, data[0] ? data : NULL) < 0)
        return hako_error_sys (err, "mounts[%zu]: mount %s on `%s`", i, type, m->destination);
    }
  if (o->tmpcopyup || o->propagation || o->recursive_attr)
    {
      /* DST still names the directory under the new mount: look the path up
         again to get the mount itself.  */
      cleanup_close int top = hako_open_in_root (env->rootfd, m->destination, O_RDONLY | O_DIRECTORY, 0);
      if (top < 0)
        return hako_error_sys (err, "mounts[%zu]: reopen `%s`", i, m->destination);
      if (o->tmpcopyup && copy_tree (dst, top, m->destination, 0, err) < 0)
        return -1;
      if (o->recursive_attr
          && hako_mount_setattr (top, "", AT_EMPTY_PATH | AT_RECURSIVE, o->attr_set, o->attr_clr, 0, -1) < 0)
        return hako_error_sys (err, "mounts[%zu]: set attributes of `%s`", i, m->destination);
      if (o->propagation && mount (NULL, hako_fd_path (top, p), NULL, o->propagation, NULL) < 0)
        return hako_error_sys (err, "mounts[%zu]: set propagation of `%s`", i, m->destination);
    }
  return 0;
}

/* The hierarchies mounted on the host, from /proc/self/mountinfo:
   v1 (options such as "cpu,cpuacct" or "name=systemd") and cgroup2.  */
struct hierarchy
{
  char *mountpoint;
  char *options; /* v1: controllers; NULL for cgroup2 */
};

static size_t
host_hierarchies (struct hierarchy *out, size_t max)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/mountinfo", "re");
  if (f == NULL)
    return 0;
  size_t n = 0;
  cleanup_free char *line = NULL;
  size_t cap = 0;
  while (getline (&line, &cap, f) > 0 && n < max)
    {
      char *sep = strstr (line, " - ");
      if (sep == NULL)
        continue;
      char fstype[32], src[256], sopts[512];
      if (sscanf (sep + 3, "%31s %255s %511s", fstype, src, sopts) != 3)
        continue;
      bool v2 = strcmp (fstype, "cgroup2") == 0;
      if (! v2 && strcmp (fstype, "cgroup") != 0)
        continue;
      char mp[4096];
      if (sscanf (line, "%*s %*s %*s %*s %4095s", mp) != 1)
        continue;
      out[n].mountpoint = hako_xstrdup (mp);
      out[n].options = NULL;
      if (! v2)
        {
          /* Keep controllers and name=, drop rw/relatime/...  */
          char buf[512] = "";
          char *save, *tok = strtok_r (sopts, ",", &save);
          for (; tok; tok = strtok_r (NULL, ",", &save))
            {
              if (strcmp (tok, "rw") == 0 || strcmp (tok, "ro") == 0 || strncmp (tok, "relatime", 8) == 0
                  || strcmp (tok, "nosuid") == 0 || strcmp (tok, "nodev") == 0 || strcmp (tok, "noexec") == 0
                  || strcmp (tok, "clone_children") == 0 || strncmp (tok, "release_agent", 13) == 0)
                continue;
              if (buf[0])
                strcat (buf, ",");
              strncat (buf, tok, sizeof buf - strlen (buf) - 1);
            }
          out[n].options = hako_xstrdup (buf);
        }
      n++;
    }
  return n;
}

/* Bind SRC (a host path) recursively on DST with FLAGS (ro, nosuid, ...)
   applied before it is attached: a remount through DST would address the
   directory under the new mount, not the mount.  */
static int
bind_with_flags (const char *src, int dst, unsigned long flags)
{
  int tree = hako_open_tree (AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (tree < 0)
    return -1;
  uint64_t aset, aclr;
  flags_to_attr (flags, 0, &aset, &aclr);
  int r = 0;
  if (aset && hako_mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, aset, aclr, 0, -1) < 0)
    r = -1;
  if (r == 0 && hako_move_mount (tree, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    r = -1;
  int saved = errno;
  close (tree);
  errno = saved;
  return r;
}

static int
mount_cgroup (const struct hako_mount_env *env, const hako_spec_mount *m, size_t i, hako_mount_opts_t *o, int dst,
              hako_error_t **err)
{
  char p[HAKO_FD_PATH_MAX];
  unsigned long flags = (o->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME | MS_NOATIME | MS_STRICTATIME));
  bool ro = (o->flags & MS_RDONLY) != 0;
  if (env->in_cgroup && env->in_cgroup (env->in_cgroup_arg, err) < 0)
    return -1;
  struct hierarchy h[32];
  size_t n = host_hierarchies (h, 32);
  int rc = 0;
  bool pure_v2 = n == 1 && h[0].options == NULL && strcmp (h[0].mountpoint, "/sys/fs/cgroup") == 0;
  /* File system options (nsdelegate, ...) go to a cgroup2 mounted anew;
     the other views are binds or one per hierarchy, which take none.  */
  if (o->data[0] && ! ((pure_v2 || strcmp (m->type, "cgroup2") == 0) && env->cgroupns))
    {
      rc = hako_error_set (err, 0,
                           "mounts[%zu]: `%s`: file system options only apply to a cgroup2 mounted in a "
                           "cgroup namespace",
                           i, o->data);
      goto out;
    }
  if (pure_v2 || strcmp (m->type, "cgroup2") == 0)
    {
      if (env->cgroupns)
        {
          if (mount ("cgroup2", hako_fd_path (dst, p), "cgroup2", flags | (ro ? MS_RDONLY : 0),
                     o->data[0] ? o->data : NULL)
              < 0)
            rc = hako_error_sys (err, "mounts[%zu]: mount cgroup2 on `%s`", i, m->destination);
        }
      else
        {
          cleanup_free char *src = hako_strdup_printf ("/sys/fs/cgroup%s", env->cgroup_path ? env->cgroup_path : "");
          if (bind_with_flags (src, dst, flags | (ro ? MS_RDONLY : 0)) < 0)
            rc = hako_error_sys (err, "mounts[%zu]: bind `%s` on `%s`", i, src, m->destination);
        }
      goto out;
    }
  /* v1 or hybrid: a tmpfs with one directory per hierarchy.  */
  if (mount ("tmpfs", hako_fd_path (dst, p), "tmpfs", flags, "mode=755") < 0)
    {
      rc = hako_error_sys (err, "mounts[%zu]: mount tmpfs on `%s`", i, m->destination);
      goto out;
    }
  {
    cleanup_close int top = hako_open_in_root (env->rootfd, m->destination, O_RDONLY | O_DIRECTORY, 0);
    if (top < 0)
      {
        rc = hako_error_sys (err, "mounts[%zu]: reopen `%s`", i, m->destination);
        goto out;
      }
    for (size_t k = 0; k < n && rc == 0; k++)
      {
        const char *base = strrchr (h[k].mountpoint, '/');
        base = base ? base + 1 : h[k].mountpoint;
        if (strncmp (h[k].mountpoint, "/sys/fs/cgroup/", 15) != 0)
          continue;
        if (mkdirat (top, base, 0755) < 0 && errno != EEXIST)
          {
            rc = hako_error_sys (err, "mounts[%zu]: mkdir `%s/%s`", i, m->destination, base);
            break;
          }
        cleanup_close int sub = openat (top, base, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
          {
            rc = hako_error_sys (err, "mounts[%zu]: open `%s/%s`", i, m->destination, base);
            break;
          }
        unsigned long sflags = flags | (ro ? MS_RDONLY : 0);
        if (env->cgroupns)
          {
            const char *t = h[k].options ? "cgroup" : "cgroup2";
            if (mount (t, hako_fd_path (sub, p), t, sflags, h[k].options) < 0)
              rc = hako_error_sys (err, "mounts[%zu]: mount %s (%s) on `%s/%s`", i, t, h[k].options ? h[k].options : "",
                                   m->destination, base);
          }
        else
          {
            cleanup_free char *src
                = hako_strdup_printf ("%s%s", h[k].mountpoint, env->cgroup_path ? env->cgroup_path : "");
            struct stat st;
            if (stat (src, &st) < 0)
              {
                free (src);
                src = hako_xstrdup (h[k].mountpoint);
              }
            if (bind_with_flags (src, sub, sflags) < 0)
              rc = hako_error_sys (err, "mounts[%zu]: bind `%s` on `%s/%s`", i, src, m->destination, base);
          }
        /* cpu,cpuacct mounted as "cpu,cpuacct": symlinks "cpu" and "cpuacct".  */
        if (rc == 0 && strchr (base, ','))
          {
            cleanup_free char *copy = hako_xstrdup (base);
            char *save, *tok = strtok_r (copy, ",", &save);
            for (; tok; tok = strtok_r (NULL, ",", &save))
              if (symlinkat (base, top, tok) < 0 && errno != EEXIST)
                rc = hako_error_sys (err, "mounts[%zu]: symlink `%s`", i, tok);
          }
      }
    if (rc == 0 && ro && hako_mount_setattr (top, "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY, 0, 0, -1) < 0)
      rc = hako_error_sys (err, "mounts[%zu]: make `%s` read-only", i, m->destination);
  }
out:
  for (size_t k = 0; k < n; k++)
    {
      free (h[k].mountpoint);
      free (h[k].options);
    }
  return rc;
}

/* A user namespace with the given maps, for MOUNT_ATTR_IDMAP: a
   short-lived child makes it, we write its maps, keep a descriptor of it
   and let the child go.  */
static int
mapping_userns (hako_spec_id_mapping **uids, size_t nu, hako_spec_id_mapping **gids, size_t ng, hako_error_t **err)
{
  int sync[2];
  if (pipe2 (sync, O_CLOEXEC) < 0)
    return hako_error_sys (err, "pipe");
  pid_t pid = (pid_t) syscall (SYS_clone, (unsigned long) (CLONE_NEWUSER | SIGCHLD), NULL, NULL, NULL, NULL);
  if (pid < 0)
    {
      int saved = errno;
      close (sync[0]);
      close (sync[1]);
      return hako_error_set (err, saved, "create a user namespace for an id-mapped mount");
    }
  if (pid == 0)
    {
      char c;
      close (sync[1]);
      if (read (sync[0], &c, 1) < 0)
        _exit (1);
      _exit (0);
    }
  close (sync[0]);
  hako_spec_linux maps = { 0 };
  maps.uid_mappings = uids;
  maps.uid_mappings_len = nu;
  maps.gid_mappings = gids;
  maps.gid_mappings_len = ng;
  int fd = -1;
  if (hako_userns_write_maps (pid, &maps, err) == 0)
    {
      char path[64];
      snprintf (path, sizeof path, "/proc/%d/ns/user", (int) pid);
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        hako_error_sys (err, "open `%s`", path);
    }
  close (sync[1]);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return fd;
}

/* The user namespace whose maps an id-mapped mount without maps of its
   own uses: the container's (made anew with the same maps, or the one it
   joins).  */
static int
container_userns (const hako_spec_linux *l, hako_error_t **err)
{
  for (size_t k = 0; l && k < l->namespaces_len; k++)
    if (strcmp (l->namespaces[k]->type, "user") == 0)
      {
        const char *path = l->namespaces[k]->path;
        if (path == NULL || path[0] == '\0')
          return mapping_userns (l->uid_mappings, l->uid_mappings_len, l->gid_mappings, l->gid_mappings_len, err);
        int fd = open (path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
          return hako_error_sys (err, "open the user namespace `%s`", path);
        return fd;
      }
  return hako_error_set (err, 0, "idmap needs uidMappings and gidMappings, or a user namespace");
}

void
hako_mount_trees_free (int *trees, size_t n)
{
  if (trees == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    if (trees[i] >= 0)
      close (trees[i]);
  free (trees);
}

/* The id-mapped tree of mounts[I] into TREES[I], when it asks for one. */
static int
prepare_tree (const hako_spec_config *config, const char *bundle, size_t i, int *shared_ns, int *trees,
              hako_error_t **err)
{
  const hako_spec_mount *m = config->mounts[i];
  hako_mount_opts_t o;
  if (hako_mount_opts_parse (m->options, m->options_len, &o, err) < 0)
    {
      hako_error_prefix (err, "mounts[%zu]", i);
      return -1;
    }
  cleanup_close int own_ns = -1;
  int ns = -1;
  if (! o.idmap)
    goto out;
  if (m->has_uid_mappings || m->has_gid_mappings)
    ns = own_ns = mapping_userns (m->uid_mappings, m->uid_mappings_len, m->gid_mappings, m->gid_mappings_len, err);
  else
    {
      if (*shared_ns < 0)
        *shared_ns = container_userns (config->linux, err);
      ns = *shared_ns;
    }
  bool is_dir;
  if (ns < 0)
    hako_error_prefix (err, "mounts[%zu]", i);
  else
    trees[i] = bind_tree (bundle, m, i, &o, false, ns, &is_dir, err);
out:
  hako_mount_opts_clear (&o);
  return o.idmap && trees[i] < 0 ? -1 : 0;
}

int
hako_mount_trees_prepare (const hako_spec_config *config, const char *bundle, int **out, hako_error_t **err)
{
  *out = NULL;
  bool any = false;
  for (size_t i = 0; i < config->mounts_len && ! any; i++)
    for (size_t k = 0; k < config->mounts[i]->options_len && ! any; k++)
      any = strcmp (config->mounts[i]->options[k], "idmap") == 0
            || strcmp (config->mounts[i]->options[k], "ridmap") == 0;
  if (! any)
    return 0;
  int *trees = hako_xmalloc (config->mounts_len * sizeof (int));
  for (size_t i = 0; i < config->mounts_len; i++)
    trees[i] = -1;
  cleanup_close int shared_ns = -1;
  for (size_t i = 0; i < config->mounts_len; i++)
    if (prepare_tree (config, bundle, i, &shared_ns, trees, err) < 0)
      {
        hako_mount_trees_free (trees, config->mounts_len);
        return -1;
      }
  *out = trees;
  return 0;
}

/* "remount": new flags for the mount already at the destination; a bind
   changes that mount only, a file system its superblock.  */
static int
mount_remount (const struct hako_mount_env *env, const hako_spec_mount *m, size_t i, const hako_mount_opts_t *o,
               bool bind, hako_error_t **err)
{
  cleanup_close int dst = hako_open_in_root (env->rootfd, m->destination, O_PATH, 0);
  if (dst < 0)
    return hako_error_sys (err, "mounts[%zu]: remount `%s`", i, m->destination);
  if (bind)
    {
      if (o->data[0])
        return hako_error_set (err, 0,
                               "mounts[%zu]: `%s`: not a mount option, and a bind mount takes no file "
                               "system options",
                               i, o->data);
      uint64_t aset, aclr;
      flags_to_attr (o->flags, o->clear, &aset, &aclr);
      if (hako_mount_setattr (dst, "", AT_EMPTY_PATH, aset, aclr, 0, -1) < 0)
        return hako_error_sys (err, "mounts[%zu]: remount `%s`", i, m->destination);
    }
  else
    {
      char p[HAKO_FD_PATH_MAX];
      if (mount (NULL, hako_fd_path (dst, p), NULL, o->flags & ~(unsigned long) MS_BIND, o->data[0] ? o->data : NULL)
          < 0)
        return hako_error_sys (err, "mounts[%zu]: remount `%s`", i, m->destination);
    }
  if (o->recursive_attr
      && hako_mount_setattr (dst, "", AT_EMPTY_PATH | AT_RECURSIVE, o->attr_set, o->attr_clr, 0, -1) < 0)
    return hako_error_sys (err, "mounts[%zu]: remount `%s`", i, m->destination);
  return 0;
}

int
hako_mount_one (const struct hako_mount_env *env, const hako_spec_mount *m, size_t i, hako_error_t **err)
{
  hako_mount_opts_t o;
  if (hako_mount_opts_parse (m->options, m->options_len, &o, err) < 0)
    {
      hako_error_prefix (err, "mounts[%zu]", i);
      return -1;
    }
  bool bind = o.bind || (m->type && strcmp (m->type, "bind") == 0);
  int r;
  if (o.tmpcopyup && (bind || m->type == NULL || strcmp (m->type, "tmpfs") != 0))
    r = hako_error_set (err, 0, "mounts[%zu]: tmpcopyup applies to tmpfs mounts only", i);
  else if (o.flags & MS_REMOUNT)
    r = mount_remount (env, m, i, &o, bind, err);
  else if (bind)
    r = mount_bind (env, m, i, &o, err);
  else if (o.idmap)
    r = hako_error_set (err, 0, "mounts[%zu]: idmap applies to bind mounts only", i);
  else
    r = mount_fs (env, m, i, &o, err);
  hako_mount_opts_clear (&o);
  return r;
}
