/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: --systemd-cgroup, linux.cgroupsPath as slice:prefix:name, the
   org.systemd.property.* annotations.  The container runs in a transient
   scope that systemd creates (Delegate=yes) with the resource properties
   systemd knows; the rest is written through cgroupfs, as runc does.

   libsystemd is loaded with dlopen, only when this driver is used: a
   plain `hako run` does not pay for loading it and its dependencies.  */
#include <config.h>

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "cgroup-internal.h"
#include "cleanup.h"
#include "log.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"

/* The entry points we use, resolved from libsystemd.so.0.  */
static struct
{
  void *handle;
  __typeof__ (sd_bus_open_system) *open_system;
  __typeof__ (sd_bus_new) *bus_new;
  __typeof__ (sd_bus_set_address) *set_address;
  __typeof__ (sd_bus_start) *start;
  __typeof__ (sd_bus_flush_close_unref) *close_unref;
  __typeof__ (sd_bus_message_new_method_call) *new_call;
  __typeof__ (sd_bus_message_append) *append;
  __typeof__ (sd_bus_message_append_array) *append_array;
  __typeof__ (sd_bus_message_open_container) *open_container;
  __typeof__ (sd_bus_message_close_container) *close_container;
  __typeof__ (sd_bus_message_read) *read;
  __typeof__ (sd_bus_message_unref) *message_unref;
  __typeof__ (sd_bus_call) *call;
  __typeof__ (sd_bus_call_method) *call_method;
  __typeof__ (sd_bus_error_free) *error_free;
  __typeof__ (sd_bus_match_signal) *match_signal;
  __typeof__ (sd_bus_process) *process;
  __typeof__ (sd_bus_wait) *wait;
  __typeof__ (sd_bus_slot_unref) *slot_unref;
} sd;

static int
load_libsystemd (hako_error_t **err)
{
  if (sd.handle)
    return 0;
  void *h = dlopen ("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return hako_error_set (err, ENOENT, "--systemd-cgroup: cannot load libsystemd.so.0: %s", dlerror ());
#define SYM(field, name)                                                                                               \
  if ((*(void **) &sd.field = dlsym (h, name)) == NULL)                                                                \
    {                                                                                                                  \
      dlclose (h);                                                                                                     \
      return hako_error_set (err, ENOENT, "--systemd-cgroup: libsystemd lacks %s", name);                              \
    }
  SYM (open_system, "sd_bus_open_system");
  SYM (bus_new, "sd_bus_new");
  SYM (set_address, "sd_bus_set_address");
  SYM (start, "sd_bus_start");
  SYM (close_unref, "sd_bus_flush_close_unref");
  SYM (new_call, "sd_bus_message_new_method_call");
  SYM (append, "sd_bus_message_append");
  SYM (append_array, "sd_bus_message_append_array");
  SYM (open_container, "sd_bus_message_open_container");
  SYM (close_container, "sd_bus_message_close_container");
  SYM (read, "sd_bus_message_read");
  SYM (message_unref, "sd_bus_message_unref");
  SYM (call, "sd_bus_call");
  SYM (call_method, "sd_bus_call_method");
  SYM (error_free, "sd_bus_error_free");
  SYM (match_signal, "sd_bus_match_signal");
  SYM (process, "sd_bus_process");
  SYM (wait, "sd_bus_wait");
  SYM (slot_unref, "sd_bus_slot_unref");
#undef SYM
  sd.handle = h;
  return 0;
}

/* The system bus, or systemd's private socket when there is no D-Bus
   daemon (root only).  */
static sd_bus *
bus_open (hako_error_t **err)
{
  if (load_libsystemd (err) < 0)
    return NULL;
  sd_bus *bus = NULL;
  const char *sysbus = getenv ("DBUS_SYSTEM_BUS_ADDRESS");
  int r1 = -ENOENT, r2 = -ENOENT;
  if (sysbus || access ("/run/dbus/system_bus_socket", F_OK) == 0)
    {
      r1 = sd.open_system (&bus);
      if (r1 >= 0)
        return bus;
    }
  if (access ("/run/systemd/private", F_OK) == 0)
    {
      r2 = sd.bus_new (&bus);
      if (r2 >= 0 && (r2 = sd.set_address (bus, "unix:path=/run/systemd/private")) >= 0 && (r2 = sd.start (bus)) >= 0)
        return bus;
      if (bus)
        sd.close_unref (bus);
    }
  hako_error_set (err, r2 != -ENOENT ? -r2 : -r1,
                  "--systemd-cgroup: no systemd bus is reachable (tried %s and /run/systemd/private): is systemd "
                  "running "
                  "as PID 1?",
                  sysbus ? sysbus : "/run/dbus/system_bus_socket");
  return NULL;
}

static int
bus_error (hako_error_t **err, int r, sd_bus_error *e, const char *what)
{
  int rc = hako_error_set (err, -r, "--systemd-cgroup: %s: %s", what, e && e->message ? e->message : strerror (-r));
  if (e)
    sd.error_free (e);
  return rc;
}

/* ------------------------------------------------------------ unit names */

/* runc's rule for linux.cgroupsPath: "slice:prefix:name" gives the unit
   prefix-name.scope in slice (system.slice when empty); no cgroupsPath
   gives hako-<id>.scope.  */
static int
parse_path (const char *id, const char *p, char **slice, char **unit, hako_error_t **err)
{
  if (p == NULL || p[0] == '\0')
    {
      *slice = hako_xstrdup ("system.slice");
      *unit = hako_strdup_printf ("hako-%s.scope", id);
      return 0;
    }
  const char *c1 = strchr (p, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
  if (c1 == NULL || c2 == NULL || strchr (c2 + 1, ':'))
    return hako_error_set (err, 0, "linux.cgroupsPath: `%s` is not of the form slice:prefix:name (--systemd-cgroup)",
                           p);
  cleanup_free char *s = hako_xstrndup (p, (size_t) (c1 - p));
  cleanup_free char *prefix = hako_xstrndup (c1 + 1, (size_t) (c2 - c1 - 1));
  const char *name = c2 + 1;
  if (name[0] == '\0' || strchr (name, '/') || strchr (prefix, '/') || strchr (s, '/'))
    return hako_error_set (err, 0, "linux.cgroupsPath: `%s`: the name is empty or a part contains `/`", p);
  size_t sl = strlen (s);
  if (sl && (sl < 7 || strcmp (s + sl - 6, ".slice") != 0))
    return hako_error_set (err, 0, "linux.cgroupsPath: `%s` is not a slice name (NAME.slice)", s);
  size_t nl = strlen (name);
  if (nl > 6 && strcmp (name + nl - 6, ".slice") == 0)
    return hako_error_set (err, 0, "linux.cgroupsPath: `%s`: a slice as the container's unit is not supported", p);
  *slice = hako_xstrdup (sl ? s : "system.slice");
  *unit = prefix[0] ? hako_strdup_printf ("%s-%s.scope", prefix, name) : hako_strdup_printf ("%s.scope", name);
  return 0;
}

/* "a-b-c.slice" lives at /a.slice/a-b.slice/a-b-c.slice; -.slice is the
   root.  */
static int
slice_path (const char *slice, char **out, hako_error_t **err)
{
  if (strcmp (slice, "-.slice") == 0)
    {
      *out = hako_xstrdup ("");
      return 0;
    }
  size_t base = strlen (slice) - 6;
  if (slice[0] == '-' || slice[base - 1] == '-' || strstr (slice, "--"))
    return hako_error_set (err, 0, "linux.cgroupsPath: `%s` is not a valid slice name", slice);
  char *p = hako_xcalloc ((base + 8) * (base + 1) + 1, 1);
  size_t len = 0;
  for (size_t i = 0; i <= base; i++)
    if (i == base || slice[i] == '-')
      len += (size_t) sprintf (p + len, "/%.*s.slice", (int) i, slice);
  *out = p;
  return 0;
}

/* The scope being made by this process: create() knows the resources,
   enter() the pid that StartTransientUnit needs.  libhako creates one
   container per process, and the config outlives both calls.  */
static struct
{
  char *path, *slice, *unit, *id;
  const hako_spec_linux_resources *resources;
  const hako_spec_config *config;
} pending;

static const char *
unit_of (const hako_st_cgroup *cg)
{
  const char *s = strrchr (cg->path, '/');
  return s ? s + 1 : cg->path;
}

/* -------------------------------------------------------------- properties */

static bool
is_v2 (const hako_st_cgroup *cg)
{
  return strcmp (cg->layout, "v2") == 0;
}

static int
append_u64 (sd_bus_message *m, const char *name, uint64_t v)
{
  return sd.append (m, "(sv)", name, "t", v);
}

/* A CPU list ("0-2,5") as systemd's byte mask.  */
static int
append_mask (sd_bus_message *m, const char *name, const char *list)
{
  uint8_t mask[128] = { 0 };
  size_t n = 0;
  for (const char *s = list; *s;)
    {
      char *end;
      unsigned long a = strtoul (s, &end, 10), b = a;
      if (*end == '-')
        b = strtoul (end + 1, &end, 10);
      for (unsigned long i = a; i <= b && i < sizeof mask * 8; i++)
        {
          mask[i / 8] |= (uint8_t) (1u << (i % 8));
          if (i / 8 + 1 > n)
            n = i / 8 + 1;
        }
      s = *end == ',' ? end + 1 : end;
      if (*end != ',' && *end != '\0')
        break;
    }
  int r;
  if ((r = sd.open_container (m, 'r', "sv")) < 0 || (r = sd.append (m, "s", name)) < 0
      || (r = sd.open_container (m, 'v', "ay")) < 0 || (r = sd.append_array (m, 'y', mask, n)) < 0
      || (r = sd.close_container (m)) < 0)
    return r;
  return sd.close_container (m);
}

/* The resources systemd manages itself, as unit properties; the others
   (and these again) are written through cgroupfs afterwards.  */
static int
append_resources (sd_bus_message *m, const hako_st_cgroup *cg, const hako_spec_linux_resources *r)
{
  bool v2 = is_v2 (cg);
  int rc = 0;
  const hako_spec_memory *mem = r->memory;
  if (mem && mem->has_limit && rc >= 0)
    rc = append_u64 (m, v2 ? "MemoryMax" : "MemoryLimit", mem->limit < 0 ? UINT64_MAX : (uint64_t) mem->limit);
  if (v2 && mem && mem->has_reservation && rc >= 0)
    rc = append_u64 (m, "MemoryLow", mem->reservation < 0 ? UINT64_MAX : (uint64_t) mem->reservation);
  if (v2 && mem && mem->has_swap && mem->swap != 0 && rc >= 0)
    {
      if (mem->swap < 0)
        rc = append_u64 (m, "MemorySwapMax", UINT64_MAX);
      else if (mem->has_limit && mem->limit > 0 && mem->swap >= mem->limit)
        rc = append_u64 (m, "MemorySwapMax", (uint64_t) (mem->swap - mem->limit));
    }
  const hako_spec_cpu *c = r->cpu;
  if (c && c->has_shares && c->shares && rc >= 0)
    rc = append_u64 (m, v2 ? "CPUWeight" : "CPUShares", v2 ? hako_cgroup_shares_to_weight (c->shares) : c->shares);
  if (c && c->has_quota && c->quota != 0 && rc >= 0)
    {
      uint64_t period = c->has_period && c->period ? c->period : 100000;
      uint64_t per_sec = c->quota < 0 ? UINT64_MAX : (uint64_t) c->quota * 1000000 / period;
      /* systemd rounds to 10 ms per second; round up, as runc does.  */
      if (per_sec != UINT64_MAX && per_sec % 10000)
        per_sec = (per_sec / 10000 + 1) * 10000;
      rc = append_u64 (m, "CPUQuotaPerSecUSec", per_sec);
    }
  if (c && c->has_period && c->period && rc >= 0)
    rc = append_u64 (m, "CPUQuotaPeriodUSec", c->period);
  if (v2 && c && c->cpus && c->cpus[0] && rc >= 0)
    rc = append_mask (m, "AllowedCPUs", c->cpus);
  if (v2 && c && c->mems && c->mems[0] && rc >= 0)
    rc = append_mask (m, "AllowedMemoryNodes", c->mems);
  if (r->pids && r->pids->has_limit && r->pids->limit != 0 && rc >= 0)
    rc = append_u64 (m, "TasksMax", r->pids->limit < 0 ? UINT64_MAX : (uint64_t) r->pids->limit);
  const hako_spec_block_io *b = r->block_io;
  if (b && b->has_weight && b->weight && rc >= 0)
    rc = append_u64 (m, v2 ? "IOWeight" : "BlockIOWeight",
                     v2 ? 1 + ((uint64_t) b->weight - 10) * 9999 / 990 : (uint64_t) b->weight);
  return rc;
}

/* org.systemd.property.NAME annotations, as runc takes them: `true`,
   `false`, a number, `uint64 N` (and uint32, int64, int32), or a quoted
   string.  */
static int
append_annotations (sd_bus_message *m, const hako_spec_config *config, hako_error_t **err)
{
  static const char pre[] = "org.systemd.property.";
  for (size_t i = 0; config && config->annotations && i < config->annotations->len; i++)
    {
      const char *k = config->annotations->keys[i], *v = config->annotations->values[i];
      if (strncmp (k, pre, sizeof pre - 1) != 0)
        continue;
      const char *name = k + sizeof pre - 1;
      char *end;
      int r;
      size_t vl = strlen (v);
      if (strcmp (v, "true") == 0 || strcmp (v, "false") == 0)
        r = sd.append (m, "(sv)", name, "b", (int) (v[0] == 't'));
      else if (strncmp (v, "uint64 ", 7) == 0 && (strtoull (v + 7, &end, 10), *end == '\0'))
        r = sd.append (m, "(sv)", name, "t", (uint64_t) strtoull (v + 7, NULL, 10));
      else if (strncmp (v, "uint32 ", 7) == 0 && (strtoul (v + 7, &end, 10), *end == '\0'))
        r = sd.append (m, "(sv)", name, "u", (uint32_t) strtoul (v + 7, NULL, 10));
      else if (strncmp (v, "int64 ", 6) == 0 && (strtoll (v + 6, &end, 10), *end == '\0'))
        r = sd.append (m, "(sv)", name, "x", (int64_t) strtoll (v + 6, NULL, 10));
      else if (strncmp (v, "int32 ", 6) == 0 && (strtol (v + 6, &end, 10), *end == '\0'))
        r = sd.append (m, "(sv)", name, "i", (int32_t) strtol (v + 6, NULL, 10));
      else if (v[0] && (strtoull (v, &end, 10), *end == '\0'))
        r = sd.append (m, "(sv)", name, "t", (uint64_t) strtoull (v, NULL, 10));
      else if (vl >= 2 && (v[0] == '\'' || v[0] == '"') && v[vl - 1] == v[0])
        {
          cleanup_free char *s = hako_xstrndup (v + 1, vl - 2);
          r = sd.append (m, "(sv)", name, "s", s);
        }
      else
        return hako_error_set (err, 0,
                               "annotations.%s: `%s` is not a value hako can pass to systemd (true, false, a number, "
                               "`uint64 N`, or a quoted string)",
                               k, v);
      if (r < 0)
        return hako_error_set (err, -r, "annotations.%s: cannot encode `%s`", k, v);
    }
  return 0;
}

/* ------------------------------------------------------------------- jobs */

struct job_wait
{
  const char *job;
  bool done;
  char result[32];
};

static int
on_job_removed (sd_bus_message *m, void *userdata, sd_bus_error *e)
{
  (void) e;
  struct job_wait *w = userdata;
  uint32_t id;
  const char *path = NULL, *unit = NULL, *result = NULL;
  if (sd.read (m, "uoss", &id, &path, &unit, &result) < 0)
    return 0;
  if (w->job && path && strcmp (path, w->job) == 0)
    {
      w->done = true;
      snprintf (w->result, sizeof w->result, "%s", result ? result : "");
    }
  return 0;
}

static int64_t
now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Send M (a method returning a job), and wait for the job to finish.  */
static int
run_job (sd_bus *bus, sd_bus_message *m, const char *what, hako_error_t **err)
{
  struct job_wait w = { 0 };
  sd_bus_slot *slot = NULL;
  int r = sd.match_signal (bus, &slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed, &w);
  if (r < 0)
    return bus_error (err, r, NULL, "subscribe to JobRemoved");
  sd_bus_error e = SD_BUS_ERROR_NULL;
  sd.call_method (bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", &e, NULL, "");
  sd.error_free (&e);
  sd_bus_message *reply = NULL;
  r = sd.call (bus, m, 0, &e, &reply);
  if (r < 0)
    {
      sd.slot_unref (slot);
      return bus_error (err, r, &e, what);
    }
  const char *job = NULL;
  sd.read (reply, "o", &job);
  cleanup_free char *jobc = job ? hako_xstrdup (job) : NULL;
  sd.message_unref (reply);
  w.job = jobc;
  int64_t deadline = now_us () + 30 * 1000000;
  while (! w.done && now_us () < deadline)
    {
      r = sd.process (bus, NULL);
      if (r < 0)
        break;
      if (r == 0)
        sd.wait (bus, 100000);
    }
  sd.slot_unref (slot);
  if (! w.done)
    return hako_error_set (err, ETIMEDOUT, "--systemd-cgroup: %s: the job did not finish", what);
  if (strcmp (w.result, "done") != 0)
    return hako_error_set (err, 0, "--systemd-cgroup: %s: the job ended with `%s`", what, w.result);
  return 0;
}

/* ---------------------------------------------------------------- driver */

int
hako_cgroup_systemd_create (const struct hako_cgroup_request *req, hako_st_cgroup **out, hako_error_t **err)
{
  cleanup_free char *slice = NULL, *unit = NULL, *spath = NULL;
  if (parse_path (req->id, req->cgroups_path, &slice, &unit, err) < 0 || slice_path (slice, &spath, err) < 0)
    return -1;
  /* Fail early, before anything exists, when there is no systemd.  */
  sd_bus *bus = bus_open (err);
  if (bus == NULL)
    return -1;
  sd.close_unref (bus);
  enum hako_cgroup_layout layout = hako_cgroup_layout ();
  hako_st_cgroup *cg = hako_xcalloc (1, sizeof (*cg));
  cg->manager = hako_xstrdup ("systemd");
  cg->layout = hako_xstrdup (hako_cgroup_layout_name (layout));
  cg->path = hako_strdup_printf ("%s/%s", spath, unit);
  cg->created = true;
  cg->has_created = true;
  if (layout == HAKO_CGROUP_V2)
    cg->unified_path = hako_strdup_printf ("%s%s", HAKO_CGROUP_ROOT, cg->path);
  else
    {
      /* v1: systemd makes the scope in the hierarchies it manages; the
         others (freezer, cpuset, ...) are ours, at the same path.  */
      bool made = false;
      if (hako_cgroup_v1_prepare (cg, cg->path, req->rootless, &made, err) < 0)
        {
          hako_cgroup_destroy (cg, NULL);
          hako_st_cgroup_free (cg);
          return -1;
        }
      if (layout == HAKO_CGROUP_HYBRID)
        cg->unified_path = hako_strdup_printf ("%s%s", HAKO_CGROUP_UNIFIED, cg->path);
    }
  free (pending.path);
  free (pending.slice);
  free (pending.unit);
  free (pending.id);
  pending.path = hako_xstrdup (cg->path);
  pending.slice = TAKE_PTR (slice);
  pending.unit = TAKE_PTR (unit);
  pending.id = hako_xstrdup (req->id);
  pending.resources = req->resources;
  pending.config = req->config;
  *out = cg;
  return 0;
}

static int
start_scope (const hako_st_cgroup *cg, pid_t pid, hako_error_t **err)
{
  sd_bus *bus = bus_open (err);
  if (bus == NULL)
    return -1;
  sd_bus_message *m = NULL;
  int r = sd.new_call (bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StartTransientUnit");
  cleanup_free char *desc = hako_strdup_printf ("hako container %s", pending.id);
  if (r >= 0)
    r = sd.append (m, "ss", pending.unit, "fail");
  if (r >= 0)
    r = sd.open_container (m, 'a', "(sv)");
  if (r >= 0)
    r = sd.append (m, "(sv)(sv)(sv)(sv)(sv)", "Description", "s", desc, "Slice", "s", pending.slice, "Delegate", "b", 1,
                   "DefaultDependencies", "b", 0, "CollectMode", "s", "inactive-or-failed");
  if (r >= 0)
    r = sd.append (m, "(sv)", "PIDs", "au", 1, (uint32_t) pid);
  if (r >= 0 && pending.resources)
    r = append_resources (m, cg, pending.resources);
  int rc = r < 0 ? bus_error (err, r, NULL, "build StartTransientUnit") : 0;
  if (rc == 0)
    rc = append_annotations (m, pending.config, err);
  if (rc == 0 && ((r = sd.close_container (m)) < 0 || (r = sd.append (m, "a(sa(sv))", 0)) < 0))
    rc = bus_error (err, r, NULL, "build StartTransientUnit");
  cleanup_free char *what = hako_strdup_printf ("start %s", pending.unit);
  if (rc == 0)
    rc = run_job (bus, m, what, err);
  sd.message_unref (m);
  sd.close_unref (bus);
  return rc;
}

int
hako_cgroup_systemd_enter (const hako_st_cgroup *cg, pid_t pid, hako_error_t **err)
{
  /* Joining a running container (exec) is a cgroupfs write.  */
  if (pending.path == NULL || strcmp (pending.path, cg->path) != 0)
    return 0;
  int rc = start_scope (cg, pid, err);
  /* v1: systemd trims the unit's directories in the hierarchies of the
     controllers it did not enable for it; the container has them all. */
  if (rc == 0 && cg->paths)
    rc = hako_cgroup_v1_ensure (cg, err);
  if (rc == 0 && pending.resources)
    rc = hako_cgroup_apply_fs (cg, pending.resources, err);
  free (pending.path);
  pending.path = NULL;
  return rc;
}

int
hako_cgroup_systemd_update (const hako_st_cgroup *cg, const hako_spec_linux_resources *r, hako_error_t **err)
{
  sd_bus *bus = bus_open (err);
  if (bus == NULL)
    return -1;
  sd_bus_message *m = NULL;
  int x = sd.new_call (bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "SetUnitProperties");
  if (x >= 0)
    x = sd.append (m, "sb", unit_of (cg), 1);
  if (x >= 0)
    x = sd.open_container (m, 'a', "(sv)");
  if (x >= 0)
    x = append_resources (m, cg, r);
  if (x >= 0)
    x = sd.close_container (m);
  int rc = 0;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  if (x < 0)
    rc = bus_error (err, x, NULL, "build SetUnitProperties");
  else if ((x = sd.call (bus, m, 0, &e, NULL)) < 0)
    rc = bus_error (err, x, &e, "SetUnitProperties");
  sd.message_unref (m);
  sd.close_unref (bus);
  return rc;
}

int
hako_cgroup_systemd_destroy (const hako_st_cgroup *cg, hako_error_t **err)
{
  int rc = 0;
  bool started = pending.path == NULL || strcmp (pending.path, cg->path) != 0;
  if (started)
    {
      sd_bus *bus = bus_open (err);
      if (bus == NULL)
        return -1;
      sd_bus_message *m = NULL;
      int r = sd.new_call (bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit");
      if (r >= 0)
        r = sd.append (m, "ss", unit_of (cg), "replace");
      if (r < 0)
        rc = bus_error (err, r, NULL, "build StopUnit");
      else
        {
          hako_error_t *e = NULL;
          cleanup_free char *what = hako_strdup_printf ("stop %s", unit_of (cg));
          /* A scope whose processes are gone may be collected already. */
          if (run_job (bus, m, what, &e) < 0 && ! strstr (e->msg, "not loaded"))
            {
              *err = e;
              rc = -1;
            }
          else
            hako_error_free (e);
        }
      sd.message_unref (m);
      sd.close_unref (bus);
    }
  /* What systemd does not manage on v1 (freezer, cpuset, ...) is ours. */
  for (size_t i = 0; cg->paths && i < cg->paths->len; i++)
    if (hako_cgroup_rmdir_tree (cg->paths->values[i]) < 0 && rc == 0)
      rc = hako_error_sys (err, "remove cgroup `%s`", cg->paths->values[i]);
  if (! started)
    {
      free (pending.path);
      pending.path = NULL;
    }
  return rc;
}
