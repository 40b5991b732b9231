/* SPDX-License-Identifier: Apache-2.0 */
#include <config.h>

#include "safe-path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#else
struct open_how
{
  unsigned long long flags, mode, resolve;
};
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_IN_ROOT 0x10
#endif

#include "cleanup.h"

static int openat2_state; /* 0 unknown, 1 works, -1 missing or forced off */

void
hako_safe_path_force_fallback (bool on)
{
  openat2_state = on ? -1 : 0;
}

const char *
hako_fd_path (int fd, char buf[HAKO_FD_PATH_MAX])
{
  snprintf (buf, HAKO_FD_PATH_MAX, "/proc/self/fd/%d", fd);
  return buf;
}

/* The fallback: walk component by component from the root, expanding
   symlinks ourselves and clamping `..` at the root.  */
#define MAX_LINKS 40

static int
walk_in_root (int rootfd, const char *path, int flags, mode_t mode)
{
  char *rest = hako_xstrdup (path);
  int links = 0;
  int cur = openat (rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cur < 0)
    {
      free (rest);
      return -1;
    }
  char *p = rest;
  for (;;)
    {
      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      char *slash = strchr (p, '/');
      bool last = true;
      if (slash)
        {
          *slash = '\0';
          const char *q = slash + 1;
          while (*q == '/')
            q++;
          last = *q == '\0';
        }
      const char *comp = p;
      p = slash ? slash + 1 : p + strlen (p);
      if (strcmp (comp, ".") == 0)
        continue;
      if (strcmp (comp, "..") == 0)
        {
          struct stat a, b;
          /* At the root `..` stays at the root.  */
          if (fstat (cur, &a) == 0 && fstat (rootfd, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
            continue;
          int up = openat (cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
          if (up < 0)
            goto fail;
          close (cur);
          cur = up;
          continue;
        }
      int lfd = openat (cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (lfd < 0)
        {
          if (errno == ENOENT && last && (flags & O_CREAT))
            {
              int created = openat (cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
              if (created < 0)
                goto fail;
              close (cur);
              free (rest);
              return created;
            }
          goto fail;
        }
      struct stat st;
      if (fstat (lfd, &st) < 0)
        {
          close (lfd);
          goto fail;
        }
      if (S_ISLNK (st.st_mode))
        {
          char target[PATH_MAX];
          ssize_t n = readlinkat (lfd, "", target, sizeof target - 1);
          close (lfd);
          if (n < 0 || ++links > MAX_LINKS)
            {
              if (n >= 0)
                errno = ELOOP;
              goto fail;
            }
          target[n] = '\0';
          char *np = hako_strdup_printf ("%s/%s", target, p);
          free (rest);
          rest = p = np;
          if (target[0] == '/')
            {
              close (cur);
              cur = openat (rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
              if (cur < 0)
                {
                  free (rest);
                  return -1;
                }
            }
          continue;
        }
      if (! last)
        {
          if (! S_ISDIR (st.st_mode))
            {
              close (lfd);
              errno = ENOTDIR;
              goto fail;
            }
          close (cur);
          cur = lfd;
          continue;
        }
      if ((flags & O_DIRECTORY) && ! S_ISDIR (st.st_mode))
        {
          close (lfd);
          errno = ENOTDIR;
          goto fail;
        }
      if (flags & O_PATH)
        {
          close (cur);
          free (rest);
          return lfd;
        }
      close (lfd);
      /* NOFOLLOW: an entry swapped for a symlink since the check fails.  */
      int next = openat (cur, comp, (flags & ~O_CREAT) | O_NOFOLLOW | O_CLOEXEC, mode);
      if (next < 0)
        goto fail;
      close (cur);
      free (rest);
      return next;
    }
  free (rest);
  /* PATH named the root itself.  */
  if ((flags & O_PATH) == 0)
    {
      int r = openat (cur, ".", flags | O_CLOEXEC, mode);
      close (cur);
      return r;
    }
  return cur;
fail:
  {
    int saved = errno;
    close (cur);
    free (rest);
    errno = saved;
    return -1;
  }
}

int
hako_open_in_root (int rootfd, const char *path, int flags, mode_t mode)
{
  static bool env_read;
  if (! env_read)
    {
      /* A testing aid (hako(8)): run the fallback walk on a kernel that
         has openat2, as on one that has not.  */
      const char *e = getenv ("HAKO_TEST_NO_OPENAT2");
      env_read = true;
      if (e && strcmp (e, "1") == 0)
        hako_safe_path_force_fallback (true);
    }
  if (openat2_state >= 0)
    {
      struct open_how how = { .flags = (unsigned long long) (flags | O_CLOEXEC),
                              .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
                              .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
      for (int tries = 0;; tries++)
        {
          long r = syscall (SYS_openat2, rootfd, path, &how, sizeof how);
          if (r >= 0)
            {
              openat2_state = 1;
              return (int) r;
            }
          /* A rename raced the lookup: retry, a bounded number of times
             (a rootfs renaming without pause must not hold us forever). */
          if ((errno == EAGAIN || errno == EINTR) && tries < 256)
            continue;
          if (errno == ENOSYS || (openat2_state == 0 && errno == EINVAL))
            {
              openat2_state = -1;
              break;
            }
          return -1;
        }
    }
  return walk_in_root (rootfd, path, flags, mode);
}

/* Split PATH into its parent and last component (both malloc'd).  */
static void
split_path (const char *path, char **parent, char **base)
{
  cleanup_free char *copy = hako_xstrdup (path);
  size_t n = strlen (copy);
  while (n > 1 && copy[n - 1] == '/')
    copy[--n] = '\0';
  char *slash = strrchr (copy, '/');
  if (slash == NULL)
    {
      *parent = hako_xstrdup (".");
      *base = hako_xstrdup (copy);
    }
  else
    {
      *base = hako_xstrdup (slash + 1);
      *slash = '\0';
      *parent = hako_xstrdup (copy[0] ? copy : "/");
    }
}

/* Links followed while creating a path, as path resolution allows.  */
#define MAX_CREATE_LINKS 40

/* BASE in PFD (the directory PARENT) is in the way of what we create: when
   it is a symlink, whose target does not exist yet, the path to create
   instead (to be resolved inside the root, like any other); else NULL.  */
static char *
link_target (int pfd, const char *parent, const char *base)
{
  char target[PATH_MAX];
  ssize_t n = readlinkat (pfd, base, target, sizeof target - 1);
  if (n <= 0)
    return NULL;
  target[n] = '\0';
  if (target[0] == '/')
    return hako_xstrdup (target);
  return hako_strdup_printf ("%s/%s", parent, target);
}

static int
mkdir_in_root (int rootfd, const char *path, mode_t mode, int links, hako_error_t **err)
{
  if (links > MAX_CREATE_LINKS)
    return hako_error_set (err, ELOOP, "create `%s` in the container root", path);
  int fd = hako_open_in_root (rootfd, path, O_PATH | O_DIRECTORY, 0);
  if (fd >= 0)
    return fd;
  if (errno != ENOENT)
    return hako_error_sys (err, "open `%s` in the container root", path);
  cleanup_free char *parent = NULL, *base = NULL;
  split_path (path, &parent, &base);
  if (strcmp (base, "..") == 0 || strcmp (base, ".") == 0 || base[0] == '\0')
    return hako_error_set (err, EINVAL, "cannot create `%s` in the container root", path);
  cleanup_close int pfd = mkdir_in_root (rootfd, parent, mode, links, err);
  if (pfd < 0)
    return -1;
  if (mkdirat (pfd, base, mode) < 0 && errno != EEXIST)
    return hako_error_sys (err, "mkdir `%s` in the container root", path);
  /* NOFOLLOW: a symlink in the way (dangling, or swapped in since) is
     followed by resolving its target inside the root, never here.  */
  fd = openat (pfd, base, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOTDIR)
    {
      cleanup_free char *next = link_target (pfd, parent, base);
      if (next)
        return mkdir_in_root (rootfd, next, mode, links + 1, err);
      errno = ENOTDIR;
    }
  if (fd < 0)
    return hako_error_sys (err, "open `%s` in the container root", path);
  return fd;
}

int
hako_mkdir_in_root (int rootfd, const char *path, mode_t mode, hako_error_t **err)
{
  return mkdir_in_root (rootfd, path, mode, 0, err);
}

static int
create_file_in_root (int rootfd, const char *path, mode_t mode, int links, hako_error_t **err)
{
  if (links > MAX_CREATE_LINKS)
    return hako_error_set (err, ELOOP, "create `%s` in the container root", path);
  int fd = hako_open_in_root (rootfd, path, O_PATH, 0);
  if (fd >= 0)
    return fd;
  if (errno != ENOENT)
    return hako_error_sys (err, "open `%s` in the container root", path);
  cleanup_free char *parent = NULL, *base = NULL;
  split_path (path, &parent, &base);
  if (strcmp (base, "..") == 0 || strcmp (base, ".") == 0 || base[0] == '\0')
    return hako_error_set (err, EINVAL, "cannot create `%s` in the container root", path);
  cleanup_close int pfd = mkdir_in_root (rootfd, parent, 0755, links, err);
  if (pfd < 0)
    return -1;
  /* mknod of a regular file works on an O_PATH parent descriptor.  */
  if (mknodat (pfd, base, S_IFREG | (mode & 07777), 0) < 0 && errno != EEXIST)
    return hako_error_sys (err, "create `%s` in the container root", path);
  fd = openat (pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return hako_error_sys (err, "open `%s` in the container root", path);
  struct stat st;
  if (fstat (fd, &st) == 0 && S_ISLNK (st.st_mode))
    {
      close (fd);
      cleanup_free char *next = link_target (pfd, parent, base);
      if (next == NULL)
        return hako_error_sys (err, "read the link `%s` in the container root", path);
      return create_file_in_root (rootfd, next, mode, links + 1, err);
    }
  return fd;
}

int
hako_create_in_root (int rootfd, const char *path, bool dir, mode_t mode, hako_error_t **err)
{
  if (dir)
    return mkdir_in_root (rootfd, path, mode, 0, err);
  return create_file_in_root (rootfd, path, mode, 0, err);
}
