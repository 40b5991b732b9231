/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: linux.cgroupsPath, linux.resources (through the v1 and v2
   writers).  The cgroupfs manager for v1, v2 and hybrid hosts.  */
#include <config.h>

#include "cgroup.h"

#include <dirent.h>
#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "cleanup.h"
#include "log.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CGROUP_ROOT HAKO_CGROUP_ROOT

enum hako_cgroup_layout
hako_cgroup_layout (void)
{
  static int cached = -1;
  if (cached >= 0)
    return (enum hako_cgroup_layout) cached;
  struct statfs sf;
  if (statfs (CGROUP_ROOT, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
    cached = HAKO_CGROUP_V2;
  else if (statfs (CGROUP_ROOT "/unified", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
    cached = HAKO_CGROUP_HYBRID;
  else
    cached = HAKO_CGROUP_V1;
  return (enum hako_cgroup_layout) cached;
}

const char *
hako_cgroup_layout_name (enum hako_cgroup_layout l)
{
  return l == HAKO_CGROUP_V2 ? "v2" : l == HAKO_CGROUP_HYBRID ? "hybrid" : "v1";
}

int
hako_cgroup_write (const char *dir, const char *file, const char *value, hako_error_t **err)
{
  char path[4096];
  snprintf (path, sizeof path, "%s/%s", dir, file);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return hako_error_sys (err, "open `%s`", path);
  size_t len = strlen (value);
  if (write (fd, value, len) != (ssize_t) len)
    return hako_error_sys (err, "write `%s` to `%s`", value, path);
  return 0;
}

int
hako_cgroup_read (const char *dir, const char *file, char **out, hako_error_t **err)
{
  char path[4096];
  snprintf (path, sizeof path, "%s/%s", dir, file);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return hako_error_sys (err, "open `%s`", path);
  size_t cap = 4096, len = 0;
  char *buf = hako_xmalloc (cap);
  for (;;)
    {
      if (len + 1 >= cap)
        buf = hako_xrealloc (buf, cap *= 2);
      ssize_t n = read (fd, buf + len, cap - len - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          free (buf);
          return hako_error_sys (err, "read `%s`", path);
        }
      if (n == 0)
        break;
      len += (size_t) n;
    }
  buf[len] = '\0';
  *out = buf;
  return 0;
}

int
hako_cgroup_set (const char *dir, const char *file, const char *value, const char *field, hako_error_t **err)
{
  char path[4096];
  snprintf (path, sizeof path, "%s/%s", dir, file);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  size_t len = strlen (value);
  if (fd >= 0 && write (fd, value, len) == (ssize_t) len)
    return 0;
  if (field)
    return hako_error_sys (err, "%s: write `%s` to `%s`", field, value, path);
  return hako_error_sys (err, "write `%s` to `%s`", value, path);
}

int
hako_cgroup_set_i64 (const char *dir, const char *file, int64_t v, const char *field, hako_error_t **err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%" PRId64, v);
  return hako_cgroup_set (dir, file, buf, field, err);
}

int
hako_cgroup_read_u64 (const char *dir, const char *file, uint64_t *out)
{
  char path[4096], buf[64];
  snprintf (path, sizeof path, "%s/%s", dir, file);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  if (strncmp (buf, "max", 3) == 0)
    *out = UINT64_MAX;
  else
    *out = strtoull (buf, NULL, 10);
  return 0;
}

bool
hako_cgroup_file_exists (const char *dir, const char *file)
{
  char path[4096];
  snprintf (path, sizeof path, "%s/%s", dir, file);
  return access (path, F_OK) == 0;
}

unsigned long long
hako_cgroup_shares_to_weight (unsigned long long shares)
{
  if (shares == 0)
    return 0;
  if (shares <= 2)
    return 1;
  if (shares >= 262144)
    return 10000;
  double l = log2 ((double) shares);
  double exponent = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
  return (unsigned long long) ceil (pow (10.0, exponent));
}

/* The container's cgroup path relative to each hierarchy root.  */
static char *
container_path (const struct hako_cgroup_request *req, hako_error_t **err)
{
  const char *p = req->cgroups_path;
  if (p == NULL || p[0] == '\0')
    return hako_strdup_printf ("/hako/%s", req->id);
  /* Never let a path climb out of the hierarchy.  */
  for (const char *s = p; (s = strstr (s, "..")) != NULL; s += 2)
    if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
      {
        hako_error_set (err, 0, "linux.cgroupsPath: `%s` may not contain `..`", p);
        return NULL;
      }
  if (p[0] == '/')
    return hako_xstrdup (p);
  return hako_strdup_printf ("/hako/%s", p);
}

/* mkdir -p below ROOT.  The leaf first: its parent usually exists.  */
int
hako_cgroup_mkdir (const char *root, const char *rel, bool *created, hako_error_t **err)
{
  cleanup_free char *path = hako_strdup_printf ("%s%s", root, rel);
  *created = false;
  if (mkdir (path, 0755) == 0)
    {
      *created = true;
      return 0;
    }
  if (errno == EEXIST)
    return 0;
  if (errno != ENOENT)
    return hako_error_sys (err, "create cgroup `%s`", path);
  for (char *s = path + strlen (root) + 1; *s; s++)
    {
      if (*s != '/')
        continue;
      *s = '\0';
      if (mkdir (path, 0755) < 0 && errno != EEXIST)
        return hako_error_sys (err, "create cgroup `%s`", path);
      *s = '/';
    }
  if (mkdir (path, 0755) < 0 && errno != EEXIST)
    return hako_error_sys (err, "create cgroup `%s`", path);
  *created = true;
  return 0;
}

/* Whether DIR (a v2 cgroup, or any v1 one) has processes, or is frozen:
   runc refuses such a cgroup at create, and so do we.  */
static const char *
unfit (const char *dir, bool v2)
{
  cleanup_free char *s = NULL;
  if (v2)
    {
      if (hako_cgroup_read (dir, "cgroup.events", &s, NULL) == 0)
        {
          if (strstr (s, "populated 1"))
            return "it already has processes";
          if (strstr (s, "frozen 1"))
            return "it is frozen";
        }
      return NULL;
    }
  if (hako_cgroup_read (dir, "cgroup.procs", &s, NULL) == 0 && s[0] != '\0')
    return "it already has processes";
  return NULL;
}

/* Remove DIR and every sub-cgroup a container made below it; the usual
   case (no sub-cgroups) is a single rmdir.  */
int
hako_cgroup_rmdir_tree (const char *dir)
{
  if (rmdir (dir) == 0 || errno == ENOENT)
    return 0;
  if (errno != EBUSY && errno != ENOTEMPTY)
    return -1;
  {
    cleanup_dir DIR *d = opendir (dir);
    if (d == NULL)
      return errno == ENOENT ? 0 : -1;
    struct dirent *de;
    while ((de = readdir (d)) != NULL)
      {
        if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
          continue;
        cleanup_free char *sub = hako_strdup_printf ("%s/%s", dir, de->d_name);
        hako_cgroup_rmdir_tree (sub);
      }
  }
  /* A cgroup whose last process just exited may report EBUSY briefly. */
  for (int i = 0; i < 200; i++)
    {
      if (rmdir (dir) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY)
        return -1;
      usleep (1000);
    }
  return -1;
}

static bool
permission_error (const hako_error_t *e)
{
  return e && (e->status == EACCES || e->status == EPERM || e->status == EROFS);
}

int
hako_cgroup_create (const struct hako_cgroup_request *req, hako_st_cgroup **out, hako_error_t **err)
{
  *out = NULL;
  enum hako_cgroup_layout layout = hako_cgroup_layout ();
  if (req->resources && hako_cgroup_validate (req->resources, layout, err) < 0)
    return -1;
  if (req->disabled)
    {
      /* No cgroup at all: limits could not hold, device rules have
         nothing to live in (the /dev hako makes holds only the listed
         devices anyway).  */
      if (req->resources && (hako_cgroup_sections (req->resources) & ~(unsigned) CG_DEVICES))
        return hako_error_set (err, EINVAL,
                               "linux.resources: limits need a cgroup, and --cgroup-manager is `disabled`");
      hako_debug ("--cgroup-manager disabled: the container gets no cgroup");
      return 0;
    }
  if (req->systemd)
    return hako_cgroup_systemd_create (req, out, err);
  cleanup_free char *rel = container_path (req, err);
  if (rel == NULL)
    return -1;
  hako_st_cgroup *cg = hako_xcalloc (1, sizeof (*cg));
  cg->manager = hako_xstrdup ("cgroupfs");
  cg->layout = hako_xstrdup (hako_cgroup_layout_name (layout));
  cg->path = hako_xstrdup (rel);
  bool created = false;
  int rc = 0;
  const char *probe_dir = NULL;
  if (layout == HAKO_CGROUP_V2)
    {
      cg->unified_path = hako_strdup_printf ("%s%s", CGROUP_ROOT, rel);
      rc = hako_cgroup_v2_prepare (CGROUP_ROOT, rel, &created, err);
      probe_dir = cg->unified_path;
    }
  else
    {
      rc = hako_cgroup_v1_prepare (cg, rel, req->rootless, &created, err);
      if (rc == 0 && layout == HAKO_CGROUP_HYBRID)
        {
          bool c2 = false;
          /* The hybrid host's cgroup2 is for what v1 lacks (`unified`,
             a controller only it has) and for cgroup.kill: a failure to
             use it is not fatal.  */
          if (hako_cgroup_mkdir (CGROUP_ROOT "/unified", rel, &c2, NULL) == 0)
            cg->unified_path = hako_strdup_printf ("%s/unified%s", CGROUP_ROOT, rel);
          created = created || c2;
        }
      if (rc == 0 && cg->paths->len)
        probe_dir = cg->paths->values[0];
    }
  cg->created = created;
  cg->has_created = true;
  if (rc == 0 && ! created && probe_dir)
    {
      const char *why = unfit (probe_dir, layout == HAKO_CGROUP_V2);
      if (why)
        rc = hako_error_set (err, EBUSY, "linux.cgroupsPath: cannot use the existing cgroup `%s`: %s", rel, why);
    }
  if (rc == 0 && req->resources)
    rc = hako_cgroup_update (cg, req->resources, err);
  if (rc < 0)
    {
      if (created)
        hako_cgroup_destroy (cg, NULL);
      hako_st_cgroup_free (cg);
      bool limits = req->resources && (hako_cgroup_sections (req->resources) & ~(unsigned) CG_DEVICES);
      if (req->rootless && permission_error (*err) && limits)
        hako_error_prefix (err, "rootless: cannot apply linux.resources");
      else if (req->rootless && permission_error (*err))
        {
          /* crun's rule: without limits to apply, a rootless container
             runs in the caller's cgroup when it may not make its own.  */
          hako_warn ("rootless: cannot use cgroups (%s): running without", (*err)->msg);
          hako_error_free (*err);
          *err = NULL;
          return 0;
        }
      return -1;
    }
  *out = cg;
  return 0;
}

void
hako_cgroup_remove_unrecorded (const struct hako_cgroup_request *req)
{
  if (req->systemd || req->disabled)
    return;
  cleanup_free char *rel = container_path (req, NULL);
  if (rel == NULL || strcmp (rel, "/") == 0)
    return;
  cleanup_free char *v2 = NULL;
  switch (hako_cgroup_layout ())
    {
    case HAKO_CGROUP_V2:
      v2 = hako_strdup_printf ("%s%s", CGROUP_ROOT, rel);
      break;
    case HAKO_CGROUP_HYBRID:
      v2 = hako_strdup_printf ("%s/unified%s", CGROUP_ROOT, rel);
      hako_cgroup_v1_rmdir_all (rel);
      break;
    default:
      hako_cgroup_v1_rmdir_all (rel);
      break;
    }
  if (v2)
    rmdir (v2);
}

int
hako_cgroup_enter (const hako_st_cgroup *cg, pid_t pid, hako_error_t **err)
{
  if (cg == NULL)
    return 0;
  if (strcmp (cg->manager, "systemd") == 0 && hako_cgroup_systemd_enter (cg, pid, err) < 0)
    return -1;
  char buf[32];
  snprintf (buf, sizeof buf, "%d", (int) pid);
  for (size_t i = 0; cg->paths && i < cg->paths->len; i++)
    if (hako_cgroup_write (cg->paths->values[i], "cgroup.procs", buf, err) < 0)
      return -1;
  if (cg->unified_path)
    {
      hako_error_t *e = NULL;
      if (hako_cgroup_write (cg->unified_path, "cgroup.procs", buf, &e) < 0)
        {
          if (strcmp (cg->layout, "v2") == 0)
            {
              *err = e;
              return -1;
            }
          hako_error_free (e);
        }
    }
  return 0;
}

/* exec --cgroup: the container's cgroup first (every hierarchy), then the
   sub-cgroup: "path" joins it wherever it exists (on v1, at least one
   hierarchy must have it); "ctrl[,ctrl]:path" only those hierarchies,
   which must have it.  */
int
hako_cgroup_enter_sub (const hako_st_cgroup *cg, pid_t pid, const char *sub, hako_error_t **err)
{
  if (cg == NULL)
    return hako_error_set (err, 0, "--cgroup: the container has no cgroup");
  const char *colon = strchr (sub, ':');
  const char *rel = colon ? colon + 1 : sub;
  for (const char *s = rel; (s = strstr (s, "..")) != NULL; s += 2)
    if ((s == rel || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
      return hako_error_set (err, 0, "--cgroup `%s`: may not contain `..`", sub);
  if (hako_cgroup_enter (cg, pid, err) < 0)
    return -1;
  char buf[32];
  snprintf (buf, sizeof buf, "%d", (int) pid);
  if (strcmp (cg->layout, "v2") == 0)
    {
      cleanup_free char *dir = hako_strdup_printf ("%s/%s", cg->unified_path, rel);
      if (hako_cgroup_write (dir, "cgroup.procs", buf, err) < 0)
        return -1;
      return 0;
    }
  if (colon)
    {
      cleanup_free char *ctrls = hako_xstrndup (sub, (size_t) (colon - sub));
      char *save, *tok = strtok_r (ctrls, ",", &save);
      for (; tok; tok = strtok_r (NULL, ",", &save))
        {
          const char *d = hako_cgroup_v1_dir (cg, tok);
          if (d == NULL)
            return hako_error_set (err, 0, "--cgroup `%s`: the container has no `%s` cgroup", sub, tok);
          cleanup_free char *dir = hako_strdup_printf ("%s/%s", d, rel);
          if (hako_cgroup_write (dir, "cgroup.procs", buf, err) < 0)
            return -1;
        }
      return 0;
    }
  size_t joined = 0;
  for (size_t i = 0; cg->paths && i < cg->paths->len; i++)
    {
      cleanup_free char *dir = hako_strdup_printf ("%s/%s", cg->paths->values[i], rel);
      if (access (dir, F_OK) < 0)
        continue;
      if (hako_cgroup_write (dir, "cgroup.procs", buf, err) < 0)
        return -1;
      joined++;
    }
  if (cg->unified_path)
    {
      cleanup_free char *dir = hako_strdup_printf ("%s/%s", cg->unified_path, rel);
      if (access (dir, F_OK) == 0 && hako_cgroup_write (dir, "cgroup.procs", buf, err) < 0)
        return -1;
    }
  if (joined == 0)
    return hako_error_set (err, ENOENT, "--cgroup `%s`: no such sub-cgroup in the container's cgroup", sub);
  return 0;
}

int
hako_cgroup_open_v2_dir (const hako_st_cgroup *cg)
{
  if (cg == NULL || cg->unified_path == NULL || strcmp (cg->layout, "v2") != 0)
    return -1;
  return open (cg->unified_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int
hako_cgroup_destroy (const hako_st_cgroup *cg, hako_error_t **err)
{
  if (cg == NULL)
    return 0;
  if (strcmp (cg->manager, "systemd") == 0)
    return hako_cgroup_systemd_destroy (cg, err);
  if (! cg->created)
    return 0;
  int rc = 0;
  for (size_t i = 0; cg->paths && i < cg->paths->len; i++)
    if (hako_cgroup_rmdir_tree (cg->paths->values[i]) < 0 && rc == 0)
      rc = hako_error_sys (err, "remove cgroup `%s`", cg->paths->values[i]);
  if (cg->unified_path && hako_cgroup_rmdir_tree (cg->unified_path) < 0 && rc == 0)
    rc = hako_error_sys (err, "remove cgroup `%s`", cg->unified_path);
  return rc;
}

int
hako_cgroup_freeze (const hako_st_cgroup *cg, bool freeze, hako_error_t **err)
{
  if (cg == NULL)
    return hako_error_set (err, 0, "the container has no cgroup to freeze");
  if (strcmp (cg->layout, "v2") == 0)
    {
      if (hako_cgroup_write (cg->unified_path, "cgroup.freeze", freeze ? "1" : "0", err) < 0)
        return -1;
      /* Wait until the kernel reports the new state.  */
      for (int i = 0; i < 2000; i++)
        {
          if (hako_cgroup_is_frozen (cg) == freeze)
            return 0;
          usleep (500);
        }
      return hako_error_set (err, ETIMEDOUT, "cgroup did not %s", freeze ? "freeze" : "thaw");
    }
  const char *dir = hako_cgroup_v1_dir (cg, "freezer");
  if (dir == NULL)
    return hako_error_set (err, 0, "no freezer cgroup on this host");
  if (hako_cgroup_write (dir, "freezer.state", freeze ? "FROZEN" : "THAWED", err) < 0)
    return -1;
  for (int i = 0; i < 2000; i++)
    {
      cleanup_free char *state = NULL;
      if (hako_cgroup_read (dir, "freezer.state", &state, err) < 0)
        return -1;
      if (strncmp (state, freeze ? "FROZEN" : "THAWED", freeze ? 6 : 6) == 0)
        return 0;
      /* FREEZING: a task in the way; writing again nudges the kernel.  */
      if (freeze && i % 10 == 9)
        hako_cgroup_write (dir, "freezer.state", "FROZEN", NULL);
      usleep (500);
    }
  return hako_error_set (err, ETIMEDOUT, "cgroup did not %s", freeze ? "freeze" : "thaw");
}

bool
hako_cgroup_is_frozen (const hako_st_cgroup *cg)
{
  if (cg == NULL)
    return false;
  cleanup_free char *s = NULL;
  if (strcmp (cg->layout, "v2") == 0)
    {
      if (cg->unified_path == NULL || hako_cgroup_read (cg->unified_path, "cgroup.events", &s, NULL) < 0)
        return false;
      return strstr (s, "frozen 1") != NULL;
    }
  const char *dir = hako_cgroup_v1_dir (cg, "freezer");
  if (dir == NULL || hako_cgroup_read (dir, "freezer.state", &s, NULL) < 0)
    return false;
  return strncmp (s, "FROZEN", 6) == 0;
}

static void
collect_pids (const char *dir, pid_t **pids, size_t *n, size_t *cap)
{
  cleanup_free char *procs = NULL;
  if (hako_cgroup_read (dir, "cgroup.procs", &procs, NULL) == 0)
    {
      char *save, *tok = strtok_r (procs, "\n", &save);
      for (; tok; tok = strtok_r (NULL, "\n", &save))
        {
          pid_t p = (pid_t) atoi (tok);
          bool dup = false;
          for (size_t i = 0; i < *n && ! dup; i++)
            dup = (*pids)[i] == p;
          if (dup || p <= 0)
            continue;
          if (*n == *cap)
            *pids = hako_xrealloc (*pids, (*cap = *cap * 2 + 16) * sizeof (pid_t));
          (*pids)[(*n)++] = p;
        }
    }
  cleanup_dir DIR *d = opendir (dir);
  if (d == NULL)
    return;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    if (de->d_type == DT_DIR && strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
      {
        cleanup_free char *sub = hako_strdup_printf ("%s/%s", dir, de->d_name);
        collect_pids (sub, pids, n, cap);
      }
}

static const char *
procs_dir (const hako_st_cgroup *cg)
{
  if (strcmp (cg->layout, "v2") == 0)
    return cg->unified_path;
  const char *d = hako_cgroup_v1_dir (cg, "pids");
  if (d == NULL)
    d = hako_cgroup_v1_dir (cg, "freezer");
  if (d == NULL)
    d = hako_cgroup_v1_dir (cg, "memory");
  if (d == NULL && cg->paths && cg->paths->len)
    d = cg->paths->values[0];
  return d;
}

int
hako_cgroup_pids (const hako_st_cgroup *cg, pid_t **pids, size_t *n, hako_error_t **err)
{
  *pids = NULL;
  *n = 0;
  if (cg == NULL)
    return 0;
  const char *dir = procs_dir (cg);
  if (dir == NULL)
    return hako_error_set (err, 0, "no cgroup to list processes from");
  size_t cap = 0;
  collect_pids (dir, pids, n, &cap);
  return 0;
}

int
hako_cgroup_kill (const hako_st_cgroup *cg, int sig, hako_error_t **err)
{
  if (cg == NULL)
    return 0;
  /* cgroup.kill (Linux 5.14) reaches every process at once, forks in
     flight included.  A hybrid host's cgroup2 tracks the same processes
     unless joining it failed: the v1 list catches any it missed.  */
  bool killed
      = sig == SIGKILL && cg->unified_path && hako_cgroup_write (cg->unified_path, "cgroup.kill", "1", NULL) == 0;
  if (killed && strcmp (cg->layout, "v2") == 0)
    return 0;
  /* Freeze first so that nothing forks past us, then signal, then thaw. */
  bool froze = ! killed && hako_cgroup_freeze (cg, true, NULL) == 0;
  pid_t *pids = NULL;
  size_t n = 0;
  int rc = hako_cgroup_pids (cg, &pids, &n, err);
  for (size_t i = 0; rc == 0 && i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      rc = hako_error_sys (err, "kill %d", (int) pids[i]);
  free (pids);
  if (froze)
    hako_cgroup_freeze (cg, false, NULL);
  return rc;
}
