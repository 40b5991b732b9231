/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: nothing from config.json; owns <root>/<id>.  */
#include <config.h>

#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cleanup.h"
#include "log.h"

#define HAKO_ID_MAX 1024

const char *
hako_status_name (enum hako_status s)
{
  switch (s)
    {
    case HAKO_STATUS_CREATING:
      return "creating";
    case HAKO_STATUS_CREATED:
      return "created";
    case HAKO_STATUS_RUNNING:
      return "running";
    case HAKO_STATUS_PAUSED:
      return "paused";
    case HAKO_STATUS_STOPPED:
      return "stopped";
    }
  return "unknown";
}

/* The same alphabet as runc and crun, and never "." or "..": an id is a
   single path component under the root and a cgroup name.  */
int
hako_validate_id (const char *id, hako_error_t **err)
{
  if (id == NULL || *id == '\0')
    return hako_error_set (err, 0, "container id cannot be empty");
  size_t n = strlen (id);
  if (n > HAKO_ID_MAX || n > 250)
    return hako_error_set (err, 0, "invalid container id `%.32s…`: longer than 250 characters", id);
  if (id[0] == '.')
    return hako_error_set (err, 0, "invalid container id `%s`: it may not start with `.`", id);
  for (const char *p = id; *p; p++)
    {
      char c = *p;
      if (! ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '+'
             || c == '-' || c == '.'))
        return hako_error_set (err, 0, "invalid container id `%s`: only [A-Za-z0-9_+.-] are allowed", id);
    }
  return 0;
}

int
hako_state_root_ensure (const char *root, hako_error_t **err)
{
  if (mkdir (root, 0700) == 0 || errno == EEXIST)
    return 0;
  if (errno != ENOENT)
    return hako_error_sys (err, "create state directory `%s`", root);
  /* Create missing parents too.  */
  cleanup_free char *copy = hako_xstrdup (root);
  for (char *p = copy + 1; *p; p++)
    {
      if (*p != '/')
        continue;
      *p = '\0';
      if (mkdir (copy, 0755) < 0 && errno != EEXIST)
        return hako_error_sys (err, "create state directory `%s`", copy);
      *p = '/';
    }
  if (mkdir (root, 0700) < 0 && errno != EEXIST)
    return hako_error_sys (err, "create state directory `%s`", root);
  return 0;
}

static hako_container_dir_t *
dir_new (const char *root, const char *id, int fd)
{
  hako_container_dir_t *d = hako_xcalloc (1, sizeof (*d));
  d->id = hako_xstrdup (id);
  d->path = hako_strdup_printf ("%s/%s", root, id);
  d->dirfd = fd;
  return d;
}

enum claim_check
{
  CLAIM_OURS,    /* empty: ours to fill */
  CLAIM_REMOVED, /* a delete --force took the empty directory between our
                    mkdirat and our lock */
  CLAIM_TAKEN,   /* the name was made anew by another create and our openat
                    found that one, which its owner filled under the lock */
  CLAIM_ERROR,   /* errno */
};

/* What the directory we made as the id, then opened and locked, is.  One
   getdents64 on a small buffer: a third entry always fits.  */
static enum claim_check
claim_check (int fd)
{
  char buf[1024] __attribute__ ((aligned (8)));
  ssize_t n = getdents64 (fd, buf, sizeof buf);
  if (n < 0)
    return errno == ENOENT ? CLAIM_REMOVED : CLAIM_ERROR; /* a removed directory reads as ENOENT */
  for (ssize_t off = 0; off < n;)
    {
      const struct dirent64 *de = (const struct dirent64 *) (buf + off);
      if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
        return CLAIM_TAKEN;
      off += de->d_reclen;
    }
  return CLAIM_OURS;
}

/* mkdirat, then openat by name, then flock: until the lock is held a
   delete --force may remove the empty directory, and another create may
   make the name anew; the directory we locked is then checked.
   Nothing here removes by name: what we did not lock is not ours.  */
int
hako_state_claim (const char *root, const char *id, hako_container_dir_t **out, hako_error_t **err)
{
  if (hako_validate_id (id, err) < 0)
    return -1;
  if (hako_state_root_ensure (root, err) < 0)
    return -1;
  cleanup_close int rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return hako_error_sys (err, "open state directory `%s`", root);
  for (int attempt = 0; attempt < 100; attempt++)
    {
      if (mkdirat (rootfd, id, 0700) < 0)
        {
          if (errno == EEXIST)
            return hako_error_set (err, EEXIST, "container `%s` already exists", id);
          return hako_error_sys (err, "create state directory `%s/%s`", root, id);
        }
      int fd = openat (rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0)
        {
          if (errno == ENOENT)
            continue;
          return hako_error_sys (err, "open state directory `%s/%s`", root, id);
        }
      hako_container_dir_t *d = dir_new (root, id, fd);
      if (hako_state_lock (d, err) < 0)
        {
          hako_state_close (d);
          return -1;
        }
      enum claim_check c = claim_check (fd);
      if (c == CLAIM_OURS)
        {
          *out = d;
          return 0;
        }
      int saved = errno;
      hako_state_close (d);
      if (c == CLAIM_TAKEN)
        return hako_error_set (err, EEXIST, "container `%s` already exists", id);
      if (c == CLAIM_ERROR)
        return hako_error_set (err, saved, "read state directory `%s/%s`", root, id);
    }
  return hako_error_set (err, EAGAIN,
                         "container `%s`: its state directory was removed by others 100 times while we claimed it", id);
}

int
hako_state_lock (hako_container_dir_t *d, hako_error_t **err)
{
  if (d->locked)
    return 0;
  while (flock (d->dirfd, LOCK_EX) < 0)
    if (errno != EINTR)
      return hako_error_sys (err, "lock container `%s`", d->id);
  d->locked = true;
  return 0;
}

bool
hako_state_lock_busy (hako_container_dir_t *d)
{
  if (d->locked)
    return false;
  if (flock (d->dirfd, LOCK_SH | LOCK_NB) < 0)
    return errno == EWOULDBLOCK;
  flock (d->dirfd, LOCK_UN);
  return false;
}

int
hako_state_open (const char *root, const char *id, bool lock, hako_container_dir_t **out, hako_error_t **err)
{
  if (hako_validate_id (id, err) < 0)
    return -1;
  cleanup_free char *path = hako_strdup_printf ("%s/%s", root, id);
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    {
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
        return hako_error_set (err, ENOENT, "container `%s` does not exist", id);
      return hako_error_sys (err, "open state directory `%s`", path);
    }
  hako_container_dir_t *d = dir_new (root, id, fd);
  if (lock)
    {
      if (hako_state_lock (d, err) < 0)
        {
          hako_state_close (d);
          return -1;
        }
      /* A delete may have removed the directory while we waited.  */
      struct stat st;
      if (fstat (fd, &st) < 0 || st.st_nlink == 0)
        {
          hako_state_close (d);
          return hako_error_set (err, ENOENT, "container `%s` does not exist", id);
        }
    }
  *out = d;
  return 0;
}

void
hako_state_close (hako_container_dir_t *d)
{
  if (d == NULL)
    return;
  if (d->dirfd >= 0)
    close (d->dirfd); /* releases the lock */
  free (d->id);
  free (d->path);
  free (d);
}

hako_spec_config *
hako_state_config (const hako_container_dir_t *d, hako_error_t **err)
{
  cleanup_free char *name = hako_strdup_printf ("%s/%s", d->path, HAKO_CONFIG_FILE);
  hako_error_t *e = NULL;
  hako_spec_config *config = hako_spec_config_parse_file (name, &e);
  if (err)
    *err = e;
  else
    hako_error_free (e);
  return config;
}

int
hako_state_read (hako_container_dir_t *d, hako_st_record **out, hako_error_t **err)
{
  cleanup_close int fd = openat (d->dirfd, HAKO_STATE_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return hako_error_set (err, ENOENT, "container `%s`: no state recorded", d->id);
      return hako_error_sys (err, "open `%s/%s`", d->path, HAKO_STATE_FILE);
    }
  size_t len;
  cleanup_free char *name = hako_strdup_printf ("%s/%s", d->path, HAKO_STATE_FILE);
  cleanup_free char *data = hako_json_read_fd (fd, name, &len, err);
  if (data == NULL)
    return -1;
  *out = hako_st_record_parse_data (data, len, name, err);
  return *out ? 0 : -1;
}

int
hako_state_write_file (hako_container_dir_t *d, const char *name, const char *data, size_t len, hako_error_t **err)
{
  char tmp[64];
  snprintf (tmp, sizeof tmp, ".%s.%d", name, (int) getpid ());
  cleanup_close int fd = openat (d->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return hako_error_sys (err, "write `%s/%s`", d->path, name);
  const char *p = data;
  size_t left = len;
  while (left > 0)
    {
      ssize_t w = write (fd, p, left);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        {
          int saved = errno;
          unlinkat (d->dirfd, tmp, 0);
          return hako_error_set (err, saved, "write `%s/%s`", d->path, name);
        }
      p += w;
      left -= (size_t) w;
    }
  if (fsync (fd) < 0 && errno != EINVAL)
    {
      int saved = errno;
      unlinkat (d->dirfd, tmp, 0);
      return hako_error_set (err, saved, "sync `%s/%s`", d->path, name);
    }
  if (renameat (d->dirfd, tmp, d->dirfd, name) < 0)
    {
      int saved = errno;
      unlinkat (d->dirfd, tmp, 0);
      return hako_error_set (err, saved, "rename into `%s/%s`", d->path, name);
    }
  return 0;
}

int
hako_state_write (hako_container_dir_t *d, const hako_st_record *rec, hako_error_t **err)
{
  size_t len;
  cleanup_free char *json = hako_st_record_to_json (rec, 0, &len, err);
  if (json == NULL)
    return -1;
  return hako_state_write_file (d, HAKO_STATE_FILE, json, len, err);
}

int
hako_state_remove (hako_container_dir_t *d, hako_error_t **err)
{
  cleanup_dir DIR *dir = NULL;
  int fd = dup (d->dirfd);
  if (fd >= 0)
    dir = fdopendir (fd);
  if (dir != NULL)
    {
      struct dirent *de;
      rewinddir (dir); /* the offset is shared with the claim's getdents */
      while ((de = readdir (dir)) != NULL)
        {
          if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
            continue;
          if (unlinkat (d->dirfd, de->d_name, 0) < 0 && errno == EISDIR)
            unlinkat (d->dirfd, de->d_name, AT_REMOVEDIR);
        }
    }
  else if (fd >= 0)
    close (fd);
  /* By name only while the name is still our directory: once it is gone
     (another remover, or the claim it was made for lost the race), the
     name may be a newer container's, whose empty directory is not ours to
     take.  Every remover holds the lock of what it removes, so the name
     cannot change between the check and the rmdir.  */
  struct stat self, named;
  if (fstat (d->dirfd, &self) < 0)
    return hako_error_sys (err, "remove `%s`", d->path);
  if (self.st_nlink == 0)
    return 0;
  if (lstat (d->path, &named) < 0)
    return errno == ENOENT ? 0 : hako_error_sys (err, "remove `%s`", d->path);
  if (named.st_dev != self.st_dev || named.st_ino != self.st_ino)
    return 0;
  if (rmdir (d->path) < 0 && errno != ENOENT)
    return hako_error_sys (err, "remove `%s`", d->path);
  return 0;
}

/* Field 22 of /proc/<pid>/stat; also tells a zombie (state Z or X).  */
static int
read_stat (pid_t pid, unsigned long long *start, char *state)
{
  char path[64], buf[1024];
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  /* The command name may hold spaces and parentheses: skip to the last ')'. */
  char *p = strrchr (buf, ')');
  if (p == NULL || p[1] == '\0')
    return -1;
  p += 2;
  *state = *p;
  /* p is at field 3; advance to field 22.  */
  for (int field = 3; field < 22; field++)
    {
      p = strchr (p, ' ');
      if (p == NULL)
        return -1;
      p++;
    }
  *start = strtoull (p, NULL, 10);
  return 0;
}

int
hako_process_start_time (pid_t pid, unsigned long long *out)
{
  char st;
  return read_stat (pid, out, &st);
}

bool
hako_process_alive (pid_t pid, unsigned long long start_time)
{
  unsigned long long st;
  char state;
  if (pid <= 0 || read_stat (pid, &st, &state) < 0)
    return false;
  if (start_time != 0 && st != start_time)
    return false;
  return state != 'Z' && state != 'X' && state != 'x';
}

enum hako_status
hako_state_status (hako_container_dir_t *d, const hako_st_record *rec)
{
  if (rec->pid <= 0)
    return hako_state_lock_busy (d) ? HAKO_STATUS_CREATING : HAKO_STATUS_STOPPED;
  if (! hako_process_alive ((pid_t) rec->pid, rec->pid_start))
    return HAKO_STATUS_STOPPED;
  if (faccessat (d->dirfd, HAKO_CREATING_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return HAKO_STATUS_CREATING;
  if (faccessat (d->dirfd, HAKO_START_SOCKET, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return HAKO_STATUS_CREATED;
  if (hako_cgroup_is_frozen (rec->cgroup))
    return HAKO_STATUS_PAUSED;
  return HAKO_STATUS_RUNNING;
}

char *
hako_rfc3339_now (void)
{
  struct timespec ts;
  struct tm tm;
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  char buf[80];
  size_t n = strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf + n, sizeof buf - n, ".%09ldZ", ts.tv_nsec);
  return hako_xstrdup (buf);
}
