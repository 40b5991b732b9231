/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: linux.resources on cgroup v1 hierarchies.  */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "cleanup.h"
#include "log.h"

/* Each v1 hierarchy mounted on the host: its mount point and name (the
   controllers, e.g. "cpu,cpuacct", or "name=systemd").  */
static size_t
hierarchies (char mounts[][256], char names[][128], size_t max)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/mountinfo", "re");
  if (f == NULL)
    return 0;
  cleanup_free char *line = NULL;
  size_t cap = 0, n = 0;
  while (getline (&line, &cap, f) > 0 && n < max)
    {
      char *sep = strstr (line, " - ");
      char fstype[32], src[128], opts[512], mp[256];
      if (sep == NULL || sscanf (sep + 3, "%31s %127s %511s", fstype, src, opts) != 3 || strcmp (fstype, "cgroup") != 0)
        continue;
      if (sscanf (line, "%*s %*s %*s %*s %255s", mp) != 1)
        continue;
      names[n][0] = '\0';
      char *save, *tok = strtok_r (opts, ",", &save);
      for (; tok; tok = strtok_r (NULL, ",", &save))
        {
          if (strcmp (tok, "rw") == 0 || strcmp (tok, "ro") == 0 || strncmp (tok, "relatime", 8) == 0
              || strcmp (tok, "nosuid") == 0 || strcmp (tok, "nodev") == 0 || strcmp (tok, "noexec") == 0
              || strcmp (tok, "clone_children") == 0 || strncmp (tok, "release_agent", 13) == 0
              || strcmp (tok, "xattr") == 0 || strcmp (tok, "noprefix") == 0)
            continue;
          if (names[n][0])
            strncat (names[n], ",", 127 - strlen (names[n]));
          strncat (names[n], tok, 127 - strlen (names[n]));
        }
      strcpy (mounts[n], mp);
      /* The same hierarchy may be mounted twice: keep the first.  */
      bool dup = false;
      for (size_t i = 0; i < n && ! dup; i++)
        dup = strcmp (names[i], names[n]) == 0;
      if (! dup)
        n++;
    }
  return n;
}

/* A new v1 cpuset is empty: copy cpus and mems from the parent, all the
   way down from the first ancestor that has them.  */
static int
init_cpuset (const char *root, const char *rel, hako_error_t **err)
{
  cleanup_free char *path = hako_strdup_printf ("%s%s", root, rel);
  size_t rl = strlen (root);
  for (char *s = path + rl + 1;; s++)
    {
      char c = *s;
      if (c != '/' && c != '\0')
        continue;
      *s = '\0';
      cleanup_free char *parent = hako_xstrdup (path);
      char *slash = strrchr (parent, '/');
      *slash = '\0';
      for (int k = 0; k < 2; k++)
        {
          const char *file = k ? "cpuset.mems" : "cpuset.cpus";
          cleanup_free char *cur = NULL, *par = NULL;
          if (hako_cgroup_read (path, file, &cur, err) < 0)
            return -1;
          if (cur[0] != '\n' && cur[0] != '\0')
            continue;
          if (hako_cgroup_read (parent, file, &par, err) < 0)
            return -1;
          if (hako_cgroup_write (path, file, par, err) < 0)
            return -1;
        }
      *s = c;
      if (c == '\0')
        break;
    }
  return 0;
}

int
hako_cgroup_v1_prepare (hako_st_cgroup *cg, const char *rel, bool *created, hako_error_t **err)
{
  char mounts[32][256], names[32][128];
  size_t n = hierarchies (mounts, names, 32);
  cg->paths = hako_xcalloc (1, sizeof (*cg->paths));
  cg->paths->keys = hako_xcalloc (n + 1, sizeof (char *));
  cg->paths->values = hako_xcalloc (n + 1, sizeof (char *));
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *dir = hako_strdup_printf ("%s%s", mounts[i], rel);
      struct stat st;
      bool existed = stat (dir, &st) == 0;
      /* mkdir -p */
      size_t ml = strlen (mounts[i]);
      for (char *s = dir + ml + 1; *s; s++)
        if (*s == '/')
          {
            *s = '\0';
            if (mkdir (dir, 0755) < 0 && errno != EEXIST)
              return hako_error_sys (err, "create cgroup `%s`", dir);
            *s = '/';
          }
      if (mkdir (dir, 0755) < 0 && errno != EEXIST)
        return hako_error_sys (err, "create cgroup `%s`", dir);
      if (! existed)
        *created = true;
      cg->paths->keys[cg->paths->len] = hako_xstrdup (names[i]);
      cg->paths->values[cg->paths->len] = TAKE_PTR (dir);
      cg->paths->len++;
      if (strstr (names[i], "cpuset") && init_cpuset (mounts[i], rel, err) < 0)
        return -1;
    }
  if (n == 0)
    return hako_error_set (err, ENOENT, "no cgroup v1 hierarchy is mounted");
  return 0;
}

static int
w64 (const char *dir, const char *file, int64_t v, hako_error_t **err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%" PRId64, v);
  return hako_cgroup_write (dir, file, buf, err);
}

static int
wu64 (const char *dir, const char *file, uint64_t v, hako_error_t **err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%" PRIu64, v);
  return hako_cgroup_write (dir, file, buf, err);
}

static int
need (const char *dir, const char *what, hako_error_t **err)
{
  if (dir == NULL)
    return hako_error_set (err, ENOENT, "linux.resources.%s: no such cgroup controller on this host", what);
  return 0;
}

static int
apply_memory (const hako_st_cgroup *cg, const hako_spec_memory *m, hako_error_t **err)
{
  const char *d = hako_cgroup_v1_dir (cg, "memory");
  if (need (d, "memory", err) < 0)
    return -1;
  /* memsw must stay >= limit: order the two writes so that each is valid. */
  if (m->has_limit && m->has_swap)
    {
      cleanup_free char *cur = NULL;
      int64_t cur_limit = 0;
      if (hako_cgroup_read (d, "memory.limit_in_bytes", &cur, NULL) == 0)
        cur_limit = strtoll (cur, NULL, 10);
      if (m->swap == -1 || (cur_limit > 0 && m->swap > cur_limit))
        {
          if (w64 (d, "memory.memsw.limit_in_bytes", m->swap, err) < 0 || w64 (d, "memory.limit_in_bytes", m->limit, err) < 0)
            return -1;
        }
      else if (w64 (d, "memory.limit_in_bytes", m->limit, err) < 0 || w64 (d, "memory.memsw.limit_in_bytes", m->swap, err) < 0)
        return -1;
    }
  else if (m->has_limit && w64 (d, "memory.limit_in_bytes", m->limit, err) < 0)
    return -1;
  else if (m->has_swap && w64 (d, "memory.memsw.limit_in_bytes", m->swap, err) < 0)
    return -1;
  if (m->has_reservation && w64 (d, "memory.soft_limit_in_bytes", m->reservation, err) < 0)
    return -1;
  if (m->has_swappiness && wu64 (d, "memory.swappiness", m->swappiness, err) < 0)
    return -1;
  if (m->has_disable_oom_killer && m->disable_oom_killer && hako_cgroup_write (d, "memory.oom_control", "1", err) < 0)
    return -1;
  if (m->has_use_hierarchy && hako_cgroup_write (d, "memory.use_hierarchy", m->use_hierarchy ? "1" : "0", err) < 0)
    return -1;
  if (m->has_kernel && w64 (d, "memory.kmem.limit_in_bytes", m->kernel, NULL) < 0)
    hako_warn ("linux.resources.memory.kernel: not supported by this kernel: ignored");
  if (m->has_kernel_tcp && w64 (d, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp, err) < 0)
    return -1;
  return 0;
}

static int
apply_cpu (const hako_st_cgroup *cg, const hako_spec_cpu *c, hako_error_t **err)
{
  if (c->has_shares || c->has_quota || c->has_period || c->has_burst || c->has_realtime_runtime
      || c->has_realtime_period || c->has_idle)
    {
      const char *d = hako_cgroup_v1_dir (cg, "cpu");
      if (need (d, "cpu", err) < 0)
        return -1;
      if (c->has_shares && wu64 (d, "cpu.shares", c->shares, err) < 0)
        return -1;
      if (c->has_period && wu64 (d, "cpu.cfs_period_us", c->period, err) < 0)
        return -1;
      if (c->has_quota && w64 (d, "cpu.cfs_quota_us", c->quota, err) < 0)
        return -1;
      if (c->has_burst && wu64 (d, "cpu.cfs_burst_us", c->burst, err) < 0)
        return -1;
      if (c->has_realtime_period && wu64 (d, "cpu.rt_period_us", c->realtime_period, err) < 0)
        return -1;
      if (c->has_realtime_runtime && w64 (d, "cpu.rt_runtime_us", c->realtime_runtime, err) < 0)
        return -1;
      if (c->has_idle && w64 (d, "cpu.idle", c->idle, err) < 0)
        return -1;
    }
  if (c->cpus || c->mems)
    {
      const char *d = hako_cgroup_v1_dir (cg, "cpuset");
      if (need (d, "cpu.cpus", err) < 0)
        return -1;
      if (c->cpus && c->cpus[0] && hako_cgroup_write (d, "cpuset.cpus", c->cpus, err) < 0)
        return -1;
      if (c->mems && c->mems[0] && hako_cgroup_write (d, "cpuset.mems", c->mems, err) < 0)
        return -1;
    }
  return 0;
}

static int
device_rule (const hako_spec_device_cgroup *d, char *buf, size_t size)
{
  char maj[24] = "*", min[24] = "*";
  if (d->has_major && d->major >= 0)
    snprintf (maj, sizeof maj, "%" PRId64, d->major);
  if (d->has_minor && d->minor >= 0)
    snprintf (min, sizeof min, "%" PRId64, d->minor);
  const char *type = d->type && d->type[0] ? d->type : "a";
  const char *access = d->access && d->access[0] ? d->access : "rwm";
  if (strcmp (type, "a") == 0)
    return snprintf (buf, size, "a");
  return snprintf (buf, size, "%s %s:%s %s", type, maj, min, access);
}

/* Rules every container gets after its own, as runc and crun add them.  */
static const char *const default_allow[] = {
  "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
  "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm", NULL,
};

static int
apply_devices (const hako_st_cgroup *cg, const hako_spec_linux_resources *r, hako_error_t **err)
{
  const char *d = hako_cgroup_v1_dir (cg, "devices");
  if (d == NULL)
    return 0;
  for (size_t i = 0; i < r->devices_len; i++)
    {
      char rule[96];
      device_rule (r->devices[i], rule, sizeof rule);
      if (hako_cgroup_write (d, r->devices[i]->allow ? "devices.allow" : "devices.deny", rule, err) < 0)
        return -1;
    }
  for (size_t i = 0; default_allow[i]; i++)
    if (hako_cgroup_write (d, "devices.allow", default_allow[i], err) < 0)
      return -1;
  return 0;
}

int
hako_cgroup_v1_apply (const hako_st_cgroup *cg, const hako_spec_linux_resources *r, hako_error_t **err)
{
  if (r->memory && apply_memory (cg, r->memory, err) < 0)
    return -1;
  if (r->cpu && apply_cpu (cg, r->cpu, err) < 0)
    return -1;
  if (r->pids && r->pids->has_limit)
    {
      const char *d = hako_cgroup_v1_dir (cg, "pids");
      if (need (d, "pids", err) < 0)
        return -1;
      if (r->pids->limit < 0 ? hako_cgroup_write (d, "pids.max", "max", err) < 0 : w64 (d, "pids.max", r->pids->limit, err) < 0)
        return -1;
    }
  if (r->has_devices && apply_devices (cg, r, err) < 0)
    return -1;
  return 0;
}
