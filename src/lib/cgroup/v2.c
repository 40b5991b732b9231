/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: linux.resources on the cgroup v2 hierarchy, with the spec's v1
   to v2 conversions (shares to weight, memory+swap to swap, blkio weight
   to io.weight), and linux.resources.unified.  */
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

static bool
word_in (const char *list, const char *word)
{
  size_t wl = strlen (word);
  for (const char *s = list; s && (s = strstr (s, word)) != NULL; s += wl)
    if ((s == list || s[-1] == ' ' || s[-1] == '\n') && (s[wl] == '\0' || s[wl] == ' ' || s[wl] == '\n'))
      return true;
  return false;
}

bool
hako_cgroup_v2_has (const char *root, const char *controller)
{
  cleanup_free char *avail = NULL;
  if (hako_cgroup_read (root, "cgroup.controllers", &avail, NULL) < 0)
    return false;
  return word_in (avail, controller);
}

/* Enable in DIR's subtree_control each of its controllers (all when
   ONLY is NULL) that is not yet enabled, in one write.  Some cannot be
   enabled (threaded subtrees): that is for the writes that need them to
   report.  */
static void
enable_here (const char *dir, const char *only)
{
  cleanup_free char *avail = NULL, *enabled = NULL;
  if (hako_cgroup_read (dir, "cgroup.controllers", &avail, NULL) < 0)
    return;
  hako_cgroup_read (dir, "cgroup.subtree_control", &enabled, NULL);
  char buf[512] = "";
  size_t len = 0;
  char *save, *tok = strtok_r (avail, " \n", &save);
  for (; tok; tok = strtok_r (NULL, " \n", &save))
    {
      if ((only && strcmp (tok, only) != 0) || (enabled && word_in (enabled, tok)))
        continue;
      len += (size_t) snprintf (buf + len, sizeof buf - len, "%s+%s", len ? " " : "", tok);
      if (len >= sizeof buf)
        return;
    }
  if (len && hako_cgroup_write (dir, "cgroup.subtree_control", buf, NULL) < 0 && only == NULL)
    {
      /* One refused controller fails the whole write: try one by one. */
      for (char *s = buf; s && *s;)
        {
          char *sp = strchr (s, ' ');
          if (sp)
            *sp = '\0';
          hako_cgroup_write (dir, "cgroup.subtree_control", s, NULL);
          s = sp ? sp + 1 : NULL;
        }
    }
}

int
hako_cgroup_v2_enable (const char *root, const char *dir, const char *controller, hako_error_t **err)
{
  if (! hako_cgroup_v2_has (root, controller))
    return hako_error_set (err, ENOENT, "the cgroup v2 controller `%s` is not available on this host", controller);
  cleanup_free char *path = hako_xstrdup (dir);
  size_t rl = strlen (root);
  enable_here (root, controller);
  for (char *s = path + rl + 1; *s; s++)
    if (*s == '/')
      {
        *s = '\0';
        enable_here (path, controller);
        *s = '/';
      }
  cleanup_free char *avail = NULL;
  if (hako_cgroup_read (dir, "cgroup.controllers", &avail, err) < 0)
    return -1;
  if (! word_in (avail, controller))
    return hako_error_set (err, 0, "cannot enable the cgroup v2 controller `%s` for `%s`", controller, dir);
  return 0;
}

int
hako_cgroup_v2_prepare (const char *root, const char *rel, bool *created, hako_error_t **err)
{
  cleanup_free char *path = hako_strdup_printf ("%s%s", root, rel);
  if (mkdir (path, 0755) == 0)
    *created = true;
  else if (errno == ENOENT)
    {
      /* The parents are new too: enable the controllers on the way.  */
      size_t rl = strlen (root);
      enable_here (root, NULL);
      for (char *s = path + rl + 1; *s; s++)
        if (*s == '/')
          {
            *s = '\0';
            if (mkdir (path, 0755) < 0 && errno != EEXIST)
              return hako_error_sys (err, "create cgroup `%s`", path);
            enable_here (path, NULL);
            *s = '/';
          }
      if (mkdir (path, 0755) < 0)
        return hako_error_sys (err, "create cgroup `%s`", path);
      *created = true;
      return 0;
    }
  else if (errno != EEXIST)
    return hako_error_sys (err, "create cgroup `%s`", path);
  /* The usual case: the parent exists; it needs its controllers enabled
     (a no-op read when they are).  */
  char *slash = strrchr (path, '/');
  *slash = '\0';
  enable_here (path, NULL);
  return 0;
}

/* ---------------------------------------------------------------- memory */

static int
set_max (const char *dir, const char *file, int64_t v, const char *field, hako_error_t **err)
{
  if (v < 0)
    return hako_cgroup_set (dir, file, "max", field, err);
  return hako_cgroup_set_i64 (dir, file, v, field, err);
}

static int
apply_memory (const char *dir, const hako_spec_memory *m, hako_error_t **err)
{
  if (m->has_check_before_update && m->check_before_update && m->has_limit && m->limit > 0)
    {
      uint64_t cur = 0;
      if (hako_cgroup_read_u64 (dir, "memory.current", &cur) == 0 && cur > (uint64_t) m->limit)
        return hako_error_set (err, 0,
                               "linux.resources.memory.limit: %lld is below the current usage %llu (checkBeforeUpdate)",
                               (long long) m->limit, (unsigned long long) cur);
    }
  if (m->has_limit && set_max (dir, "memory.max", m->limit, "linux.resources.memory.limit", err) < 0)
    return -1;
  /* The spec's swap is memory+swap (v1); v2 limits swap alone.  As runc:
     an unlimited memory without a swap value frees swap too, and 0 means
     not set.  */
  int64_t swap = 0;
  bool set_swap = false;
  if (m->has_swap && m->swap != 0)
    {
      set_swap = true;
      if (m->swap < 0)
        swap = -1;
      else
        {
          int64_t limit = m->has_limit ? m->limit : -1;
          uint64_t cur;
          if (! m->has_limit && hako_cgroup_read_u64 (dir, "memory.max", &cur) == 0 && cur != UINT64_MAX)
            limit = (int64_t) cur;
          if (limit <= 0)
            return hako_error_set (err, 0, "linux.resources.memory.swap: a swap limit needs a memory limit");
          if (m->swap < limit)
            return hako_error_set (err, 0,
                                   "linux.resources.memory.swap: %lld is below the memory limit %lld (swap counts "
                                   "memory+swap)",
                                   (long long) m->swap, (long long) limit);
          swap = m->swap - limit;
        }
    }
  else if (m->has_limit && m->limit < 0)
    {
      set_swap = true;
      swap = -1;
    }
  if (set_swap)
    {
      if (! hako_cgroup_file_exists (dir, "memory.swap.max"))
        {
          if (swap > 0)
            return hako_error_set (err, 0,
                                   "linux.resources.memory.swap: this kernel has no swap accounting (memory.swap.max)");
        }
      else if (set_max (dir, "memory.swap.max", swap, "linux.resources.memory.swap", err) < 0)
        return -1;
    }
  if (m->has_reservation && set_max (dir, "memory.low", m->reservation, "linux.resources.memory.reservation", err) < 0)
    return -1;
  /* runc ignores it too: kernel memory is part of memory.max on v2.  */
  if (m->has_kernel)
    hako_warn ("linux.resources.memory.kernel: no separate kernel memory limit on cgroup v2, not applied");
  return 0;
}

/* ------------------------------------------------------------------- cpu */

static int
apply_cpu (const char *dir, const hako_spec_cpu *c, hako_error_t **err)
{
  char buf[64];
  if (c->has_shares && c->shares)
    {
      snprintf (buf, sizeof buf, "%llu", hako_cgroup_shares_to_weight (c->shares));
      if (hako_cgroup_set (dir, "cpu.weight", buf, "linux.resources.cpu.shares", err) < 0)
        return -1;
    }
  bool quota = c->has_quota && c->quota != 0, period = c->has_period && c->period != 0;
  if (quota || period)
    {
      /* cpu.max holds both: keep the current value of the one not given
         (runc's rule for update).  */
      char cur_quota[32] = "max";
      unsigned long long cur_period = 100000;
      cleanup_free char *cur = NULL;
      if (hako_cgroup_read (dir, "cpu.max", &cur, NULL) == 0)
        sscanf (cur, "%31s %llu", cur_quota, &cur_period);
      if (quota && c->quota > 0)
        snprintf (cur_quota, sizeof cur_quota, "%" PRId64, c->quota);
      else if (quota)
        strcpy (cur_quota, "max");
      if (period)
        cur_period = c->period;
      snprintf (buf, sizeof buf, "%s %llu", cur_quota, cur_period);
      if (hako_cgroup_set (dir, "cpu.max", buf, quota ? "linux.resources.cpu.quota" : "linux.resources.cpu.period", err)
          < 0)
        return -1;
    }
  if (c->has_burst
      && hako_cgroup_set_i64 (dir, "cpu.max.burst", (int64_t) c->burst, "linux.resources.cpu.burst", err) < 0)
    return -1;
  if (c->has_idle && hako_cgroup_set_i64 (dir, "cpu.idle", c->idle, "linux.resources.cpu.idle", err) < 0)
    return -1;
  return 0;
}

static int
apply_cpuset (const char *dir, const hako_spec_cpu *c, hako_error_t **err)
{
  if (c->cpus && c->cpus[0] && hako_cgroup_set (dir, "cpuset.cpus", c->cpus, "linux.resources.cpu.cpus", err) < 0)
    return -1;
  if (c->mems && c->mems[0] && hako_cgroup_set (dir, "cpuset.mems", c->mems, "linux.resources.cpu.mems", err) < 0)
    return -1;
  return 0;
}

/* -------------------------------------------------------------------- io */

/* blkio weight [10, 1000] to io.weight [1, 10000], as runc and crun.  */
static unsigned
io_weight (unsigned w)
{
  return w < 10 ? 1 : 1 + (w - 10) * 9999 / 990;
}

static int
io_max (const char *dir, hako_spec_throttle_device *const *t, size_t n, const char *key, const char *field,
        hako_error_t **err)
{
  for (size_t i = 0; i < n; i++)
    {
      char buf[128];
      if (t[i]->rate == 0)
        snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %s=max", t[i]->major, t[i]->minor, key);
      else
        snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, t[i]->major, t[i]->minor, key, t[i]->rate);
      cleanup_free char *f = hako_strdup_printf ("linux.resources.blockIO.%s[%zu]", field, i);
      if (hako_cgroup_set (dir, "io.max", buf, f, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_io (const char *dir, const hako_spec_block_io *b, hako_error_t **err)
{
  /* BFQ takes the v1 scale; io.weight (blk-iocost) its own.  */
  bool bfq = hako_cgroup_file_exists (dir, "io.bfq.weight");
  if (b->has_weight && b->weight)
    {
      if (bfq ? hako_cgroup_set_i64 (dir, "io.bfq.weight", b->weight, "linux.resources.blockIO.weight", err)
              : hako_cgroup_set_i64 (dir, "io.weight", io_weight (b->weight), "linux.resources.blockIO.weight", err))
        return -1;
    }
  for (size_t i = 0; i < b->weight_device_len; i++)
    {
      const hako_spec_weight_device *w = b->weight_device[i];
      if (! w->has_weight)
        continue;
      char buf[96];
      snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor,
                bfq ? w->weight : io_weight (w->weight));
      cleanup_free char *f = hako_strdup_printf ("linux.resources.blockIO.weightDevice[%zu]", i);
      if (hako_cgroup_set (dir, bfq ? "io.bfq.weight" : "io.weight", buf, f, err) < 0)
        return -1;
    }
  return io_max (dir, b->throttle_read_bps_device, b->throttle_read_bps_device_len, "rbps", "throttleReadBpsDevice",
                 err) < 0
                 || io_max (dir, b->throttle_write_bps_device, b->throttle_write_bps_device_len, "wbps",
                            "throttleWriteBpsDevice", err)
                        < 0
                 || io_max (dir, b->throttle_read_iops_device, b->throttle_read_iops_device_len, "riops",
                            "throttleReadIOPSDevice", err)
                        < 0
                 || io_max (dir, b->throttle_write_iops_device, b->throttle_write_iops_device_len, "wiops",
                            "throttleWriteIOPSDevice", err)
                        < 0
             ? -1
             : 0;
}

static int
apply_hugetlb (const char *dir, const hako_spec_linux_resources *r, hako_error_t **err)
{
  for (size_t i = 0; i < r->hugepage_limits_len; i++)
    {
      const hako_spec_hugepage_limit *h = r->hugepage_limits[i];
      cleanup_free char *f = hako_strdup_printf ("linux.resources.hugepageLimits[%zu]", i);
      cleanup_free char *file = hako_strdup_printf ("hugetlb.%s.max", h->page_size);
      if (hako_cgroup_set_i64 (dir, file, (int64_t) h->limit, f, err) < 0)
        return -1;
      cleanup_free char *rsvd = hako_strdup_printf ("hugetlb.%s.rsvd.max", h->page_size);
      if (hako_cgroup_file_exists (dir, rsvd) && hako_cgroup_set_i64 (dir, rsvd, (int64_t) h->limit, f, err) < 0)
        return -1;
    }
  return 0;
}

/* `unified`: written last so that it overrides; each key's controller is
   enabled first (runtime-spec: MUST enable, MUST error when missing).  */
static int
apply_unified (const char *dir, const hako_spec_map_string *u, hako_error_t **err)
{
  for (size_t i = 0; i < u->len; i++)
    {
      const char *k = u->keys[i];
      if (strchr (k, '/') || k[0] == '.' || k[0] == '\0')
        return hako_error_set (err, 0, "linux.resources.unified: invalid key `%s`", k);
      if (hako_cgroup_file_exists (dir, k))
        {
          cleanup_free char *f = hako_strdup_printf ("linux.resources.unified.%s", k);
          if (hako_cgroup_set (dir, k, u->values[i], f, err) < 0)
            return -1;
          continue;
        }
      const char *dot = strchr (k, '.');
      cleanup_free char *ctrl = dot ? hako_xstrndup (k, (size_t) (dot - k)) : hako_xstrdup (k);
      cleanup_free char *root = hako_xstrdup (dir);
      /* The hierarchy root: /sys/fs/cgroup or /sys/fs/cgroup/unified.  */
      root[strncmp (dir, HAKO_CGROUP_UNIFIED "/", strlen (HAKO_CGROUP_UNIFIED) + 1) == 0 ? strlen (HAKO_CGROUP_UNIFIED)
                                                                                         : strlen (HAKO_CGROUP_ROOT)]
          = '\0';
      if (strcmp (ctrl, "cgroup") == 0 || hako_cgroup_v2_enable (root, dir, ctrl, NULL) < 0)
        return hako_error_set (err, ENOENT, "linux.resources.unified.%s: no such cgroup file%s%s%s", k,
                               strcmp (ctrl, "cgroup") ? " (the controller `" : "", strcmp (ctrl, "cgroup") ? ctrl : "",
                               strcmp (ctrl, "cgroup") ? "` is not available)" : "");
      cleanup_free char *f = hako_strdup_printf ("linux.resources.unified.%s", k);
      if (hako_cgroup_set (dir, k, u->values[i], f, err) < 0)
        return -1;
    }
  return 0;
}

int
hako_cgroup_v2_apply (const char *dir, const hako_spec_linux_resources *r, unsigned sections, hako_error_t **err)
{
  cleanup_free char *root = hako_xstrdup (dir);
  root[strncmp (dir, HAKO_CGROUP_UNIFIED "/", strlen (HAKO_CGROUP_UNIFIED) + 1) == 0 ? strlen (HAKO_CGROUP_UNIFIED)
                                                                                     : strlen (HAKO_CGROUP_ROOT)]
      = '\0';
  cleanup_free char *have = NULL;
  hako_cgroup_read (dir, "cgroup.controllers", &have, NULL);
  for (unsigned bit = 1; bit < CG_ALL; bit <<= 1)
    {
      if (! (sections & bit))
        continue;
      const char *ctrl = hako_cgroup_v2_controller (bit);
      if (ctrl && ! word_in (have, ctrl))
        {
          hako_error_t *e = NULL;
          if (hako_cgroup_v2_enable (root, dir, ctrl, &e) < 0)
            {
              static const struct
              {
                unsigned bit;
                const char *field;
              } names[] = {
                { CG_MEMORY, "memory" },          { CG_CPU, "cpu" },   { CG_CPUSET, "cpu.cpus" }, { CG_IO, "blockIO" },
                { CG_HUGETLB, "hugepageLimits" }, { CG_PIDS, "pids" }, { CG_RDMA, "rdma" }
              };
              const char *field = ctrl;
              for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (names[i].bit == bit)
                  field = names[i].field;
              hako_error_prefix (&e, "linux.resources.%s", field);
              *err = e;
              return -1;
            }
        }
      int rc = 0;
      switch (bit)
        {
        case CG_MEMORY:
          rc = apply_memory (dir, r->memory, err);
          break;
        case CG_CPU:
          rc = apply_cpu (dir, r->cpu, err);
          break;
        case CG_CPUSET:
          rc = apply_cpuset (dir, r->cpu, err);
          break;
        case CG_IO:
          rc = apply_io (dir, r->block_io, err);
          break;
        case CG_HUGETLB:
          rc = apply_hugetlb (dir, r, err);
          break;
        case CG_PIDS:
          rc = set_max (dir, "pids.max", r->pids->limit, "linux.resources.pids.limit", err);
          break;
        case CG_RDMA:
          rc = hako_cgroup_rdma_apply (dir, r->rdma, err);
          break;
        case CG_NETWORK:
          rc = hako_error_set (err, 0,
                               "linux.resources.network: not supported on cgroup v2 (net_cls and net_prio are v1 "
                               "only)");
          break;
        case CG_DEVICES:
          rc = hako_cgroup_bpf_devices (dir, r, err);
          break;
        default:
          break;
        }
      if (rc < 0)
        return -1;
    }
  if ((sections & CG_UNIFIED) && apply_unified (dir, r->unified, err) < 0)
    return -1;
  return 0;
}
