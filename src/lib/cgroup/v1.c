/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: linux.resources on cgroup v1 hierarchies (memory, cpu, cpuset,
   blkio, hugetlb, net_cls, net_prio, pids, rdma, devices).  */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "cleanup.h"
#include "log.h"

#define MAX_HIER 32

struct hierarchy
{
  char mount[256];
  char name[128]; /* the controllers, e.g. "cpu,cpuacct", or "name=systemd" */
};

static bool
ignored_option (const char *tok)
{
  static const char *const opts[]
      = { "rw",       "ro",      "nosuid",     "nodev",       "noexec", "clone_children", "xattr", "noprefix",
          "relatime", "noatime", "nodiratime", "strictatime", NULL };
  for (size_t i = 0; opts[i]; i++)
    if (strcmp (tok, opts[i]) == 0)
      return true;
  return strncmp (tok, "release_agent", 13) == 0 || strncmp (tok, "cpuset_v2_mode", 14) == 0;
}

/* Each v1 hierarchy mounted on the host, from mountinfo.  */
static size_t
hierarchies (struct hierarchy *h, size_t max)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/mountinfo", "re");
  if (f == NULL)
    return 0;
  cleanup_free char *line = NULL;
  size_t cap = 0, n = 0;
  while (getline (&line, &cap, f) > 0 && n < max)
    {
      char *sep = strstr (line, " - ");
      char fstype[32], src[128], opts[512];
      if (sep == NULL || sscanf (sep + 3, "%31s %127s %511s", fstype, src, opts) != 3 || strcmp (fstype, "cgroup") != 0)
        continue;
      if (sscanf (line, "%*s %*s %*s %*s %255s", h[n].mount) != 1)
        continue;
      h[n].name[0] = '\0';
      char *save, *tok = strtok_r (opts, ",", &save);
      for (; tok; tok = strtok_r (NULL, ",", &save))
        {
          if (ignored_option (tok))
            continue;
          size_t len = strlen (h[n].name);
          snprintf (h[n].name + len, sizeof h[n].name - len, "%s%s", len ? "," : "", tok);
        }
      /* The same hierarchy may be mounted twice: keep the first.  */
      bool dup = false;
      for (size_t i = 0; i < n && ! dup; i++)
        dup = strcmp (h[i].name, h[n].name) == 0;
      if (! dup)
        n++;
    }
  return n;
}

static bool
name_has (const char *names, const char *controller)
{
  size_t cl = strlen (controller);
  for (const char *s = names; (s = strstr (s, controller)) != NULL; s += cl)
    if ((s == names || s[-1] == ',') && (s[cl] == '\0' || s[cl] == ','))
      return true;
  return false;
}

bool
hako_cgroup_v1_has (const char *controller)
{
  struct hierarchy h[MAX_HIER];
  size_t n = hierarchies (h, MAX_HIER);
  for (size_t i = 0; i < n; i++)
    if (name_has (h[i].name, controller))
      return true;
  return false;
}

const char *
hako_cgroup_v1_dir (const hako_st_cgroup *cg, const char *controller)
{
  for (size_t i = 0; cg->paths && i < cg->paths->len; i++)
    if (name_has (cg->paths->keys[i], controller))
      return cg->paths->values[i];
  return NULL;
}

/* A new v1 cpuset is empty and no task may join it: copy cpus and mems
   from the parent (recursively, for parents we just made).  Setting
   clone_children on the parent makes the kernel do it for the next
   container, so the usual case costs one read.  */
static int
init_cpuset (const char *dir, const char *root, hako_error_t **err)
{
  cleanup_free char *cur = NULL;
  if (hako_cgroup_read (dir, "cpuset.cpus", &cur, err) < 0)
    return -1;
  if (cur[0] != '\n' && cur[0] != '\0')
    return 0;
  cleanup_free char *parent = hako_xstrdup (dir);
  *strrchr (parent, '/') = '\0';
  if (strlen (parent) > strlen (root) && init_cpuset (parent, root, err) < 0)
    return -1;
  for (int k = 0; k < 2; k++)
    {
      const char *file = k ? "cpuset.mems" : "cpuset.cpus";
      cleanup_free char *val = NULL;
      if (hako_cgroup_read (parent, file, &val, err) < 0 || hako_cgroup_set (dir, file, val, NULL, err) < 0)
        return -1;
    }
  if (strlen (parent) > strlen (root))
    hako_cgroup_write (parent, "cgroup.clone_children", "1", NULL);
  return 0;
}

static bool
permission_error (int e)
{
  return e == EACCES || e == EPERM || e == EROFS;
}

int
hako_cgroup_v1_prepare (hako_st_cgroup *cg, const char *rel, bool rootless, bool *created, hako_error_t **err)
{
  struct hierarchy h[MAX_HIER];
  size_t n = hierarchies (h, MAX_HIER);
  if (n == 0)
    return hako_error_set (err, ENOENT, "no cgroup v1 hierarchy is mounted");
  cg->paths = hako_xcalloc (1, sizeof (*cg->paths));
  cg->paths->keys = hako_xcalloc (n + 1, sizeof (char *));
  cg->paths->values = hako_xcalloc (n + 1, sizeof (char *));
  char skipped[512] = "";
  for (size_t i = 0; i < n; i++)
    {
      bool made = false;
      hako_error_t *e = NULL;
      if (hako_cgroup_mkdir (h[i].mount, rel, &made, &e) < 0)
        {
          /* crun's rule: rootless skips the hierarchies it may not use. */
          if (rootless && permission_error (e->status))
            {
              size_t len = strlen (skipped);
              snprintf (skipped + len, sizeof skipped - len, "%s%s", len ? " " : "", h[i].name);
              hako_error_free (e);
              continue;
            }
          *err = e;
          return -1;
        }
      cleanup_free char *dir = hako_strdup_printf ("%s%s", h[i].mount, rel);
      if (made && name_has (h[i].name, "cpuset") && init_cpuset (dir, h[i].mount, err) < 0)
        {
          rmdir (dir);
          return -1;
        }
      *created = *created || made;
      cg->paths->keys[cg->paths->len] = hako_xstrdup (h[i].name);
      cg->paths->values[cg->paths->len] = TAKE_PTR (dir);
      cg->paths->len++;
    }
  if (cg->paths->len == 0)
    return hako_error_set (err, EACCES, "no cgroup v1 hierarchy is writable");
  if (skipped[0])
    hako_warn ("rootless: no permission to create `%s` in the %s cgroup hierarchies: running outside them", rel,
               skipped);
  return 0;
}

void
hako_cgroup_v1_rmdir_all (const char *rel)
{
  struct hierarchy h[MAX_HIER];
  size_t n = hierarchies (h, MAX_HIER);
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *dir = hako_strdup_printf ("%s%s", h[i].mount, rel);
      rmdir (dir);
    }
}

int
hako_cgroup_v1_ensure (const hako_st_cgroup *cg, hako_error_t **err)
{
  size_t rl = strlen (cg->path);
  for (size_t i = 0; cg->paths && i < cg->paths->len; i++)
    {
      const char *dir = cg->paths->values[i];
      size_t dl = strlen (dir);
      if (dl <= rl || strcmp (dir + dl - rl, cg->path) != 0)
        continue;
      cleanup_free char *mount = hako_xstrndup (dir, dl - rl);
      bool made = false;
      if (hako_cgroup_mkdir (mount, cg->path, &made, err) < 0)
        return -1;
      if (made && name_has (cg->paths->keys[i], "cpuset") && init_cpuset (dir, mount, err) < 0)
        return -1;
    }
  return 0;
}

/* ---------------------------------------------------------------- memory */

static int
apply_memory (const char *d, const hako_spec_memory *m, hako_error_t **err)
{
  if (m->has_check_before_update && m->check_before_update && m->has_limit && m->limit > 0)
    {
      uint64_t usage = 0;
      if (hako_cgroup_read_u64 (d, "memory.usage_in_bytes", &usage) == 0 && usage > (uint64_t) m->limit)
        return hako_error_set (err, 0,
                               "linux.resources.memory.limit: %lld is below the current usage %llu (checkBeforeUpdate)",
                               (long long) m->limit, (unsigned long long) usage);
    }
  /* memsw must stay >= limit at every moment: raise first what grows.  */
  bool swap_first = false;
  if (m->has_limit && m->has_swap)
    {
      uint64_t cur = 0;
      hako_cgroup_read_u64 (d, "memory.limit_in_bytes", &cur);
      swap_first = m->swap == -1 || (m->limit != -1 && (uint64_t) m->swap > cur);
    }
  if (m->has_swap && ! hako_cgroup_file_exists (d, "memory.memsw.limit_in_bytes"))
    {
      if (m->swap > 0 && ! (m->has_limit && m->swap == m->limit))
        return hako_error_set (err, 0,
                               "linux.resources.memory.swap: this kernel has no swap accounting "
                               "(memory.memsw.limit_in_bytes; boot with swapaccount=1)");
    }
  else if (swap_first
           && hako_cgroup_set_i64 (d, "memory.memsw.limit_in_bytes", m->swap, "linux.resources.memory.swap", err) < 0)
    return -1;
  if (m->has_limit
      && hako_cgroup_set_i64 (d, "memory.limit_in_bytes", m->limit, "linux.resources.memory.limit", err) < 0)
    return -1;
  if (m->has_swap && ! swap_first && hako_cgroup_file_exists (d, "memory.memsw.limit_in_bytes")
      && hako_cgroup_set_i64 (d, "memory.memsw.limit_in_bytes", m->swap, "linux.resources.memory.swap", err) < 0)
    return -1;
  if (m->has_reservation
      && hako_cgroup_set_i64 (d, "memory.soft_limit_in_bytes", m->reservation, "linux.resources.memory.reservation",
                              err)
             < 0)
    return -1;
  if (m->has_swappiness
      && hako_cgroup_set_i64 (d, "memory.swappiness", (int64_t) m->swappiness, "linux.resources.memory.swappiness", err)
             < 0)
    return -1;
  if (m->has_disable_oom_killer
      && hako_cgroup_set (d, "memory.oom_control", m->disable_oom_killer ? "1" : "0",
                          "linux.resources.memory.disableOOMKiller", err)
             < 0)
    return -1;
  if (m->has_use_hierarchy)
    {
      /* Since Linux 5.x use_hierarchy is always 1 and cannot be cleared. */
      uint64_t cur = 1;
      hako_cgroup_read_u64 (d, "memory.use_hierarchy", &cur);
      if (cur != (m->use_hierarchy ? 1u : 0u)
          && hako_cgroup_set (d, "memory.use_hierarchy", m->use_hierarchy ? "1" : "0",
                              "linux.resources.memory.useHierarchy", err)
                 < 0)
        return -1;
    }
  if (m->has_kernel)
    {
      hako_error_t *e = NULL;
      if (hako_cgroup_set_i64 (d, "memory.kmem.limit_in_bytes", m->kernel, NULL, &e) < 0)
        {
          /* Linux 5.16 dropped kernel memory limits; runc ignores them.  */
          hako_warn ("linux.resources.memory.kernel: not supported by this kernel, not applied (%s)", e->msg);
          hako_error_free (e);
        }
    }
  if (m->has_kernel_tcp
      && hako_cgroup_set_i64 (d, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp, "linux.resources.memory.kernelTCP",
                              err)
             < 0)
    return -1;
  return 0;
}

/* ------------------------------------------------------------------- cpu */

/* A realtime budget must fit in the parent's: give the parents below the
   hierarchy root (ours, e.g. /hako) the same budget first.  */
static int
rt_runtime (const char *d, int64_t runtime, hako_error_t **err)
{
  hako_error_t *e = NULL;
  if (hako_cgroup_set_i64 (d, "cpu.rt_runtime_us", runtime, NULL, &e) == 0)
    return 0;
  bool retry = e->status == EINVAL || e->status == EBUSY;
  hako_error_free (e);
  cleanup_free char *parent = hako_xstrdup (d);
  char *slash = strrchr (parent, '/');
  *slash = '\0';
  /* Stop at the hierarchy root (whose parent is /sys/fs/cgroup).  */
  if (! retry || strchr (parent + strlen (HAKO_CGROUP_ROOT) + 1, '/') == NULL)
    return hako_cgroup_set_i64 (d, "cpu.rt_runtime_us", runtime, "linux.resources.cpu.realtimeRuntime", err);
  uint64_t have = 0;
  if (hako_cgroup_read_u64 (parent, "cpu.rt_runtime_us", &have) == 0 && (int64_t) have < runtime
      && rt_runtime (parent, runtime, err) < 0)
    return -1;
  return hako_cgroup_set_i64 (d, "cpu.rt_runtime_us", runtime, "linux.resources.cpu.realtimeRuntime", err);
}

static int
apply_cpu (const char *d, const hako_spec_cpu *c, hako_error_t **err)
{
  if (c->has_shares && c->shares
      && hako_cgroup_set_i64 (d, "cpu.shares", (int64_t) c->shares, "linux.resources.cpu.shares", err) < 0)
    return -1;
  if (c->has_period && c->period
      && hako_cgroup_set_i64 (d, "cpu.cfs_period_us", (int64_t) c->period, "linux.resources.cpu.period", err) < 0)
    return -1;
  if (c->has_quota && c->quota
      && hako_cgroup_set_i64 (d, "cpu.cfs_quota_us", c->quota > 0 ? c->quota : -1, "linux.resources.cpu.quota", err)
             < 0)
    return -1;
  if (c->has_burst
      && hako_cgroup_set_i64 (d, "cpu.cfs_burst_us", (int64_t) c->burst, "linux.resources.cpu.burst", err) < 0)
    return -1;
  if (c->has_realtime_period && c->realtime_period
      && hako_cgroup_set_i64 (d, "cpu.rt_period_us", (int64_t) c->realtime_period, "linux.resources.cpu.realtimePeriod",
                              err)
             < 0)
    return -1;
  if (c->has_realtime_runtime && rt_runtime (d, c->realtime_runtime, err) < 0)
    return -1;
  if (c->has_idle && hako_cgroup_set_i64 (d, "cpu.idle", c->idle, "linux.resources.cpu.idle", err) < 0)
    return -1;
  return 0;
}

/* ------------------------------------------------------------------- blkio */

static int
throttle (const char *d, const char *file, hako_spec_throttle_device *const *t, size_t n, const char *field,
          hako_error_t **err)
{
  for (size_t i = 0; i < n; i++)
    {
      char buf[96];
      snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, t[i]->major, t[i]->minor, t[i]->rate);
      cleanup_free char *f = hako_strdup_printf ("linux.resources.blockIO.%s[%zu]", field, i);
      if (hako_cgroup_set (d, file, buf, f, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_blkio (const char *d, const hako_spec_block_io *b, hako_error_t **err)
{
  /* CFQ's blkio.weight went with Linux 5.0; BFQ has blkio.bfq.weight.  */
  const char *wfile = hako_cgroup_file_exists (d, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
  const char *wdfile
      = hako_cgroup_file_exists (d, "blkio.weight_device") ? "blkio.weight_device" : "blkio.bfq.weight_device";
  if (b->has_weight && b->weight
      && hako_cgroup_set_i64 (d, wfile, b->weight, "linux.resources.blockIO.weight", err) < 0)
    return -1;
  if (b->has_leaf_weight && b->leaf_weight
      && hako_cgroup_set_i64 (d, "blkio.leaf_weight", b->leaf_weight, "linux.resources.blockIO.leafWeight", err) < 0)
    return -1;
  for (size_t i = 0; i < b->weight_device_len; i++)
    {
      const hako_spec_weight_device *w = b->weight_device[i];
      char buf[96];
      cleanup_free char *f = hako_strdup_printf ("linux.resources.blockIO.weightDevice[%zu]", i);
      if (w->has_weight)
        {
          snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->weight);
          if (hako_cgroup_set (d, wdfile, buf, f, err) < 0)
            return -1;
        }
      if (w->has_leaf_weight)
        {
          snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->leaf_weight);
          if (hako_cgroup_set (d, "blkio.leaf_weight_device", buf, f, err) < 0)
            return -1;
        }
    }
  return throttle (d, "blkio.throttle.read_bps_device", b->throttle_read_bps_device, b->throttle_read_bps_device_len,
                   "throttleReadBpsDevice", err)
                     < 0
                 || throttle (d, "blkio.throttle.write_bps_device", b->throttle_write_bps_device,
                              b->throttle_write_bps_device_len, "throttleWriteBpsDevice", err)
                        < 0
                 || throttle (d, "blkio.throttle.read_iops_device", b->throttle_read_iops_device,
                              b->throttle_read_iops_device_len, "throttleReadIOPSDevice", err)
                        < 0
                 || throttle (d, "blkio.throttle.write_iops_device", b->throttle_write_iops_device,
                              b->throttle_write_iops_device_len, "throttleWriteIOPSDevice", err)
                        < 0
             ? -1
             : 0;
}

/* ----------------------------------------------------------------- others */

static int
apply_hugetlb (const char *d, const hako_spec_linux_resources *r, hako_error_t **err)
{
  for (size_t i = 0; i < r->hugepage_limits_len; i++)
    {
      const hako_spec_hugepage_limit *h = r->hugepage_limits[i];
      cleanup_free char *f = hako_strdup_printf ("linux.resources.hugepageLimits[%zu]", i);
      cleanup_free char *file = hako_strdup_printf ("hugetlb.%s.limit_in_bytes", h->page_size);
      if (hako_cgroup_set_i64 (d, file, (int64_t) h->limit, f, err) < 0)
        return -1;
      /* Reservations (Linux 5.7) are limited alike, as runc does.  */
      cleanup_free char *rsvd = hako_strdup_printf ("hugetlb.%s.rsvd.limit_in_bytes", h->page_size);
      if (hako_cgroup_file_exists (d, rsvd) && hako_cgroup_set_i64 (d, rsvd, (int64_t) h->limit, f, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_network (const hako_st_cgroup *cg, const hako_spec_network *n, hako_error_t **err)
{
  if (n->has_class_id)
    {
      const char *d = hako_cgroup_v1_dir (cg, "net_cls");
      if (d == NULL)
        return hako_error_set (err, 0, "linux.resources.network.classID: this host has no net_cls cgroup hierarchy");
      if (hako_cgroup_set_i64 (d, "net_cls.classid", n->class_id, "linux.resources.network.classID", err) < 0)
        return -1;
    }
  if (n->priorities_len)
    {
      const char *d = hako_cgroup_v1_dir (cg, "net_prio");
      if (d == NULL)
        return hako_error_set (err, 0,
                               "linux.resources.network.priorities: this host has no net_prio cgroup hierarchy");
      for (size_t i = 0; i < n->priorities_len; i++)
        {
          char buf[128];
          snprintf (buf, sizeof buf, "%s %u", n->priorities[i]->name, n->priorities[i]->priority);
          cleanup_free char *f = hako_strdup_printf ("linux.resources.network.priorities[%zu]", i);
          if (hako_cgroup_set (d, "net_prio.ifpriomap", buf, f, err) < 0)
            return -1;
        }
    }
  return 0;
}

/* devices.allow and devices.deny take one rule per write(): keep both
   open instead of reopening for each of the dozen rules.  */
static int
apply_devices (const char *d, const hako_spec_linux_resources *r, hako_error_t **err)
{
  cleanup_free char *allow_path = hako_strdup_printf ("%s/devices.allow", d);
  cleanup_free char *deny_path = hako_strdup_printf ("%s/devices.deny", d);
  cleanup_close int allow = open (allow_path, O_WRONLY | O_CLOEXEC);
  if (allow < 0)
    return hako_error_sys (err, "linux.resources.devices: open `%s`", allow_path);
  cleanup_close int deny = -1;
  size_t n = r->devices_len, ndef = 0;
  while (hako_cgroup_default_devices[ndef].type)
    ndef++;
  for (size_t i = 0; i < n + ndef; i++)
    {
      char rule[96], maj[24] = "*", min[24] = "*";
      char type;
      int64_t major, minor;
      const char *access;
      bool allowed = true;
      if (i < n)
        {
          const hako_spec_device_cgroup *dc = r->devices[i];
          type = dc->type && dc->type[0] ? dc->type[0] : 'a';
          major = dc->has_major ? dc->major : -1;
          minor = dc->has_minor ? dc->minor : -1;
          access = dc->access && dc->access[0] ? dc->access : "rwm";
          allowed = dc->allow;
        }
      else
        {
          type = hako_cgroup_default_devices[i - n].type;
          major = hako_cgroup_default_devices[i - n].major;
          minor = hako_cgroup_default_devices[i - n].minor;
          access = hako_cgroup_default_devices[i - n].access;
        }
      if (major >= 0)
        snprintf (maj, sizeof maj, "%" PRId64, major);
      if (minor >= 0)
        snprintf (min, sizeof min, "%" PRId64, minor);
      if (type == 'a')
        snprintf (rule, sizeof rule, "a *:* %s", access);
      else
        snprintf (rule, sizeof rule, "%c %s:%s %s", type, maj, min, access);
      if (! allowed && deny < 0 && (deny = open (deny_path, O_WRONLY | O_CLOEXEC)) < 0)
        return hako_error_sys (err, "linux.resources.devices: open `%s`", deny_path);
      int fd = allowed ? allow : deny;
      if (write (fd, rule, strlen (rule)) < 0)
        {
          if (i < n)
            return hako_error_sys (err, "linux.resources.devices[%zu]: write `%s` to `%s`", i, rule,
                                   allowed ? allow_path : deny_path);
          return hako_error_sys (err, "default device rule: write `%s` to `%s`", rule, allow_path);
        }
    }
  return 0;
}

/* -------------------------------------------------------------- dispatch */

struct v1_section
{
  unsigned bit;
  const char *controller;
};

int
hako_cgroup_v1_apply (const hako_st_cgroup *cg, const hako_spec_linux_resources *r, unsigned sections,
                      unsigned *missing, hako_error_t **err)
{
  static const struct v1_section map[] = {
    { CG_MEMORY, "memory" },   { CG_CPU, "cpu" },   { CG_CPUSET, "cpuset" }, { CG_IO, "blkio" },
    { CG_HUGETLB, "hugetlb" }, { CG_PIDS, "pids" }, { CG_RDMA, "rdma" },     { CG_DEVICES, "devices" },
  };
  *missing = sections & (CG_UNIFIED | CG_NETWORK);
  if ((sections & CG_NETWORK) && apply_network (cg, r->network, err) < 0)
    return -1;
  *missing &= ~(unsigned) CG_NETWORK;
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    {
      if (! (sections & map[i].bit))
        continue;
      const char *d = hako_cgroup_v1_dir (cg, map[i].controller);
      if (d == NULL)
        {
          *missing |= map[i].bit;
          continue;
        }
      int rc = 0;
      switch (map[i].bit)
        {
        case CG_MEMORY:
          rc = apply_memory (d, r->memory, err);
          break;
        case CG_CPU:
          rc = apply_cpu (d, r->cpu, err);
          break;
        case CG_CPUSET:
          if (r->cpu->cpus && r->cpu->cpus[0])
            rc = hako_cgroup_set (d, "cpuset.cpus", r->cpu->cpus, "linux.resources.cpu.cpus", err);
          if (rc == 0 && r->cpu->mems && r->cpu->mems[0])
            rc = hako_cgroup_set (d, "cpuset.mems", r->cpu->mems, "linux.resources.cpu.mems", err);
          break;
        case CG_IO:
          rc = apply_blkio (d, r->block_io, err);
          break;
        case CG_HUGETLB:
          rc = apply_hugetlb (d, r, err);
          break;
        case CG_PIDS:
          /* 0 is honoured (no new process); below 0 is no limit.  */
          if (r->pids->limit < 0)
            rc = hako_cgroup_set (d, "pids.max", "max", "linux.resources.pids.limit", err);
          else
            rc = hako_cgroup_set_i64 (d, "pids.max", r->pids->limit, "linux.resources.pids.limit", err);
          break;
        case CG_RDMA:
          rc = hako_cgroup_rdma_apply (d, r->rdma, err);
          break;
        case CG_DEVICES:
          rc = apply_devices (d, r, err);
          break;
        }
      if (rc < 0)
        return -1;
    }
  return 0;
}
