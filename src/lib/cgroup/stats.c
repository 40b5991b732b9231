/* SPDX-License-Identifier: Apache-2.0 */
/* The statistics of `events`, as runc prints them (its types.Stats): cpu,
   cpuset, memory, pids, blkio, hugetlb, read from v1 or v2 files.  */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "cleanup.h"
#include "json-support.h"

/* The value of KEY in a "key value" file (memory.stat, cpu.stat, ...).  */
static bool
kv (const char *text, const char *key, uint64_t *out)
{
  size_t kl = strlen (key);
  for (const char *s = text; s && *s; s = strchr (s, '\n'), s = s ? s + 1 : NULL)
    if (strncmp (s, key, kl) == 0 && s[kl] == ' ')
      {
        *out = strtoull (s + kl + 1, NULL, 10);
        return true;
      }
  return false;
}

static uint64_t
kv0 (const char *text, const char *key)
{
  uint64_t v = 0;
  if (text)
    kv (text, key, &v);
  return v;
}

static uint64_t
num (const char *dir, const char *file)
{
  uint64_t v = 0;
  if (dir == NULL || hako_cgroup_read_u64 (dir, file, &v) < 0)
    return 0;
  return v;
}

static char *
text (const char *dir, const char *file)
{
  char *s = NULL;
  if (dir == NULL || hako_cgroup_read (dir, file, &s, NULL) < 0)
    return NULL;
  return s;
}

static void
key_u64 (yajl_gen g, const char *key, uint64_t v, bool omitempty)
{
  if (omitempty && v == 0)
    return;
  hako_json_gen_key (g, key);
  hako_json_gen_u64 (g, v);
}

/* "0-2,5" as [0,1,2,5].  */
static void
key_list (yajl_gen g, const char *key, const char *list)
{
  if (list == NULL || list[0] == '\n' || list[0] == '\0')
    return;
  hako_json_gen_key (g, key);
  yajl_gen_array_open (g);
  for (const char *s = list; *s && *s != '\n';)
    {
      char *end;
      unsigned long a = strtoul (s, &end, 10), b = a;
      if (end == s)
        break;
      if (*end == '-')
        b = strtoul (end + 1, &end, 10);
      for (unsigned long i = a; i <= b && i < 65536; i++)
        hako_json_gen_u64 (g, i);
      s = *end == ',' ? end + 1 : end;
    }
  yajl_gen_array_close (g);
}

/* Space-separated numbers (cpuacct.usage_percpu) as an array.  */
static void
key_numbers (yajl_gen g, const char *key, const char *s, uint64_t mult)
{
  if (s == NULL || strspn (s, " \n") == strlen (s))
    return;
  hako_json_gen_key (g, key);
  yajl_gen_array_open (g);
  for (char *end; *s && *s != '\n'; s = end)
    {
      uint64_t v = strtoull (s, &end, 10);
      if (end == s)
        break;
      hako_json_gen_u64 (g, v * mult);
    }
  yajl_gen_array_close (g);
}

/* PSI (*.pressure): {"some":{avg10,avg60,avg300,total},"full":{...}}.  */
static void
key_psi (yajl_gen g, const char *dir, const char *file)
{
  cleanup_free char *s = text (dir, file);
  if (s == NULL)
    return;
  hako_json_gen_key (g, "psi");
  yajl_gen_map_open (g);
  for (char *line = s; line && *line; line = strchr (line, '\n'), line = line ? line + 1 : NULL)
    {
      char kind[8];
      double a10, a60, a300;
      unsigned long long total;
      if (sscanf (line, "%7s avg10=%lf avg60=%lf avg300=%lf total=%llu", kind, &a10, &a60, &a300, &total) != 5)
        continue;
      hako_json_gen_key (g, kind);
      yajl_gen_map_open (g);
      hako_json_gen_key (g, "avg10");
      yajl_gen_double (g, a10);
      hako_json_gen_key (g, "avg60");
      yajl_gen_double (g, a60);
      hako_json_gen_key (g, "avg300");
      yajl_gen_double (g, a300);
      key_u64 (g, "total", total, false);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
}

struct dirs
{
  bool v2;
  const char *cpu, *cpuacct, *cpuset, *memory, *pids, *blkio, *hugetlb, *psi;
};

static void
gen_cpu (yajl_gen g, const struct dirs *d)
{
  hako_json_gen_key (g, "cpu");
  yajl_gen_map_open (g);
  hako_json_gen_key (g, "usage");
  yajl_gen_map_open (g);
  cleanup_free char *stat = text (d->cpu, "cpu.stat");
  if (d->v2)
    {
      key_u64 (g, "total", kv0 (stat, "usage_usec") * 1000, true);
      key_u64 (g, "kernel", kv0 (stat, "system_usec") * 1000, false);
      key_u64 (g, "user", kv0 (stat, "user_usec") * 1000, false);
    }
  else
    {
      key_u64 (g, "total", num (d->cpuacct, "cpuacct.usage"), true);
      cleanup_free char *pc = text (d->cpuacct, "cpuacct.usage_percpu");
      cleanup_free char *pk = text (d->cpuacct, "cpuacct.usage_percpu_sys");
      cleanup_free char *pu = text (d->cpuacct, "cpuacct.usage_percpu_user");
      key_numbers (g, "percpu", pc, 1);
      key_numbers (g, "percpu_kernel", pk, 1);
      key_numbers (g, "percpu_user", pu, 1);
      /* cpuacct.stat counts USER_HZ ticks.  */
      cleanup_free char *st = text (d->cpuacct, "cpuacct.stat");
      long hz = sysconf (_SC_CLK_TCK);
      uint64_t ns = 1000000000ull / (uint64_t) (hz > 0 ? hz : 100);
      key_u64 (g, "kernel", kv0 (st, "system") * ns, false);
      key_u64 (g, "user", kv0 (st, "user") * ns, false);
    }
  yajl_gen_map_close (g);
  hako_json_gen_key (g, "throttling");
  yajl_gen_map_open (g);
  key_u64 (g, "periods", kv0 (stat, "nr_periods"), true);
  key_u64 (g, "throttledPeriods", kv0 (stat, "nr_throttled"), true);
  key_u64 (g, "throttledTime", d->v2 ? kv0 (stat, "throttled_usec") * 1000 : kv0 (stat, "throttled_time"), true);
  yajl_gen_map_close (g);
  if (d->psi)
    key_psi (g, d->psi, "cpu.pressure");
  yajl_gen_map_close (g);
}

static void
gen_cpuset (yajl_gen g, const struct dirs *d)
{
  hako_json_gen_key (g, "cpuset");
  yajl_gen_map_open (g);
  const char *pre = d->v2 ? "cpuset.cpus.effective" : "cpuset.cpus";
  cleanup_free char *cpus = text (d->cpuset, pre);
  cleanup_free char *mems = text (d->cpuset, d->v2 ? "cpuset.mems.effective" : "cpuset.mems");
  key_list (g, "cpus", cpus);
  key_u64 (g, "cpu_exclusive", d->v2 ? 0 : num (d->cpuset, "cpuset.cpu_exclusive"), false);
  key_list (g, "mems", mems);
  static const char *const flags[][2] = {
    { "mem_hardwall", "cpuset.mem_hardwall" },
    { "mem_exclusive", "cpuset.mem_exclusive" },
    { "memory_migrate", "cpuset.memory_migrate" },
    { "memory_spread_page", "cpuset.memory_spread_page" },
    { "memory_spread_slab", "cpuset.memory_spread_slab" },
    { "memory_pressure", "cpuset.memory_pressure" },
    { "sched_load_balance", "cpuset.sched_load_balance" },
  };
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
    key_u64 (g, flags[i][0], d->v2 ? 0 : num (d->cpuset, flags[i][1]), false);
  hako_json_gen_key (g, "sched_relax_domain_level");
  cleanup_free char *lvl = d->v2 ? NULL : text (d->cpuset, "cpuset.sched_relax_domain_level");
  yajl_gen_integer (g, lvl ? strtoll (lvl, NULL, 10) : 0);
  yajl_gen_map_close (g);
}

static void
mem_entry (yajl_gen g, const char *key, uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt)
{
  hako_json_gen_key (g, key);
  yajl_gen_map_open (g);
  key_u64 (g, "limit", limit, false);
  key_u64 (g, "usage", usage, true);
  key_u64 (g, "max", max, true);
  key_u64 (g, "failcnt", failcnt, false);
  yajl_gen_map_close (g);
}

static void
gen_memory (yajl_gen g, const struct dirs *d)
{
  const char *m = d->memory;
  hako_json_gen_key (g, "memory");
  yajl_gen_map_open (g);
  cleanup_free char *stat = text (m, "memory.stat");
  cleanup_free char *events = d->v2 ? text (m, "memory.events") : NULL;
  if (d->v2)
    {
      key_u64 (g, "cache", kv0 (stat, "file"), true);
      uint64_t cur = num (m, "memory.current"), max = num (m, "memory.max");
      uint64_t scur = num (m, "memory.swap.current"), smax = num (m, "memory.swap.max");
      mem_entry (g, "usage", max, cur, num (m, "memory.peak"), kv0 (events, "max"));
      /* As runc: swap as memory+swap, the v1 meaning.  */
      mem_entry (g, "swap", smax == UINT64_MAX || max == UINT64_MAX ? UINT64_MAX : smax + max, scur + cur, 0, 0);
      mem_entry (g, "kernel", 0, kv0 (stat, "kernel"), 0, 0);
      mem_entry (g, "kernelTCP", 0, kv0 (stat, "sock"), 0, 0);
    }
  else
    {
      key_u64 (g, "cache", kv0 (stat, "total_cache"), true);
      static const char *const kinds[][2] = { { "usage", "memory" },
                                              { "swap", "memory.memsw" },
                                              { "kernel", "memory.kmem" },
                                              { "kernelTCP", "memory.kmem.tcp" } };
      for (size_t i = 0; i < 4; i++)
        {
          char f[4][64];
          snprintf (f[0], 64, "%s.limit_in_bytes", kinds[i][1]);
          snprintf (f[1], 64, "%s.usage_in_bytes", kinds[i][1]);
          snprintf (f[2], 64, "%s.max_usage_in_bytes", kinds[i][1]);
          snprintf (f[3], 64, "%s.failcnt", kinds[i][1]);
          mem_entry (g, kinds[i][0], num (m, f[0]), num (m, f[1]), num (m, f[2]), num (m, f[3]));
        }
    }
  if (stat && stat[0])
    {
      hako_json_gen_key (g, "raw");
      yajl_gen_map_open (g);
      for (char *line = stat; line && *line; line = strchr (line, '\n'), line = line ? line + 1 : NULL)
        {
          char *sp = strchr (line, ' ');
          if (sp == NULL)
            break;
          *sp = '\0';
          hako_json_gen_key (g, line);
          hako_json_gen_u64 (g, strtoull (sp + 1, NULL, 10));
          *sp = ' ';
        }
      yajl_gen_map_close (g);
    }
  if (d->psi)
    key_psi (g, d->psi, "memory.pressure");
  hako_json_gen_key (g, "event_count");
  yajl_gen_map_open (g);
  cleanup_free char *oomc = d->v2 ? NULL : text (m, "memory.oom_control");
  key_u64 (g, "low", kv0 (events, "low"), false);
  key_u64 (g, "high", kv0 (events, "high"), false);
  key_u64 (g, "max", kv0 (events, "max"), false);
  key_u64 (g, "oom", kv0 (events, "oom"), false);
  key_u64 (g, "oom_kill", d->v2 ? kv0 (events, "oom_kill") : kv0 (oomc, "oom_kill"), false);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
}

static void
blkio_entries (yajl_gen g, const char *key, const char *s)
{
  if (s == NULL || s[0] == '\0')
    return;
  bool open = false;
  for (const char *line = s; line && *line; line = strchr (line, '\n'), line = line ? line + 1 : NULL)
    {
      unsigned long long maj, min, v;
      char op[16];
      if (sscanf (line, "%llu:%llu %15s %llu", &maj, &min, op, &v) != 4)
        continue;
      if (! open)
        {
          hako_json_gen_key (g, key);
          yajl_gen_array_open (g);
          open = true;
        }
      yajl_gen_map_open (g);
      key_u64 (g, "major", maj, true);
      key_u64 (g, "minor", min, true);
      hako_json_gen_key (g, "op");
      hako_json_gen_string (g, op);
      key_u64 (g, "value", v, true);
      yajl_gen_map_close (g);
    }
  if (open)
    yajl_gen_array_close (g);
}

/* io.stat lines ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 ...") in the v1
   shape: one Read and one Write entry per device.  */
static void
io_stat_entries (yajl_gen g, const char *key, const char *s, const char *rkey, const char *wkey)
{
  if (s == NULL || s[0] == '\0')
    return;
  hako_json_gen_key (g, key);
  yajl_gen_array_open (g);
  for (const char *line = s; line && *line; line = strchr (line, '\n'), line = line ? line + 1 : NULL)
    {
      unsigned long long maj, min;
      if (sscanf (line, "%llu:%llu", &maj, &min) != 2)
        continue;
      for (int k = 0; k < 2; k++)
        {
          const char *f = strstr (line, k ? wkey : rkey);
          const char *nl = strchr (line, '\n');
          if (f == NULL || (nl && f > nl))
            continue;
          yajl_gen_map_open (g);
          key_u64 (g, "major", maj, true);
          key_u64 (g, "minor", min, true);
          hako_json_gen_key (g, "op");
          hako_json_gen_string (g, k ? "Write" : "Read");
          key_u64 (g, "value", strtoull (strchr (f, '=') + 1, NULL, 10), true);
          yajl_gen_map_close (g);
        }
    }
  yajl_gen_array_close (g);
}

static void
gen_blkio (yajl_gen g, const struct dirs *d)
{
  hako_json_gen_key (g, "blkio");
  yajl_gen_map_open (g);
  if (d->v2)
    {
      cleanup_free char *s = text (d->blkio, "io.stat");
      io_stat_entries (g, "ioServiceBytesRecursive", s, "rbytes=", "wbytes=");
      io_stat_entries (g, "ioServicedRecursive", s, "rios=", "wios=");
    }
  else
    {
      /* CFQ's files went with Linux 5.0; BFQ's and the throttler's stay. */
      const char *pre = hako_cgroup_file_exists (d->blkio ? d->blkio : "/", "blkio.io_service_bytes_recursive")
                            ? "blkio"
                        : hako_cgroup_file_exists (d->blkio ? d->blkio : "/", "blkio.bfq.io_service_bytes_recursive")
                            ? "blkio.bfq"
                            : "blkio.throttle";
      char f[96];
      snprintf (f, sizeof f, "%s.io_service_bytes_recursive", pre);
      cleanup_free char *b = text (d->blkio, f);
      snprintf (f, sizeof f, "%s.io_serviced_recursive", pre);
      cleanup_free char *n = text (d->blkio, f);
      blkio_entries (g, "ioServiceBytesRecursive", b);
      blkio_entries (g, "ioServicedRecursive", n);
    }
  if (d->psi)
    key_psi (g, d->psi, "io.pressure");
  yajl_gen_map_close (g);
}

static void
gen_hugetlb (yajl_gen g, const struct dirs *d, bool v2)
{
  hako_json_gen_key (g, "hugetlb");
  yajl_gen_map_open (g);
  cleanup_dir DIR *dir = d->hugetlb ? opendir ("/sys/kernel/mm/hugepages") : NULL;
  struct dirent *de;
  while (dir && (de = readdir (dir)) != NULL)
    {
      unsigned long kb;
      if (sscanf (de->d_name, "hugepages-%lukB", &kb) != 1)
        continue;
      char size[32], f[96];
      if (kb >= (1ul << 20))
        snprintf (size, sizeof size, "%luGB", kb >> 20);
      else if (kb >= 1024)
        snprintf (size, sizeof size, "%luMB", kb >> 10);
      else
        snprintf (size, sizeof size, "%luKB", kb);
      hako_json_gen_key (g, size);
      yajl_gen_map_open (g);
      if (v2)
        {
          snprintf (f, sizeof f, "hugetlb.%s.current", size);
          key_u64 (g, "usage", num (d->hugetlb, f), true);
          snprintf (f, sizeof f, "hugetlb.%s.events", size);
          cleanup_free char *ev = text (d->hugetlb, f);
          key_u64 (g, "failcnt", kv0 (ev, "max"), false);
        }
      else
        {
          snprintf (f, sizeof f, "hugetlb.%s.usage_in_bytes", size);
          key_u64 (g, "usage", num (d->hugetlb, f), true);
          snprintf (f, sizeof f, "hugetlb.%s.max_usage_in_bytes", size);
          key_u64 (g, "max", num (d->hugetlb, f), true);
          snprintf (f, sizeof f, "hugetlb.%s.failcnt", size);
          key_u64 (g, "failcnt", num (d->hugetlb, f), false);
        }
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
}

int
hako_cgroup_stats_json (const hako_st_cgroup *cg, char **json, hako_error_t **err)
{
  if (cg == NULL)
    return hako_error_set (err, 0, "the container has no cgroup");
  struct dirs d = { 0 };
  bool hugetlb_v2 = false;
  if (strcmp (cg->layout, "v2") == 0)
    {
      d.v2 = true;
      d.cpu = d.cpuacct = d.cpuset = d.memory = d.pids = d.blkio = d.hugetlb = d.psi = cg->unified_path;
      hugetlb_v2 = true;
    }
  else
    {
      d.cpu = hako_cgroup_v1_dir (cg, "cpu");
      d.cpuacct = hako_cgroup_v1_dir (cg, "cpuacct");
      d.cpuset = hako_cgroup_v1_dir (cg, "cpuset");
      d.memory = hako_cgroup_v1_dir (cg, "memory");
      d.pids = hako_cgroup_v1_dir (cg, "pids");
      d.blkio = hako_cgroup_v1_dir (cg, "blkio");
      d.hugetlb = hako_cgroup_v1_dir (cg, "hugetlb");
      if (d.hugetlb == NULL && cg->unified_path && hako_cgroup_file_exists (cg->unified_path, "hugetlb.2MB.current"))
        {
          d.hugetlb = cg->unified_path;
          hugetlb_v2 = true;
        }
    }
  if (d.memory == NULL && d.cpu == NULL && d.pids == NULL)
    return hako_error_set (err, ENOENT, "the container's cgroup has no statistics to read");
  yajl_gen g = hako_json_gen_new (0);
  yajl_gen_map_open (g);
  gen_cpu (g, &d);
  gen_cpuset (g, &d);
  gen_memory (g, &d);
  hako_json_gen_key (g, "pids");
  yajl_gen_map_open (g);
  key_u64 (g, "current", num (d.pids, "pids.current"), true);
  uint64_t lim = num (d.pids, "pids.max");
  key_u64 (g, "limit", lim == UINT64_MAX ? 0 : lim, true);
  yajl_gen_map_close (g);
  gen_blkio (g, &d);
  gen_hugetlb (g, &d, hugetlb_v2);
  hako_json_gen_key (g, "intel_rdt");
  yajl_gen_map_open (g);
  yajl_gen_map_close (g);
  hako_json_gen_key (g, "network_interfaces");
  yajl_gen_null (g);
  yajl_gen_map_close (g);
  *json = hako_json_gen_finish (g, NULL);
  return 0;
}
