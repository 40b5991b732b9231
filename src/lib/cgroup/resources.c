/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: linux.resources: checks before anything exists, and the choice
   of writer for the host's layout.  */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "cgroup-internal.h"
#include "cleanup.h"
#include "log.h"

int
hako_cgroup_validate (const hako_spec_linux_resources *r, enum hako_cgroup_layout l, hako_error_t **err)
{
  if (r->memory)
    {
      const hako_spec_memory *m = r->memory;
      if (m->has_limit && m->limit < -1)
        return hako_error_set (err, 0, "linux.resources.memory.limit: %lld is invalid", (long long) m->limit);
      if (m->has_swap && m->swap < -1)
        return hako_error_set (err, 0, "linux.resources.memory.swap: %lld is invalid", (long long) m->swap);
      if (m->has_limit && m->has_swap && m->limit > 0 && m->swap > 0 && m->swap < m->limit)
        return hako_error_set (err, 0, "linux.resources.memory.swap: %lld is below the memory limit %lld (swap counts memory+swap)",
                               (long long) m->swap, (long long) m->limit);
    }
  if (r->cpu)
    {
      const hako_spec_cpu *c = r->cpu;
      if (c->has_quota && c->has_burst && c->quota > 0 && c->burst > (uint64_t) c->quota)
        return hako_error_set (err, 0, "linux.resources.cpu.burst: larger than the quota");
      if (c->has_period && c->period != 0 && (c->period < 1000 || c->period > 1000000))
        return hako_error_set (err, 0, "linux.resources.cpu.period: %llu is out of range (1000..1000000)",
                               (unsigned long long) c->period);
    }
  if (r->unified && r->unified->len > 0 && l == HAKO_CGROUP_V1)
    return hako_error_set (err, 0, "linux.resources.unified: this host has no cgroup v2 hierarchy");
  for (size_t i = 0; i < r->devices_len; i++)
    {
      const char *a = r->devices[i]->access;
      for (const char *p = a; p && *p; p++)
        if (*p != 'r' && *p != 'w' && *p != 'm')
          return hako_error_set (err, 0, "linux.resources.devices[%zu].access: `%s` is not a subset of rwm", i, a);
    }
  return 0;
}

int
hako_cgroup_update (const hako_st_cgroup *cg, const hako_spec_linux_resources *r, hako_error_t **err)
{
  if (cg == NULL)
    return hako_error_set (err, 0, "the container has no cgroup");
  if (strcmp (cg->layout, "v2") == 0)
    return hako_cgroup_v2_apply (cg->unified_path, r, err);
  if (hako_cgroup_v1_apply (cg, r, err) < 0)
    return -1;
  if (r->unified && r->unified->len > 0)
    {
      if (cg->unified_path == NULL)
        return hako_error_set (err, 0, "linux.resources.unified: no cgroup v2 hierarchy for this container");
      hako_spec_linux_resources only = { 0 };
      only.unified = r->unified;
      return hako_cgroup_v2_apply (cg->unified_path, &only, err);
    }
  return 0;
}

int
hako_cgroup_stats_json (const hako_st_cgroup *cg, char **json, hako_error_t **err)
{
  (void) cg;
  (void) json;
  return hako_error_set (err, ENOTSUP, "cgroup statistics are not built yet");
}
