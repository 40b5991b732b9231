/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: linux.resources on the cgroup v2 hierarchy (and `unified`).  */
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

/* Enable in PARENT's subtree_control every controller it offers.  Some
   cannot be enabled (a threaded subtree, a busy root): skip those.  */
static void
enable_controllers (const char *parent)
{
  cleanup_free char *avail = NULL;
  if (hako_cgroup_read (parent, "cgroup.controllers", &avail, NULL) < 0)
    return;
  cleanup_free char *enabled = NULL;
  hako_cgroup_read (parent, "cgroup.subtree_control", &enabled, NULL);
  char *save, *tok = strtok_r (avail, " \n", &save);
  for (; tok; tok = strtok_r (NULL, " \n", &save))
    {
      if (enabled && strstr (enabled, tok))
        continue;
      char buf[64];
      snprintf (buf, sizeof buf, "+%s", tok);
      hako_cgroup_write (parent, "cgroup.subtree_control", buf, NULL);
    }
}

int
hako_cgroup_v2_prepare (const char *root, const char *rel, bool *created, hako_error_t **err)
{
  cleanup_free char *path = hako_strdup_printf ("%s%s", root, rel);
  size_t rl = strlen (root);
  enable_controllers (root);
  for (char *s = path + rl + 1;; s++)
    {
      char c = *s;
      if (c != '/' && c != '\0')
        continue;
      *s = '\0';
      if (mkdir (path, 0755) == 0)
        {
          if (c == '\0')
            *created = true;
        }
      else if (errno != EEXIST)
        return hako_error_sys (err, "create cgroup `%s`", path);
      if (c != '\0')
        enable_controllers (path);
      *s = c;
      if (c == '\0')
        break;
    }
  return 0;
}

static int
w64 (const char *dir, const char *file, int64_t v, hako_error_t **err)
{
  char buf[32];
  if (v < 0)
    strcpy (buf, "max");
  else
    snprintf (buf, sizeof buf, "%" PRId64, v);
  return hako_cgroup_write (dir, file, buf, err);
}

int
hako_cgroup_v2_apply (const char *dir, const hako_spec_linux_resources *r, hako_error_t **err)
{
  const hako_spec_memory *m = r->memory;
  if (m)
    {
      if (m->has_limit && w64 (dir, "memory.max", m->limit, err) < 0)
        return -1;
      if (m->has_reservation && w64 (dir, "memory.low", m->reservation, err) < 0)
        return -1;
      if (m->has_swap)
        {
          /* v2 limits swap alone; the spec's swap is memory+swap.  */
          int64_t swap = m->swap;
          if (swap > 0 && m->has_limit && m->limit > 0)
            swap -= m->limit;
          if (w64 (dir, "memory.swap.max", swap, err) < 0)
            return -1;
        }
    }
  const hako_spec_cpu *c = r->cpu;
  if (c)
    {
      if (c->has_shares && c->shares)
        {
          char buf[32];
          snprintf (buf, sizeof buf, "%llu", hako_cgroup_shares_to_weight (c->shares));
          if (hako_cgroup_write (dir, "cpu.weight", buf, err) < 0)
            return -1;
        }
      if (c->has_quota || c->has_period)
        {
          char buf[64];
          uint64_t period = c->has_period && c->period ? c->period : 100000;
          if (c->has_quota && c->quota > 0)
            snprintf (buf, sizeof buf, "%" PRId64 " %" PRIu64, c->quota, period);
          else
            snprintf (buf, sizeof buf, "max %" PRIu64, period);
          if (hako_cgroup_write (dir, "cpu.max", buf, err) < 0)
            return -1;
        }
      if (c->has_burst && w64 (dir, "cpu.max.burst", (int64_t) c->burst, err) < 0)
        return -1;
      if (c->has_idle && w64 (dir, "cpu.idle", c->idle, err) < 0)
        return -1;
      if (c->cpus && c->cpus[0] && hako_cgroup_write (dir, "cpuset.cpus", c->cpus, err) < 0)
        return -1;
      if (c->mems && c->mems[0] && hako_cgroup_write (dir, "cpuset.mems", c->mems, err) < 0)
        return -1;
    }
  if (r->pids && r->pids->has_limit && w64 (dir, "pids.max", r->pids->limit, err) < 0)
    return -1;
  for (size_t i = 0; r->unified && i < r->unified->len; i++)
    {
      const char *k = r->unified->keys[i];
      if (strchr (k, '/') || strcmp (k, "..") == 0)
        return hako_error_set (err, 0, "linux.resources.unified: invalid key `%s`", k);
      if (hako_cgroup_write (dir, k, r->unified->values[i], err) < 0)
        return -1;
    }
  return 0;
}
