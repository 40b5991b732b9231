/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: linux.resources: the checks before anything exists, the choice
   of writer for the host's layout (v1, v2, or both on a hybrid host), and
   linux.resources.rdma, whose file is the same on v1 and v2.  */
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

unsigned
hako_cgroup_sections (const hako_spec_linux_resources *r)
{
  unsigned s = 0;
  const hako_spec_memory *m = r->memory;
  if (m
      && (m->has_limit || m->has_reservation || m->has_swap || m->has_kernel || m->has_kernel_tcp || m->has_swappiness
          || m->has_disable_oom_killer || m->has_use_hierarchy))
    s |= CG_MEMORY;
  const hako_spec_cpu *c = r->cpu;
  if (c
      && ((c->has_shares && c->shares) || c->has_quota || c->has_period || c->has_burst || c->has_realtime_runtime
          || c->has_realtime_period || c->has_idle))
    s |= CG_CPU;
  if (c && ((c->cpus && c->cpus[0]) || (c->mems && c->mems[0])))
    s |= CG_CPUSET;
  const hako_spec_block_io *b = r->block_io;
  if (b
      && (b->has_weight || b->has_leaf_weight || b->weight_device_len || b->throttle_read_bps_device_len
          || b->throttle_write_bps_device_len || b->throttle_read_iops_device_len || b->throttle_write_iops_device_len))
    s |= CG_IO;
  if (r->hugepage_limits_len)
    s |= CG_HUGETLB;
  if (r->pids && r->pids->has_limit)
    s |= CG_PIDS;
  if (r->rdma && r->rdma->len)
    s |= CG_RDMA;
  if (r->network && (r->network->has_class_id || r->network->priorities_len))
    s |= CG_NETWORK;
  if (r->devices_len)
    s |= CG_DEVICES;
  if (r->unified && r->unified->len)
    s |= CG_UNIFIED;
  return s;
}

const char *
hako_cgroup_v2_controller (unsigned section)
{
  switch (section)
    {
    case CG_MEMORY:
      return "memory";
    case CG_CPU:
      return "cpu";
    case CG_CPUSET:
      return "cpuset";
    case CG_IO:
      return "io";
    case CG_HUGETLB:
      return "hugetlb";
    case CG_PIDS:
      return "pids";
    case CG_RDMA:
      return "rdma";
    default:
      return NULL;
    }
}

bool
hako_cgroup_hugepage_size_ok (const char *size)
{
  char *end;
  unsigned long long n = strtoull (size, &end, 10);
  unsigned long long kb;
  if (end == size || n == 0)
    return false;
  if (strcmp (end, "KB") == 0)
    kb = n;
  else if (strcmp (end, "MB") == 0)
    kb = n << 10;
  else if (strcmp (end, "GB") == 0)
    kb = n << 20;
  else
    return false;
  char path[96];
  snprintf (path, sizeof path, "/sys/kernel/mm/hugepages/hugepages-%llukB", kb);
  return access (path, F_OK) == 0;
}

/* "0-3,5": what the kernel's list parser takes.  */
static bool
cpu_list_ok (const char *s)
{
  bool digit = false;
  for (; *s; s++)
    {
      if (*s >= '0' && *s <= '9')
        digit = true;
      else if ((*s == '-' || *s == ',') && digit)
        digit = false;
      else if (*s == '\n' || *s == ' ')
        continue;
      else
        return false;
    }
  return digit;
}

static int
v2_only_error (hako_error_t **err, const char *field)
{
  return hako_error_set (err, 0, "linux.resources.%s: not supported on cgroup v2 (a cgroup v1 setting)", field);
}

static int
validate_memory (const hako_spec_memory *m, bool v2, hako_error_t **err)
{
  if (m->has_limit && m->limit < -1)
    return hako_error_set (err, 0, "linux.resources.memory.limit: %lld is invalid (bytes, or -1 for no limit)",
                           (long long) m->limit);
  if (m->has_swap && m->swap < -1)
    return hako_error_set (err, 0, "linux.resources.memory.swap: %lld is invalid (bytes, or -1 for no limit)",
                           (long long) m->swap);
  if (m->has_reservation && m->reservation < -1)
    return hako_error_set (err, 0, "linux.resources.memory.reservation: %lld is invalid", (long long) m->reservation);
  if (m->has_limit && m->has_swap && m->limit > 0 && m->swap > 0 && m->swap < m->limit)
    return hako_error_set (err, 0,
                           "linux.resources.memory.swap: %lld is below the memory limit %lld (swap counts memory+swap)",
                           (long long) m->swap, (long long) m->limit);
  if (m->has_limit && m->limit == -1 && m->has_swap && m->swap > 0)
    return hako_error_set (err, 0,
                           "linux.resources.memory.swap: a swap limit needs a memory limit (memory.limit is -1)");
  if (! v2)
    return 0;
  if (m->has_swappiness)
    return v2_only_error (err, "memory.swappiness");
  if (m->has_disable_oom_killer && m->disable_oom_killer)
    return v2_only_error (err, "memory.disableOOMKiller");
  if (m->has_use_hierarchy && ! m->use_hierarchy)
    return hako_error_set (err, 0, "linux.resources.memory.useHierarchy: cgroup v2 is always hierarchical");
  if (m->has_kernel_tcp)
    return v2_only_error (err, "memory.kernelTCP");
  return 0;
}

static int
validate_cpu (const hako_spec_cpu *c, bool v2, hako_error_t **err)
{
  if (c->has_period && c->period != 0 && (c->period < 1000 || c->period > 1000000))
    return hako_error_set (err, 0, "linux.resources.cpu.period: %llu is out of range (1000..1000000 microseconds)",
                           (unsigned long long) c->period);
  if (c->has_quota && c->quota > 0 && c->quota < 1000)
    return hako_error_set (err, 0, "linux.resources.cpu.quota: %lld is below the kernel's minimum of 1000 microseconds",
                           (long long) c->quota);
  if (c->has_quota && c->quota < -1)
    return hako_error_set (err, 0, "linux.resources.cpu.quota: %lld is invalid (microseconds, or -1 for no limit)",
                           (long long) c->quota);
  if (c->has_quota && c->has_burst && c->quota > 0 && c->burst > (uint64_t) c->quota)
    return hako_error_set (err, 0, "linux.resources.cpu.burst: %llu is larger than the quota %lld",
                           (unsigned long long) c->burst, (long long) c->quota);
  if (c->has_shares && c->shares != 0 && (c->shares < 2 || c->shares > 262144))
    return hako_error_set (err, 0, "linux.resources.cpu.shares: %llu is out of range (2..262144)",
                           (unsigned long long) c->shares);
  if (c->cpus && c->cpus[0] && ! cpu_list_ok (c->cpus))
    return hako_error_set (err, 0, "linux.resources.cpu.cpus: `%s` is not a CPU list such as 0-3,5", c->cpus);
  if (c->mems && c->mems[0] && ! cpu_list_ok (c->mems))
    return hako_error_set (err, 0, "linux.resources.cpu.mems: `%s` is not a node list such as 0-1", c->mems);
  if (v2 && (c->has_realtime_runtime || c->has_realtime_period))
    return v2_only_error (err, c->has_realtime_runtime ? "cpu.realtimeRuntime" : "cpu.realtimePeriod");
  return 0;
}

static int
validate_weight (uint16_t w, const char *field, hako_error_t **err)
{
  if (w != 0 && (w < 10 || w > 1000))
    return hako_error_set (err, 0, "linux.resources.blockIO.%s: %u is out of range (10..1000)", field, w);
  return 0;
}

static int
validate_throttle (hako_spec_throttle_device *const *t, size_t n, const char *field, hako_error_t **err)
{
  for (size_t i = 0; i < n; i++)
    if (t[i]->major < 0 || t[i]->minor < 0)
      return hako_error_set (err, 0, "linux.resources.blockIO.%s[%zu]: major and minor must be device numbers", field,
                             i);
  return 0;
}

static int
validate_blkio (const hako_spec_block_io *b, bool v2, hako_error_t **err)
{
  if (b->has_weight && validate_weight (b->weight, "weight", err) < 0)
    return -1;
  if (b->has_leaf_weight && validate_weight (b->leaf_weight, "leafWeight", err) < 0)
    return -1;
  if (v2 && b->has_leaf_weight)
    return v2_only_error (err, "blockIO.leafWeight");
  for (size_t i = 0; i < b->weight_device_len; i++)
    {
      const hako_spec_weight_device *w = b->weight_device[i];
      cleanup_free char *f = hako_strdup_printf ("weightDevice[%zu]", i);
      if (! w->has_weight && ! w->has_leaf_weight)
        return hako_error_set (err, 0, "linux.resources.blockIO.%s: weight or leafWeight is required", f);
      if (w->major < 0 || w->minor < 0)
        return hako_error_set (err, 0, "linux.resources.blockIO.%s: major and minor must be device numbers", f);
      if ((w->has_weight && validate_weight (w->weight, f, err) < 0)
          || (w->has_leaf_weight && validate_weight (w->leaf_weight, f, err) < 0))
        return -1;
      if (v2 && w->has_leaf_weight)
        return hako_error_set (err, 0, "linux.resources.blockIO.%s.leafWeight: not supported on cgroup v2", f);
    }
  if (validate_throttle (b->throttle_read_bps_device, b->throttle_read_bps_device_len, "throttleReadBpsDevice", err) < 0
      || validate_throttle (b->throttle_write_bps_device, b->throttle_write_bps_device_len, "throttleWriteBpsDevice",
                            err)
             < 0
      || validate_throttle (b->throttle_read_iops_device, b->throttle_read_iops_device_len, "throttleReadIOPSDevice",
                            err)
             < 0
      || validate_throttle (b->throttle_write_iops_device, b->throttle_write_iops_device_len, "throttleWriteIOPSDevice",
                            err)
             < 0)
    return -1;
  return 0;
}

int
hako_cgroup_validate (const hako_spec_linux_resources *r, enum hako_cgroup_layout l, hako_error_t **err)
{
  bool v2 = l == HAKO_CGROUP_V2;
  if (r->memory && validate_memory (r->memory, v2, err) < 0)
    return -1;
  if (r->cpu && validate_cpu (r->cpu, v2, err) < 0)
    return -1;
  if (r->block_io && validate_blkio (r->block_io, v2, err) < 0)
    return -1;
  for (size_t i = 0; i < r->hugepage_limits_len; i++)
    if (! hako_cgroup_hugepage_size_ok (r->hugepage_limits[i]->page_size))
      return hako_error_set (err, 0,
                             "linux.resources.hugepageLimits[%zu].pageSize: `%s` is not a huge page size of this host",
                             i, r->hugepage_limits[i]->page_size);
  for (size_t i = 0; r->network && i < r->network->priorities_len; i++)
    {
      const char *n = r->network->priorities[i]->name;
      if (n[0] == '\0' || strlen (n) > 15 || strpbrk (n, " \t\n/"))
        return hako_error_set (err, 0, "linux.resources.network.priorities[%zu].name: `%s` is not an interface name", i,
                               n);
    }
  if (r->network && (r->network->has_class_id || r->network->priorities_len))
    {
      if (v2)
        return hako_error_set (err, 0,
                               "linux.resources.network: not supported on cgroup v2 (net_cls and net_prio are v1 "
                               "only)");
      if (r->network->has_class_id && ! hako_cgroup_v1_has ("net_cls"))
        return hako_error_set (err, 0, "linux.resources.network.classID: this host has no net_cls cgroup hierarchy");
      if (r->network->priorities_len && ! hako_cgroup_v1_has ("net_prio"))
        return hako_error_set (err, 0,
                               "linux.resources.network.priorities: this host has no net_prio cgroup hierarchy");
    }
  for (size_t i = 0; r->rdma && i < r->rdma->len; i++)
    {
      const hako_spec_rdma *x = r->rdma->values[i];
      if (! x->has_hca_handles && ! x->has_hca_objects)
        return hako_error_set (err, 0, "linux.resources.rdma.%s: hcaHandles or hcaObjects is required",
                               r->rdma->keys[i]);
      if (strpbrk (r->rdma->keys[i], " \n=") || r->rdma->keys[i][0] == '\0')
        return hako_error_set (err, 0, "linux.resources.rdma: `%s` is not a device name", r->rdma->keys[i]);
    }
  if (r->unified && r->unified->len > 0)
    {
      if (l == HAKO_CGROUP_V1)
        return hako_error_set (err, 0, "linux.resources.unified: this host has no cgroup v2 hierarchy");
      for (size_t i = 0; i < r->unified->len; i++)
        {
          const char *k = r->unified->keys[i];
          if (strchr (k, '/') || k[0] == '.' || k[0] == '\0')
            return hako_error_set (err, 0, "linux.resources.unified: `%s` is not a cgroup file name", k);
        }
    }
  for (size_t i = 0; i < r->devices_len; i++)
    {
      const hako_spec_device_cgroup *d = r->devices[i];
      const char *a = d->access;
      for (const char *p = a; p && *p; p++)
        if (*p != 'r' && *p != 'w' && *p != 'm')
          return hako_error_set (err, 0, "linux.resources.devices[%zu].access: `%s` is not a subset of rwm", i, a);
      if ((d->has_major && d->major < -1) || (d->has_minor && d->minor < -1))
        return hako_error_set (err, 0,
                               "linux.resources.devices[%zu]: major and minor are device numbers (or -1 for any)", i);
    }
  return 0;
}

int
hako_cgroup_rdma_apply (const char *d, const hako_spec_map_rdma *m, hako_error_t **err)
{
  for (size_t i = 0; i < m->len; i++)
    {
      const hako_spec_rdma *x = m->values[i];
      char buf[256];
      int n = snprintf (buf, sizeof buf, "%s", m->keys[i]);
      if (x->has_hca_handles)
        n += snprintf (buf + n, sizeof buf - (size_t) n, " hca_handle=%u", x->hca_handles);
      if (x->has_hca_objects)
        snprintf (buf + n, sizeof buf - (size_t) n, " hca_object=%u", x->hca_objects);
      cleanup_free char *f = hako_strdup_printf ("linux.resources.rdma.%s", m->keys[i]);
      if (hako_cgroup_set (d, "rdma.max", buf, f, err) < 0)
        return -1;
    }
  return 0;
}

static const char *
section_field (unsigned bit)
{
  switch (bit)
    {
    case CG_MEMORY:
      return "memory";
    case CG_CPU:
      return "cpu";
    case CG_CPUSET:
      return "cpu.cpus";
    case CG_IO:
      return "blockIO";
    case CG_HUGETLB:
      return "hugepageLimits";
    case CG_PIDS:
      return "pids";
    case CG_RDMA:
      return "rdma";
    case CG_DEVICES:
      return "devices";
    default:
      return "unified";
    }
}

int
hako_cgroup_update (const hako_st_cgroup *cg, const hako_spec_linux_resources *r, hako_error_t **err)
{
  if (cg == NULL)
    return hako_error_set (err, 0, "the container has no cgroup");
  if (hako_cgroup_sections (r) == 0)
    return 0;
  if (strcmp (cg->manager, "systemd") == 0 && hako_cgroup_systemd_update (cg, r, err) < 0)
    return -1;
  return hako_cgroup_apply_fs (cg, r, err);
}

/* Write R through cgroupfs (also for the systemd driver, for what systemd
   has no property for).  */
int
hako_cgroup_apply_fs (const hako_st_cgroup *cg, const hako_spec_linux_resources *r, hako_error_t **err)
{
  unsigned sections = hako_cgroup_sections (r);
  if (strcmp (cg->layout, "v2") == 0)
    return hako_cgroup_v2_apply (cg->unified_path, r, sections, err);
  unsigned missing = 0;
  if (hako_cgroup_v1_apply (cg, r, sections & ~(unsigned) CG_UNIFIED, &missing, err) < 0)
    return -1;
  /* A hybrid host may have in its cgroup2 hierarchy a controller that v1
     lacks (here: hugetlb): use it there.  */
  for (unsigned bit = 1; bit < CG_ALL; bit <<= 1)
    {
      if (! (missing & bit))
        continue;
      const char *ctrl = hako_cgroup_v2_controller (bit);
      if (bit == CG_UNIFIED && cg->unified_path)
        continue;
      if (ctrl == NULL || cg->unified_path == NULL || ! hako_cgroup_v2_has (HAKO_CGROUP_UNIFIED, ctrl))
        return hako_error_set (err, ENOENT, "linux.resources.%s: this host has no %s cgroup controller",
                               section_field (bit), ctrl ? ctrl : section_field (bit));
      if (hako_cgroup_v2_apply (cg->unified_path, r, bit, err) < 0)
        return -1;
    }
  if (sections & CG_UNIFIED)
    {
      if (cg->unified_path == NULL)
        return hako_error_set (err, 0, "linux.resources.unified: no cgroup v2 hierarchy for this container");
      return hako_cgroup_v2_apply (cg->unified_path, r, CG_UNIFIED, err);
    }
  return 0;
}
