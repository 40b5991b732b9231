/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: mounts[] (one entry: bind, file systems, cgroup views).  */
#include <config.h>

#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "mount-options.h"
#include "safe-path.h"

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
  *aset = *aclr = 0;
  if (set & MS_RDONLY)
    *aset |= MOUNT_ATTR_RDONLY;
  if (clear & MS_RDONLY)
    *aclr |= MOUNT_ATTR_RDONLY;
  if (set & MS_NOSUID)
    *aset |= MOUNT_ATTR_NOSUID;
  if (clear & MS_NOSUID)
    *aclr |= MOUNT_ATTR_NOSUID;
  if (set & MS_NODEV)
    *aset |= MOUNT_ATTR_NODEV;
  if (clear & MS_NODEV)
    *aclr |= MOUNT_ATTR_NODEV;
  if (set & MS_NOEXEC)
    *aset |= MOUNT_ATTR_NOEXEC;
  if (clear & MS_NOEXEC)
    *aclr |= MOUNT_ATTR_NOEXEC;
  if (set & MS_NODIRATIME)
    *aset |= MOUNT_ATTR_NODIRATIME;
  if (clear & MS_NODIRATIME)
    *aclr |= MOUNT_ATTR_NODIRATIME;
  if (set & MS_NOSYMFOLLOW)
    *aset |= MOUNT_ATTR_NOSYMFOLLOW;
  if (clear & MS_NOSYMFOLLOW)
    *aclr |= MOUNT_ATTR_NOSYMFOLLOW;
  if (set & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME))
    {
      *aclr |= MOUNT_ATTR__ATIME;
      *aset |= (set & MS_NOATIME) ? MOUNT_ATTR_NOATIME : (set & MS_STRICTATIME) ? MOUNT_ATTR_STRICTATIME : MOUNT_ATTR_RELATIME;
    }
}

static char *
bind_source (const struct hako_mount_env *env, const char *src)
{
  if (src[0] == '/')
    return hako_xstrdup (src);
  return hako_strdup_printf ("%s/%s", env->bundle, src);
}

static int
mount_bind (const struct hako_mount_env *env, const hako_spec_mount *m, size_t i, hako_mount_opts_t *o,
            hako_error_t **err)
{
  if (m->source == NULL || m->source[0] == '\0')
    return hako_error_set (err, 0, "mounts[%zu]: a bind mount needs a source", i);
  cleanup_free char *src = bind_source (env, m->source);
  struct stat st;
  if (stat (src, &st) < 0)
    return hako_error_sys (err, "mounts[%zu]: bind source `%s`", i, src);
  cleanup_close int tree = hako_open_tree (AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (o->rbind ? AT_RECURSIVE : 0));
  if (tree < 0)
    return hako_error_sys (err, "mounts[%zu]: clone mount of `%s`", i, src);
  uint64_t aset, aclr;
  flags_to_attr (o->flags, o->clear, &aset, &aclr);
  if ((aset | aclr) && hako_mount_setattr (tree, "", AT_EMPTY_PATH, aset, aclr, 0, -1) < 0)
    return hako_error_sys (err, "mounts[%zu]: set attributes of the bind of `%s`", i, src);
  if (o->recursive_attr && hako_mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, o->attr_set, o->attr_clr, 0, -1) < 0)
    return hako_error_sys (err, "mounts[%zu]: set recursive attributes of the bind of `%s`", i, src);
  if (o->idmap)
    {
      if (env->userns_fd < 0)
        return hako_error_set (err, 0, "mounts[%zu]: idmap needs uidMappings/gidMappings or a user namespace", i);
      if (hako_mount_setattr (tree, "", AT_EMPTY_PATH | (o->ridmap ? AT_RECURSIVE : 0), MOUNT_ATTR_IDMAP, 0, 0,
                              env->userns_fd) < 0)
        return hako_error_sys (err, "mounts[%zu]: id-mapped mount of `%s`", i, src);
    }
  cleanup_close int dst = hako_create_in_root (env->rootfd, m->destination, S_ISDIR (st.st_mode), 0755, err);
  if (dst < 0)
    {
      hako_error_prefix (err, "mounts[%zu]", i);
      return -1;
    }
  if (hako_move_mount (tree, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return hako_error_sys (err, "mounts[%zu]: bind `%s` on `%s`", i, src, m->destination);
  if (o->propagation)
    {
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
          cleanup_close int tf = openat (to, de->d_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 07777);
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
static int
mount_cgroup (const struct hako_mount_env *env, const hako_spec_mount *m, size_t i, hako_mount_opts_t *o,
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
  if (strcmp (type, "cgroup") == 0 || strcmp (type, "cgroup2") == 0)
    return mount_cgroup (env, m, i, o, dst, err);

  char p[HAKO_FD_PATH_MAX];
  const char *src = m->source && m->source[0] ? m->source : type;
  unsigned long flags = o->flags & ~(unsigned long) (MS_REMOUNT);
  cleanup_free char *data = NULL;
  if (env->mount_label && env->mount_label[0] && strcmp (type, "proc") != 0 && strcmp (type, "sysfs") != 0
      && strcmp (type, "mqueue") != 0)
    data = hako_strdup_printf ("%s%scontext=\"%s\"", o->data, o->data[0] ? "," : "", env->mount_label);
  else
    data = hako_xstrdup (o->data);
  if (o->flags & MS_REMOUNT)
    {
      if (mount (NULL, hako_fd_path (dst, p), NULL, o->flags, data[0] ? data : NULL) < 0)
        return hako_error_sys (err, "mounts[%zu]: remount `%s`", i, m->destination);
      return 0;
    }
  if (mount (src, hako_fd_path (dst, p), type, flags, data[0] ? data : NULL) < 0)
    return hako_error_sys (err, "mounts[%zu]: mount %s on `%s`", i, type, m->destination);
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
mount_cgroup (const struct hako_mount_env *env, const hako_spec_mount *m, size_t i, hako_mount_opts_t *o,
              int dst, hako_error_t **err)
{
  char p[HAKO_FD_PATH_MAX];
  unsigned long flags = (o->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME | MS_NOATIME | MS_STRICTATIME));
  bool ro = (o->flags & MS_RDONLY) != 0;
  struct hierarchy h[32];
  size_t n = host_hierarchies (h, 32);
  int rc = 0;
  bool pure_v2 = n == 1 && h[0].options == NULL && strcmp (h[0].mountpoint, "/sys/fs/cgroup") == 0;
  if (pure_v2 || strcmp (m->type, "cgroup2") == 0)
    {
      if (env->cgroupns)
        {
          if (mount ("cgroup2", hako_fd_path (dst, p), "cgroup2", flags | (ro ? MS_RDONLY : 0), NULL) < 0)
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
            cleanup_free char *src = hako_strdup_printf ("%s%s", h[k].mountpoint, env->cgroup_path ? env->cgroup_path : "");
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
  if (bind)
    r = mount_bind (env, m, i, &o, err);
  else
    {
      if (o.idmap)
        r = hako_error_set (err, 0, "mounts[%zu]: idmap applies to bind mounts only", i);
      else
        r = mount_fs (env, m, i, &o, err);
    }
  hako_mount_opts_clear (&o);
  return r;
}
