/* SPDX-License-Identifier: Apache-2.0 */
/* Layers into a rootfs (image-spec layer.md): tar, tar+gzip, tar+zstd
   through libarchive; whiteouts and opaque directories; regular files
   (sparse too), directories, symlinks, hard links, device nodes and FIFOs
   with their owners, modes, times and xattrs.

   Confinement: an entry's name is cleaned (`.` and empty components
   dropped, a leading `/` ignored) and refused if it holds `..`.  Its
   parent directory is then opened inside the rootfs with openat2
   RESOLVE_IN_ROOT, so a symlink planted by an earlier layer or entry
   resolves as it would inside the container and never leads out; the
   entry itself is made with *at() calls on that directory and never
   followed (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW).  Without openat2 the same
   resolution is done by a walk of our own (resolve_walk).

   The blob is hashed while libarchive reads it; a digest or size that
   does not match fails the layer (and the caller removes the rootfs).  A
   layer still downloading is read from its staged file as it grows
   (pull_stream_t): at the end of what is there, the reader waits for
   more, the end of the download, or its failure.  */
#include <config.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "pull.h"

#define READ_BUF (256u << 10)
#define MAX_SYMLINKS 40

/* ------------------------------------------------------------ in-root resolution */

static int openat2_state; /* 0 unknown, 1 works, -1 missing (or HAKO_PULL_NO_OPENAT2) */

/* Resolve PATH under ROOTFD as if ROOTFD were `/`: absolute symlinks
   restart at ROOTFD, `..` stops there.  Returns an O_PATH descriptor. */
static int
resolve_walk (int rootfd, const char *path)
{
  struct stat rst;
  if (fstat (rootfd, &rst) < 0)
    return -1;
  cleanup_free char *todo = hako_xstrdup (path);
  int fd = fcntl (rootfd, F_DUPFD_CLOEXEC, 3);
  int links = 0;
  char *rest = todo;
  while (fd >= 0 && rest && *rest)
    {
      char *slash = strchr (rest, '/');
      if (slash)
        *slash = '\0';
      char *comp = rest;
      rest = slash ? slash + 1 : NULL;
      if (comp[0] == '\0' || strcmp (comp, ".") == 0)
        continue;
      struct stat st;
      if (strcmp (comp, "..") == 0)
        {
          if (fstat (fd, &st) < 0)
            break;
          if (st.st_dev == rst.st_dev && st.st_ino == rst.st_ino)
            continue;
          int up = openat (fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
          close (fd);
          fd = up;
          continue;
        }
      int next = openat (fd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0 || fstat (next, &st) < 0)
        {
          int e = errno;
          if (next >= 0)
            close (next);
          close (fd);
          errno = e;
          return -1;
        }
      if (S_ISLNK (st.st_mode))
        {
          char target[PATH_MAX];
          ssize_t n = readlinkat (next, "", target, sizeof target - 1);
          close (next);
          if (n < 0 || ++links > MAX_SYMLINKS)
            {
              close (fd);
              errno = n < 0 ? errno : ELOOP;
              return -1;
            }
          target[n] = '\0';
          char *joined = hako_strdup_printf ("%s/%s", target, rest ? rest : "");
          free (todo);
          todo = joined;
          rest = todo;
          if (target[0] == '/')
            {
              close (fd);
              fd = fcntl (rootfd, F_DUPFD_CLOEXEC, 3);
            }
          continue;
        }
      if (rest && *rest && ! S_ISDIR (st.st_mode))
        {
          close (next);
          close (fd);
          errno = ENOTDIR;
          return -1;
        }
      close (fd);
      fd = next;
    }
  return fd;
}

int
pull_open_in_root (int rootfd, const char *path, int flags, hako_error_t **err)
{
  if (openat2_state == 0)
    openat2_state = getenv ("HAKO_PULL_NO_OPENAT2") ? -1 : 1;
  if (openat2_state > 0)
    {
      struct open_how how
          = { .flags = (uint64_t) (flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
      int fd = (int) syscall (SYS_openat2, rootfd, path, &how, sizeof how);
      if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
        return fd < 0 ? hako_error_sys (err, "open `%s` in the rootfs", path) : fd;
      openat2_state = -1;
    }
  int fd = resolve_walk (rootfd, path);
  if (fd < 0)
    return hako_error_sys (err, "open `%s` in the rootfs", path);
  struct stat st;
  if ((flags & O_DIRECTORY) && (fstat (fd, &st) < 0 || ! S_ISDIR (st.st_mode)))
    {
      close (fd);
      errno = ENOTDIR;
      return hako_error_sys (err, "open `%s` in the rootfs", path);
    }
  if (flags & O_PATH)
    return fd;
  /* Reopen the resolved object itself for reading.  */
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  int rfd = open (proc, (flags & ~(O_NOFOLLOW | O_CREAT | O_EXCL)) | O_CLOEXEC);
  int e = errno;
  close (fd);
  errno = e;
  if (rfd < 0)
    return hako_error_sys (err, "open `%s` in the rootfs", path);
  return rfd;
}

/* ------------------------------------------------------------ removal */

static int
remove_children (int dfd, hako_error_t **err)
{
  int dup = openat (dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0)
    return hako_error_sys (err, "open directory");
  DIR *d = fdopendir (dup);
  if (d == NULL)
    {
      close (dup);
      return hako_error_sys (err, "open directory");
    }
  struct dirent *de;
  int ret = 0;
  while (ret == 0 && (de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      ret = pull_remove_tree_at (dirfd (d), de->d_name, err);
    }
  closedir (d);
  return ret;
}

int
pull_remove_tree_at (int dfd, const char *name, hako_error_t **err)
{
  if (unlinkat (dfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return hako_error_sys (err, "remove `%s`", name);
  cleanup_close int sub = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub < 0)
    return errno == ENOENT ? 0 : hako_error_sys (err, "remove `%s`", name);
  if (remove_children (sub, err) < 0)
    return -1;
  if (unlinkat (dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return hako_error_sys (err, "remove `%s`", name);
  return 0;
}

/* ------------------------------------------------------------ a set of paths */

typedef struct pathset
{
  char **slots;
  size_t cap, n;
} pathset_t;

static uint64_t
hash_str (const char *s)
{
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 1099511628211ull;
  return h;
}

static bool
pathset_has (const pathset_t *s, const char *p)
{
  if (s->cap == 0)
    return false;
  for (size_t i = hash_str (p) & (s->cap - 1);; i = (i + 1) & (s->cap - 1))
    {
      if (s->slots[i] == NULL)
        return false;
      if (strcmp (s->slots[i], p) == 0)
        return true;
    }
}

static void
pathset_add (pathset_t *s, const char *p)
{
  if ((s->n + 1) * 2 > s->cap)
    {
      pathset_t bigger = { .cap = s->cap ? s->cap * 2 : 1024 };
      bigger.slots = hako_xcalloc (bigger.cap, sizeof (char *));
      for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i])
          {
            size_t j = hash_str (s->slots[i]) & (bigger.cap - 1);
            while (bigger.slots[j])
              j = (j + 1) & (bigger.cap - 1);
            bigger.slots[j] = s->slots[i];
          }
      bigger.n = s->n;
      free (s->slots);
      *s = bigger;
    }
  size_t i = hash_str (p) & (s->cap - 1);
  for (; s->slots[i]; i = (i + 1) & (s->cap - 1))
    if (strcmp (s->slots[i], p) == 0)
      return;
  s->slots[i] = hako_xstrdup (p);
  s->n++;
}

static void
pathset_free (pathset_t *s)
{
  for (size_t i = 0; i < s->cap; i++)
    free (s->slots[i]);
  free (s->slots);
}

/* ------------------------------------------------------------ the unpacker */

typedef struct dirtime
{
  char *path;
  struct timespec ts[2];
} dirtime_t;

typedef struct unpacker
{
  int rootfd;
  const char *layer;
  char *parent_path; /* the one cached parent directory */
  int parent_fd;
  pathset_t seen; /* paths this layer made: whiteouts do not touch them */
  dirtime_t *dirtimes;
  size_t n_dirtimes, cap_dirtimes;
  bool root;
  bool xattr_warned;
  unpack_stats_t *stats;
} unpacker_t;

static void
forget_parent (unpacker_t *u)
{
  if (u->parent_fd >= 0)
    close (u->parent_fd);
  u->parent_fd = -1;
  free (u->parent_path);
  u->parent_path = NULL;
}

/* A cleaned relative path: no empty or `.` components, no leading `/`;
   `..` refused.  "" is the root itself.  */
static int
clean_path (const unpacker_t *u, const char *in, char **out, hako_error_t **err)
{
  size_t n = strlen (in);
  char *o = hako_xmalloc (n + 1);
  size_t w = 0;
  const char *p = in;
  while (*p)
    {
      const char *e = strchrnul (p, '/');
      size_t len = (size_t) (e - p);
      if (len == 2 && p[0] == '.' && p[1] == '.')
        {
          free (o);
          return hako_error_set (err, 0, "layer %s: entry `%s` climbs out with `..`: refused", u->layer, in);
        }
      if (len > 0 && ! (len == 1 && p[0] == '.'))
        {
          if (w > 0)
            o[w++] = '/';
          memcpy (o + w, p, len);
          w += len;
        }
      p = *e ? e + 1 : e;
    }
  o[w] = '\0';
  *out = o;
  return 0;
}

/* Make the missing directories of PATH (a cleaned path) inside the root. */
static int
make_parents (unpacker_t *u, const char *path, hako_error_t **err)
{
  cleanup_free char *p = hako_xstrdup (path);
  for (char *s = p;; s++)
    {
      if (*s != '/' && *s != '\0')
        continue;
      char c = *s;
      *s = '\0';
      char *slash = strrchr (p, '/');
      cleanup_close int dfd = -1;
      if (slash)
        {
          *slash = '\0';
          dfd = pull_open_in_root (u->rootfd, p, O_PATH | O_DIRECTORY, err);
          *slash = '/';
          if (dfd < 0)
            return -1;
        }
      const char *base = slash ? slash + 1 : p;
      if (mkdirat (slash ? dfd : u->rootfd, base, 0755) < 0 && errno != EEXIST)
        return hako_error_sys (err, "layer %s: mkdir `%s`", u->layer, p);
      *s = c;
      if (c == '\0')
        return 0;
    }
}

/* The parent directory PARENT (cleaned, "" for the root) as an O_PATH
   descriptor owned by the unpacker; made when missing if CREATE.  */
static int
open_parent (unpacker_t *u, const char *parent, bool create, hako_error_t **err)
{
  if (parent[0] == '\0')
    return u->rootfd;
  if (u->parent_path && strcmp (u->parent_path, parent) == 0)
    return u->parent_fd;
  hako_error_t *e = NULL;
  int fd = pull_open_in_root (u->rootfd, parent, O_PATH | O_DIRECTORY, &e);
  if (fd < 0 && e->status == ENOENT && create)
    {
      hako_error_free (e);
      e = NULL;
      if (make_parents (u, parent, err) < 0)
        return -1;
      fd = pull_open_in_root (u->rootfd, parent, O_PATH | O_DIRECTORY, &e);
    }
  if (fd < 0)
    {
      if (! create && e->status == ENOENT)
        {
          hako_error_free (e);
          return -2;
        }
      *err = e;
      hako_error_prefix (err, "layer %s", u->layer);
      return -1;
    }
  forget_parent (u);
  u->parent_path = hako_xstrdup (parent);
  u->parent_fd = fd;
  return fd;
}

static void
split (char *path, const char **parent, const char **base)
{
  char *slash = strrchr (path, '/');
  if (slash)
    {
      *slash = '\0';
      *parent = path;
      *base = slash + 1;
    }
  else
    {
      *parent = "";
      *base = path;
    }
}

/* ---- whiteouts */

/* Opaque directory DIRPATH: remove what lower layers put in it, keeping
   what this layer made (and, inside directories this layer made, going
   on the same way).  */
static int
opaque_dir (unpacker_t *u, int dfd, const char *dirpath, hako_error_t **err)
{
  int dup = openat (dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0)
    return hako_error_sys (err, "layer %s: open `%s`", u->layer, dirpath);
  DIR *d = fdopendir (dup);
  if (d == NULL)
    {
      close (dup);
      return hako_error_sys (err, "layer %s: open `%s`", u->layer, dirpath);
    }
  struct dirent *de;
  int ret = 0;
  while (ret == 0 && (de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      cleanup_free char *child
          = dirpath[0] ? hako_strdup_printf ("%s/%s", dirpath, de->d_name) : hako_xstrdup (de->d_name);
      if (! pathset_has (&u->seen, child))
        {
          ret = pull_remove_tree_at (dirfd (d), de->d_name, err);
          continue;
        }
      struct stat st;
      if (fstatat (dirfd (d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode))
        {
          cleanup_close int sub = openat (dirfd (d), de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          ret = sub < 0 ? hako_error_sys (err, "layer %s: open `%s`", u->layer, child)
                        : opaque_dir (u, sub, child, err);
        }
    }
  closedir (d);
  return ret;
}

static int
whiteout (unpacker_t *u, const char *parent, const char *base, const char *entry, hako_error_t **err)
{
  bool opaque = strcmp (base, ".wh..wh..opq") == 0;
  const char *victim = base + 4;
  if (! opaque && victim[0] == '\0')
    return hako_error_set (err, 0, "layer %s: whiteout `%s` names nothing", u->layer, entry);
  if (! opaque && (strcmp (victim, ".") == 0 || strcmp (victim, "..") == 0))
    return hako_error_set (err, 0, "layer %s: whiteout `%s` is invalid", u->layer, entry);
  int pfd = open_parent (u, parent, false, err);
  if (pfd == -2)
    return 0; /* nothing below to hide */
  if (pfd < 0)
    return -1;
  if (opaque)
    {
      int ret = opaque_dir (u, pfd, parent, err);
      forget_parent (u);
      return ret;
    }
  cleanup_free char *path = parent[0] ? hako_strdup_printf ("%s/%s", parent, victim) : hako_xstrdup (victim);
  /* layer.md: a whiteout hides only what lower layers had.  */
  if (pathset_has (&u->seen, path))
    return 0;
  int ret = pull_remove_tree_at (pfd, victim, err);
  forget_parent (u);
  if (ret < 0)
    hako_error_prefix (err, "layer %s: whiteout `%s`", u->layer, entry);
  return ret;
}

/* ---- metadata */

static int
apply_xattrs (unpacker_t *u, struct archive_entry *e, int fd, int pfd, const char *base, const char *path,
              hako_error_t **err)
{
  const char *name;
  const void *value;
  size_t size;
  if (archive_entry_xattr_reset (e) == 0)
    return 0;
  while (archive_entry_xattr_next (e, &name, &value, &size) == ARCHIVE_OK)
    {
      int r;
      if (fd >= 0)
        r = fsetxattr (fd, name, value, size, 0);
      else
        {
          char proc[PATH_MAX];
          snprintf (proc, sizeof proc, "/proc/self/fd/%d/%s", pfd, base);
          r = lsetxattr (proc, name, value, size, 0);
        }
      if (r == 0)
        continue;
      if (errno == ENOTSUP || (errno == EPERM && ! u->root))
        {
          if (! u->xattr_warned)
            fprintf (stderr, "hako-pull: warning: layer %s: xattr %s on `%s` not kept: %s\n", u->layer, name, path,
                     strerror (errno));
          u->xattr_warned = true;
          continue;
        }
      return hako_error_sys (err, "layer %s: set xattr %s on `%s`", u->layer, name, path);
    }
  return 0;
}

static void
entry_times (struct archive_entry *e, struct timespec ts[2])
{
  ts[1].tv_sec = archive_entry_mtime (e);
  ts[1].tv_nsec = archive_entry_mtime_nsec (e);
  if (archive_entry_atime_is_set (e))
    {
      ts[0].tv_sec = archive_entry_atime (e);
      ts[0].tv_nsec = archive_entry_atime_nsec (e);
    }
  else
    ts[0] = ts[1];
}

/* Owner, mode, xattrs, times, in that order: chown clears set-id bits and
   file capabilities, so it comes first.  FD is the object (or -1 for a
   symlink or device, reached through PFD/BASE without following).  */
static int
apply_meta (unpacker_t *u, struct archive_entry *e, int fd, int pfd, const char *base, const char *path, bool is_link,
            bool defer_times, hako_error_t **err)
{
  uid_t uid = (uid_t) archive_entry_uid (e);
  gid_t gid = (gid_t) archive_entry_gid (e);
  mode_t mode = archive_entry_perm (e) & 07777;
  if (u->root)
    {
      int r = fd >= 0 ? fchown (fd, uid, gid) : fchownat (pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW);
      if (r < 0)
        return hako_error_sys (err, "layer %s: chown `%s`", u->layer, path);
    }
  if (! is_link)
    {
      int r = fd >= 0 ? fchmod (fd, mode) : fchmodat (pfd, base, mode, 0);
      if (r < 0)
        return hako_error_sys (err, "layer %s: chmod `%s`", u->layer, path);
    }
  if (apply_xattrs (u, e, fd, pfd, base, path, err) < 0)
    return -1;
  struct timespec ts[2];
  entry_times (e, ts);
  if (defer_times)
    {
      if (u->n_dirtimes == u->cap_dirtimes)
        {
          u->cap_dirtimes = u->cap_dirtimes ? u->cap_dirtimes * 2 : 64;
          u->dirtimes = hako_xrealloc (u->dirtimes, u->cap_dirtimes * sizeof (*u->dirtimes));
        }
      u->dirtimes[u->n_dirtimes].path = hako_xstrdup (path);
      memcpy (u->dirtimes[u->n_dirtimes].ts, ts, sizeof ts);
      u->n_dirtimes++;
      return 0;
    }
  int r = fd >= 0 ? futimens (fd, ts) : utimensat (pfd, base, ts, AT_SYMLINK_NOFOLLOW);
  if (r < 0)
    return hako_error_sys (err, "layer %s: set times of `%s`", u->layer, path);
  return 0;
}

/* ---- entries */

static int
write_data (unpacker_t *u, struct archive *a, struct archive_entry *e, int fd, const char *path, hako_error_t **err)
{
  const void *buf;
  size_t size;
  la_int64_t off;
  int64_t end = 0;
  int r;
  while ((r = archive_read_data_block (a, &buf, &size, &off)) == ARCHIVE_OK)
    {
      const char *p = buf;
      for (size_t done = 0; done < size;)
        {
          ssize_t w = pwrite (fd, p + done, size - done, off + (off_t) done);
          if (w < 0 && errno == EINTR)
            continue;
          if (w < 0)
            return hako_error_sys (err, "layer %s: write `%s`", u->layer, path);
          done += (size_t) w;
        }
      if (off + (int64_t) size > end)
        end = off + (int64_t) size;
      u->stats->bytes += size;
      if (PULL_STOP)
        return hako_error_set (err, pull_interrupted ? EINTR : ECANCELED, "interrupted");
    }
  if (r != ARCHIVE_EOF)
    return hako_error_set (err, archive_errno (a), "layer %s: `%s`: %s", u->layer, path, archive_error_string (a));
  /* A sparse file may end in a hole.  */
  if (archive_entry_size_is_set (e) && archive_entry_size (e) > end && ftruncate (fd, archive_entry_size (e)) < 0)
    return hako_error_sys (err, "layer %s: truncate `%s`", u->layer, path);
  return 0;
}

static int
make_hardlink (unpacker_t *u, const char *target_raw, int pfd, const char *base, const char *path, hako_error_t **err)
{
  cleanup_free char *target = NULL;
  if (clean_path (u, target_raw, &target, err) < 0)
    return -1;
  if (strcmp (target, path) == 0)
    return 0;
  if (target[0] == '\0')
    return hako_error_set (err, 0, "layer %s: hard link `%s` to the root", u->layer, path);
  const char *tparent, *tbase;
  cleanup_free char *t = hako_xstrdup (target);
  split (t, &tparent, &tbase);
  cleanup_close int tfd = tparent[0] ? pull_open_in_root (u->rootfd, tparent, O_PATH | O_DIRECTORY, err) : -1;
  if (tparent[0] && tfd < 0)
    {
      hako_error_prefix (err, "layer %s: hard link `%s` -> `%s`", u->layer, path, target);
      return -1;
    }
  if (linkat (tparent[0] ? tfd : u->rootfd, tbase, pfd, base, 0) < 0)
    return hako_error_sys (err, "layer %s: hard link `%s` -> `%s`", u->layer, path, target);
  return 0;
}

/* Make room for ENTRY at PARENT/BASE: whatever is there goes, unless both
   are directories (merged) or it is a hard link to itself.  *PFD may be
   reopened.  Returns 1 when the entry needs nothing more.  */
static int
make_room (unpacker_t *u, const char *parent, const char *base, const char *path, mode_t type, const char *hardlink,
           int *pfd, bool *exists, hako_error_t **err)
{
  struct stat st;
  *exists = fstatat (*pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (! *exists || (type == AE_IFDIR && hardlink == NULL && S_ISDIR (st.st_mode)))
    return 0;
  if (hardlink)
    {
      cleanup_free char *t = NULL;
      if (clean_path (u, hardlink, &t, err) < 0)
        return -1;
      if (strcmp (t, path) == 0)
        return 1;
    }
  if (pull_remove_tree_at (*pfd, base, err) < 0)
    {
      hako_error_prefix (err, "layer %s: replace `%s`", u->layer, path);
      return -1;
    }
  *exists = false;
  if (S_ISDIR (st.st_mode) || S_ISLNK (st.st_mode))
    {
      /* The cached parent may have been reached through it.  */
      cleanup_free char *keep = hako_xstrdup (parent);
      forget_parent (u);
      *pfd = open_parent (u, keep, true, err);
      if (*pfd < 0)
        return -1;
    }
  return 0;
}

static int
apply_entry (unpacker_t *u, struct archive *a, struct archive_entry *e, hako_error_t **err)
{
  const char *raw = archive_entry_pathname (e);
  if (raw == NULL)
    return hako_error_set (err, 0, "layer %s: entry without a name", u->layer);
  cleanup_free char *path = NULL;
  if (clean_path (u, raw, &path, err) < 0)
    return -1;
  mode_t type = archive_entry_filetype (e);
  const char *hardlink = archive_entry_hardlink (e);
  u->stats->entries++;

  if (path[0] == '\0')
    {
      /* The root directory's own entry: its owner and mode.  */
      if (type != AE_IFDIR)
        return hako_error_set (err, 0, "layer %s: the root entry `%s` is not a directory", u->layer, raw);
      cleanup_close int rfd = openat (u->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (rfd < 0)
        return hako_error_sys (err, "layer %s: open the rootfs", u->layer);
      return apply_meta (u, e, rfd, -1, NULL, "/", false, false, err);
    }

  cleanup_free char *split_buf = hako_xstrdup (path);
  const char *parent, *base;
  split (split_buf, &parent, &base);
  if (strncmp (base, ".wh.", 4) == 0)
    return whiteout (u, parent, base, raw, err);

  int pfd = open_parent (u, parent, true, err);
  if (pfd < 0)
    return -1;
  pathset_add (&u->seen, path);

  bool exists;
  int room = make_room (u, parent, base, path, type, hardlink, &pfd, &exists, err);
  if (room != 0)
    return room < 0 ? -1 : 0;

  if (hardlink)
    return make_hardlink (u, hardlink, pfd, base, path, err);

  mode_t perm = archive_entry_perm (e) & 07777;
  switch (type)
    {
    case AE_IFREG:
      {
        cleanup_close int fd = openat (pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
          return hako_error_sys (err, "layer %s: create `%s`", u->layer, path);
        if (write_data (u, a, e, fd, path, err) < 0)
          return -1;
        return apply_meta (u, e, fd, pfd, base, path, false, false, err);
      }
    case AE_IFDIR:
      {
        if (! exists && mkdirat (pfd, base, 0700) < 0)
          return hako_error_sys (err, "layer %s: mkdir `%s`", u->layer, path);
        cleanup_close int fd = openat (pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
          return hako_error_sys (err, "layer %s: open `%s`", u->layer, path);
        return apply_meta (u, e, fd, pfd, base, path, false, true, err);
      }
    case AE_IFLNK:
      {
        const char *target = archive_entry_symlink (e);
        if (target == NULL || target[0] == '\0')
          return hako_error_set (err, 0, "layer %s: symlink `%s` without a target", u->layer, path);
        if (symlinkat (target, pfd, base) < 0)
          return hako_error_sys (err, "layer %s: symlink `%s`", u->layer, path);
        return apply_meta (u, e, -1, pfd, base, path, true, false, err);
      }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
      {
        if (type != AE_IFIFO && ! u->root)
          {
            u->stats->skipped_devices++;
            return 0;
          }
        dev_t dev = makedev (archive_entry_rdevmajor (e), archive_entry_rdevminor (e));
        if (mknodat (pfd, base, (type == AE_IFCHR ? S_IFCHR : type == AE_IFBLK ? S_IFBLK : S_IFIFO) | perm, dev) < 0)
          return hako_error_sys (err, "layer %s: mknod `%s`", u->layer, path);
        return apply_meta (u, e, -1, pfd, base, path, false, false, err);
      }
    default:
      return hako_error_set (err, 0, "layer %s: `%s` has an unsupported file type (0%o)", u->layer, path,
                             (unsigned) type);
    }
}

static void
apply_dirtimes (unpacker_t *u)
{
  /* Deepest last-made first does not matter: setting a directory's times
     no longer changes its parent's.  */
  for (size_t i = u->n_dirtimes; i-- > 0;)
    {
      hako_error_t *e = NULL;
      int fd = pull_open_in_root (u->rootfd, u->dirtimes[i].path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, &e);
      hako_error_free (e);
      if (fd >= 0)
        {
          futimens (fd, u->dirtimes[i].ts);
          close (fd);
        }
      free (u->dirtimes[i].path);
    }
  free (u->dirtimes);
}

/* ------------------------------------------------------------ reading the blob */

typedef struct blob_reader
{
  int fd;
  pull_stream_t *stream; /* NULL: the file is complete */
  pull_hasher_t *hasher;
  unsigned char *buf;
  int64_t total;
  int64_t size;
  pull_progress_t prog;
} blob_reader_t;

/* Wait until the download has written past what was read, finished or
   failed.  Returns 1 for more bytes, 0 at the end, -1 (errno set) when
   the download failed or the pull is stopping.  */
static int
stream_wait (blob_reader_t *r)
{
  pull_stream_t *st = r->stream;
  /* Wake for a full buffer (or the end), not for each network chunk.  */
  int64_t want = r->total + READ_BUF < r->size ? r->total + READ_BUF : r->size;
  pthread_mutex_lock (&st->lock);
  while (! st->done && ! st->failed && st->written < want && ! PULL_STOP)
    {
      /* A signal does not wake a condition wait: look again now and then. */
      struct timespec ts;
      clock_gettime (CLOCK_REALTIME, &ts);
      ts.tv_nsec += 100 * 1000 * 1000;
      if (ts.tv_nsec >= 1000000000L)
        {
          ts.tv_sec++;
          ts.tv_nsec -= 1000000000L;
        }
      pthread_cond_timedwait (&st->cond, &st->lock, &ts);
    }
  int ret = st->failed || PULL_STOP ? -1 : st->written > r->total ? 1 : 0;
  pthread_mutex_unlock (&st->lock);
  if (ret < 0)
    errno = pull_interrupted ? EINTR : ECANCELED;
  return ret;
}

/* read(2) the blob, hashing it; 0 at its end, -1 with errno.  */
static ssize_t
reader_next (blob_reader_t *r)
{
  for (;;)
    {
      if (PULL_STOP)
        {
          errno = pull_interrupted ? EINTR : ECANCELED;
          return -1;
        }
      ssize_t n = read (r->fd, r->buf, READ_BUF);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0 && r->stream)
        {
          int w = stream_wait (r);
          if (w < 0)
            return -1;
          if (w > 0)
            continue;
        }
      r->total += n;
      if (r->total > r->size)
        {
          errno = EFBIG;
          return -1;
        }
      pull_hasher_update (r->hasher, r->buf, (size_t) n);
      return n;
    }
}

static const char *
reader_error (int e)
{
  return e == EFBIG       ? "the blob is larger than its descriptor says"
         : e == ECANCELED ? "stopped (the download failed)"
         : e == EINTR     ? "interrupted"
                          : "read blob";
}

static la_ssize_t
reader_read (struct archive *a, void *user, const void **buf)
{
  blob_reader_t *r = user;
  ssize_t n = reader_next (r);
  if (n < 0)
    {
      archive_set_error (a, errno, "%s", reader_error (errno));
      return -1;
    }
  progress_update (&r->prog, r->total);
  *buf = r->buf;
  return n;
}

/* Hash what libarchive left unread (tar padding, trailing zeros).  */
static int
reader_drain (blob_reader_t *r, hako_error_t **err)
{
  for (;;)
    {
      ssize_t n = reader_next (r);
      if (n < 0)
        return hako_error_sys (err, "%s", reader_error (errno));
      if (n == 0)
        return 0;
    }
}

static int
setup_filter (struct archive *a, const char *mt, hako_error_t **err)
{
  if (strstr (mt, "+gzip") || strcmp (mt, "application/vnd.docker.image.rootfs.diff.tar.gzip") == 0
      || strcmp (mt, "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip") == 0)
    return archive_read_support_filter_gzip (a) == ARCHIVE_OK ? 0 : hako_error_set (err, 0, "libarchive: no gzip");
  if (strstr (mt, "+zstd"))
    return archive_read_support_filter_zstd (a) == ARCHIVE_OK ? 0 : hako_error_set (err, 0, "libarchive: no zstd");
  if (strstr (mt, "+") == NULL && strstr (mt, "tar"))
    return 0;
  return hako_error_set (err, 0, "unsupported layer media type %s", mt);
}

int
unpack_layer (int rootfd, const char *blob_path, const hako_img_descriptor *d, pull_stream_t *stream, bool progress,
              unpack_stats_t *stats, hako_error_t **err)
{
  cleanup_close int fd = open (blob_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return hako_error_sys (err, "layer %s: open `%s`", d->digest, blob_path);
  blob_reader_t r = { .fd = fd, .size = d->size, .stream = stream };
  r.hasher = pull_hasher_new (d->digest);
  r.buf = hako_xmalloc (READ_BUF);
  progress_start (&r.prog, progress, "extracting", d->digest, d->size);
  unpacker_t u = { .rootfd = rootfd, .layer = d->digest, .parent_fd = -1, .root = geteuid () == 0, .stats = stats };

  struct archive *a = archive_read_new ();
  archive_read_support_format_tar (a);
  int ret = setup_filter (a, d->media_type, err);
  if (ret == 0 && archive_read_open (a, &r, NULL, reader_read, NULL) != ARCHIVE_OK)
    ret = hako_error_set (err, archive_errno (a), "layer %s: %s", d->digest, archive_error_string (a));
  while (ret == 0)
    {
      struct archive_entry *e;
      int rc = archive_read_next_header (a, &e);
      if (rc == ARCHIVE_EOF)
        break;
      if (rc < ARCHIVE_WARN)
        {
          ret = hako_error_set (err, archive_errno (a) > 0 ? archive_errno (a) : 0, "layer %s: %s", d->digest,
                                archive_error_string (a));
          break;
        }
      ret = apply_entry (&u, a, e, err);
    }
  if (ret == 0)
    ret = reader_drain (&r, err);
  archive_read_free (a);
  forget_parent (&u);
  if (ret == 0)
    apply_dirtimes (&u);
  else
    {
      for (size_t i = 0; i < u.n_dirtimes; i++)
        free (u.dirtimes[i].path);
      free (u.dirtimes);
    }
  pathset_free (&u.seen);
  /* Whatever went wrong, a blob that is not what its digest says is the
     cause to report (a damaged cache, a tampered layout).  */
  bool drained = ret == 0 || ! PULL_STOP;
  if (ret < 0 && drained)
    {
      hako_error_t *e = NULL;
      drained = reader_drain (&r, &e) == 0;
      hako_error_free (e);
    }
  free (r.buf);
  if (drained)
    {
      cleanup_free char *got = pull_hasher_finish (TAKE_PTR (r.hasher));
      const char *why = r.total != d->size ? "size mismatch" : strcmp (got, d->digest) != 0 ? "digest mismatch" : NULL;
      if (why)
        {
          stats->blob_damaged = true;
          hako_error_free (*err);
          *err = NULL;
          ret = hako_error_set (err, 0, "layer %s: %s: the blob has %lld bytes (of %lld) hashing to %s", d->digest, why,
                                (long long) r.total, (long long) d->size, got);
        }
    }
  pull_hasher_free (r.hasher);
  if (ret == 0)
    progress_finish (&r.prog, "extracted");
  else if (progress)
    fputc ('\n', stderr);
  return ret;
}
