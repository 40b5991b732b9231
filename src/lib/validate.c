/* SPDX-License-Identifier: Apache-2.0 */
/* Validates: the relations between fields that the generated parser
   cannot see (a hostname needs a uts namespace, sysctls need the
   namespace they belong to, ...), and the host's side of a config.  */
#include <config.h>

#include "validate.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup/cgroup.h"
#include "cleanup.h"
#include "mount-options.h"
#include "namespaces.h"
#include "process.h"

void
hako_problems_add (hako_problems_t *p, const char *fmt, ...)
{
  if (p->len == p->cap)
    p->msgs = hako_xrealloc (p->msgs, (p->cap = p->cap * 2 + 8) * sizeof (char *));
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&p->msgs[p->len], fmt, ap) < 0)
    abort ();
  va_end (ap);
  /* Messages quote values from the config: keep a hostile one from
     writing control characters (a fake log line) into the report.  */
  for (char *c = p->msgs[p->len]; *c; c++)
    if ((unsigned char) *c < 0x20 || *c == 0x7f)
      *c = '?';
  p->len++;
}

void
hako_problems_clear (hako_problems_t *p)
{
  for (size_t i = 0; i < p->len; i++)
    free (p->msgs[i]);
  free (p->msgs);
  memset (p, 0, sizeof (*p));
}

static bool
semver (const char *v)
{
  int dots = 0;
  const char *s = v;
  if (! isdigit ((unsigned char) *s))
    return false;
  for (; *s && *s != '-' && *s != '+'; s++)
    {
      if (*s == '.')
        {
          if (! isdigit ((unsigned char) s[1]))
            return false;
          dots++;
        }
      else if (! isdigit ((unsigned char) *s))
        return false;
    }
  return dots == 2;
}

/* Which namespace a sysctl belongs to, or -1 when it is not namespaced. */
static int
sysctl_namespace (const char *key)
{
  static const char *const ipc[]
      = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",          "kernel.sem", "kernel.shmall",
          "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced", NULL };
  for (size_t i = 0; ipc[i]; i++)
    if (strcmp (key, ipc[i]) == 0)
      return HAKO_NS_IPC;
  if (strncmp (key, "fs.mqueue.", 10) == 0)
    return HAKO_NS_IPC;
  if (strncmp (key, "net.", 4) == 0)
    return HAKO_NS_NET;
  if (strcmp (key, "kernel.domainname") == 0 || strcmp (key, "kernel.hostname") == 0)
    return HAKO_NS_UTS;
  return -1;
}

/* Whether the namespace of type T that the config joins by path is the
   one hako itself runs in (a sysctl there would change the host).  */
static bool
same_as_ours (const hako_spec_linux *l, int t)
{
  for (size_t i = 0; i < l->namespaces_len; i++)
    {
      const hako_spec_namespace *n = l->namespaces[i];
      if (hako_ns_from_name (n->type) != t || n->path == NULL || n->path[0] == '\0')
        continue;
      char self[64];
      snprintf (self, sizeof self, "/proc/self/ns/%s", hako_ns_table[t].proc_name);
      struct stat a, b;
      return stat (n->path, &a) == 0 && stat (self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
    }
  return false;
}

static void
check_process (const hako_spec_process *pr, hako_problems_t *p)
{
  if (pr->args_len == 0)
    hako_problems_add (p, "process.args: must not be empty");
  if (pr->cwd == NULL || pr->cwd[0] != '/')
    hako_problems_add (p, "process.cwd: `%s` is not an absolute path", pr->cwd ? pr->cwd : "");
  for (size_t i = 0; i < pr->rlimits_len; i++)
    {
      if (hako_rlimit_from_name (pr->rlimits[i]->type) < 0)
        hako_problems_add (p, "process.rlimits[%zu].type: unknown rlimit `%s`", i, pr->rlimits[i]->type);
      for (size_t k = 0; k < i; k++)
        if (strcmp (pr->rlimits[k]->type, pr->rlimits[i]->type) == 0)
          hako_problems_add (p, "process.rlimits[%zu].type: `%s` given twice", i, pr->rlimits[i]->type);
      if (pr->rlimits[i]->soft > pr->rlimits[i]->hard)
        hako_problems_add (p, "process.rlimits[%zu]: soft limit above the hard limit", i);
    }
  const hako_spec_capabilities *c = pr->capabilities;
  if (c)
    {
      struct
      {
        const char *n;
        char **v;
        size_t len;
      } sets[] = { { "bounding", c->bounding, c->bounding_len },
                   { "effective", c->effective, c->effective_len },
                   { "inheritable", c->inheritable, c->inheritable_len },
                   { "permitted", c->permitted, c->permitted_len },
                   { "ambient", c->ambient, c->ambient_len } };
      for (size_t s = 0; s < 5; s++)
        for (size_t i = 0; i < sets[s].len; i++)
          {
            int cap;
            if (hako_cap_from_name (sets[s].v[i], &cap) < 0)
              hako_problems_add (p, "process.capabilities.%s[%zu]: unknown capability `%s`", sets[s].n, i,
                                 sets[s].v[i]);
          }
    }
  if (pr->scheduler)
    {
      const hako_spec_scheduler *s = pr->scheduler;
      bool rt = strcmp (s->policy, "SCHED_FIFO") == 0 || strcmp (s->policy, "SCHED_RR") == 0;
      bool normal = strcmp (s->policy, "SCHED_OTHER") == 0 || strcmp (s->policy, "SCHED_BATCH") == 0;
      if (s->has_nice && s->nice != 0 && ! normal)
        hako_problems_add (p, "process.scheduler.nice: only valid with SCHED_OTHER or SCHED_BATCH");
      if (s->has_priority && s->priority != 0 && ! rt)
        hako_problems_add (p, "process.scheduler.priority: only valid with SCHED_FIFO or SCHED_RR");
      if ((s->has_runtime || s->has_deadline || s->has_period) && strcmp (s->policy, "SCHED_DEADLINE") != 0)
        hako_problems_add (p, "process.scheduler: runtime, deadline and period are only valid with SCHED_DEADLINE");
    }
}

static void
check_hooks (hako_spec_hook *const *h, size_t n, const char *kind, hako_problems_t *p)
{
  for (size_t i = 0; i < n; i++)
    if (h[i]->path[0] != '/')
      hako_problems_add (p, "hooks.%s[%zu].path: `%s` is not an absolute path", kind, i, h[i]->path);
}

static void
check_mounts (const hako_spec_config *c, bool userns, const char *bundle, bool host, hako_problems_t *p)
{
  for (size_t i = 0; i < c->mounts_len; i++)
    {
      const hako_spec_mount *m = c->mounts[i];
      hako_mount_opts_t o;
      hako_error_t *e = NULL;
      if (hako_mount_opts_parse (m->options, m->options_len, &o, &e) < 0)
        {
          hako_problems_add (p, "mounts[%zu]: %s", i, e->msg);
          hako_error_free (e);
          continue;
        }
      bool bind = o.bind || (m->type && strcmp (m->type, "bind") == 0);
      if (! bind && (m->type == NULL || m->type[0] == '\0'))
        hako_problems_add (p, "mounts[%zu].type: required for a mount that is not a bind", i);
      if (bind && (m->source == NULL || m->source[0] == '\0'))
        hako_problems_add (p, "mounts[%zu].source: required for a bind mount", i);
      if (m->has_uid_mappings != m->has_gid_mappings)
        hako_problems_add (p, "mounts[%zu]: uidMappings and gidMappings go together", i);
      if (o.idmap && ! bind)
        hako_problems_add (p, "mounts[%zu]: idmap applies to bind mounts only", i);
      if (o.idmap && ! userns && ! m->has_uid_mappings)
        hako_problems_add (p, "mounts[%zu]: idmap needs uidMappings/gidMappings or a user namespace", i);
      if (m->has_uid_mappings && ! o.idmap)
        hako_problems_add (p, "mounts[%zu]: uidMappings need the idmap or ridmap option", i);
      if (host && bind && m->source && m->source[0])
        {
          cleanup_free char *src
              = m->source[0] == '/' ? hako_xstrdup (m->source) : hako_strdup_printf ("%s/%s", bundle, m->source);
          struct stat st;
          if (stat (src, &st) < 0)
            hako_problems_add (p, "mounts[%zu].source: `%s`: %s", i, src, strerror (errno));
        }
      hako_mount_opts_clear (&o);
    }
}

static void
check_linux (const hako_spec_config *c, const char *bundle, bool host, hako_problems_t *p)
{
  const hako_spec_linux *l = c->linux;
  bool create[HAKO_NS_COUNT] = { false }, joined[HAKO_NS_COUNT] = { false };
  for (size_t i = 0; l && i < l->namespaces_len; i++)
    {
      int t = hako_ns_from_name (l->namespaces[i]->type);
      if (t < 0)
        continue;
      if (create[t] || joined[t])
        hako_problems_add (p, "linux.namespaces[%zu]: duplicate namespace `%s`", i, l->namespaces[i]->type);
      const char *path = l->namespaces[i]->path;
      if (path && path[0])
        {
          joined[t] = true;
          if (path[0] != '/')
            hako_problems_add (p, "linux.namespaces[%zu].path: `%s` is not an absolute path", i, path);
          else if (host && access (path, F_OK) < 0)
            hako_problems_add (p, "linux.namespaces[%zu].path: `%s`: %s", i, path, strerror (errno));
        }
      else
        create[t] = true;
      if (host && create[t])
        {
          char self[64];
          snprintf (self, sizeof self, "/proc/self/ns/%s", hako_ns_table[t].proc_name);
          if (access (self, F_OK) < 0)
            hako_problems_add (p, "linux.namespaces[%zu]: this kernel has no %s namespaces", i, l->namespaces[i]->type);
        }
    }
  if (! create[HAKO_NS_MNT] && ! joined[HAKO_NS_MNT])
    hako_problems_add (p, "linux.namespaces: a mount namespace is required");
  if (c->hostname && ! create[HAKO_NS_UTS])
    hako_problems_add (p, "hostname: needs a new uts namespace");
  if (c->domainname && ! create[HAKO_NS_UTS])
    hako_problems_add (p, "domainname: needs a new uts namespace");
  if (l == NULL)
    return;
  if ((l->uid_mappings_len || l->gid_mappings_len) && ! create[HAKO_NS_USER])
    hako_problems_add (p, "linux.uidMappings: id mappings need a new user namespace");
  if (create[HAKO_NS_USER] && (l->uid_mappings_len == 0 || l->gid_mappings_len == 0))
    hako_problems_add (p, "linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
  if (l->time_offsets && ! create[HAKO_NS_TIME])
    hako_problems_add (p, "linux.timeOffsets: need a new time namespace");
  for (size_t i = 0; l->sysctl && i < l->sysctl->len; i++)
    {
      const char *k = l->sysctl->keys[i];
      int t = sysctl_namespace (k);
      if (t < 0)
        hako_problems_add (p, "linux.sysctl[\"%s\"]: not a namespaced sysctl, so it would change the host", k);
      else if (! create[t] && ! joined[t])
        hako_problems_add (p, "linux.sysctl[\"%s\"]: needs a %s namespace of the container's own", k,
                           hako_ns_table[t].spec_name);
      else if (joined[t] && same_as_ours (l, t))
        hako_problems_add (p, "linux.sysctl[\"%s\"]: the %s namespace joined is the runtime's own", k,
                           hako_ns_table[t].spec_name);
      else if (strcmp (k, "kernel.hostname") == 0)
        hako_problems_add (p, "linux.sysctl[\"kernel.hostname\"]: use the hostname property");
    }
  for (size_t i = 0; i < l->masked_paths_len; i++)
    if (l->masked_paths[i][0] != '/')
      hako_problems_add (p, "linux.maskedPaths[%zu]: `%s` is not an absolute path", i, l->masked_paths[i]);
  for (size_t i = 0; i < l->readonly_paths_len; i++)
    if (l->readonly_paths[i][0] != '/')
      hako_problems_add (p, "linux.readonlyPaths[%zu]: `%s` is not an absolute path", i, l->readonly_paths[i]);
  for (size_t i = 0; i < l->devices_len; i++)
    {
      const hako_spec_device *d = l->devices[i];
      if (d->path[0] != '/')
        hako_problems_add (p, "linux.devices[%zu].path: `%s` is not an absolute path", i, d->path);
      if (strcmp (d->type, "p") != 0 && (! d->has_major || ! d->has_minor))
        hako_problems_add (p, "linux.devices[%zu]: major and minor are required", i);
      if (d->has_major && (d->major < 0 || d->major > 4095))
        hako_problems_add (p, "linux.devices[%zu].major: %lld is out of range", i, (long long) d->major);
      if (d->has_minor && (d->minor < 0 || d->minor > 1048575))
        hako_problems_add (p, "linux.devices[%zu].minor: %lld is out of range", i, (long long) d->minor);
    }
  if (l->resources)
    {
      hako_error_t *e = NULL;
      if (hako_cgroup_validate (l->resources, hako_cgroup_layout (), &e) < 0)
        {
          hako_problems_add (p, "%s", e->msg);
          hako_error_free (e);
        }
    }
  /* Accepted by the parser but applied nowhere yet: refused, never
     ignored (features.c reports them as unsupported).  */
  if (l->net_devices && l->net_devices->len > 0)
    hako_problems_add (p, "linux.netDevices: moving network devices into the container is not supported by this hako");
  if (l->intel_rdt)
    hako_problems_add (p, "linux.intelRdt: Intel RDT (resctrl) is not supported by this hako");
  if (l->memory_policy)
    hako_problems_add (p, "linux.memoryPolicy: memory policies are not supported by this hako");
  (void) bundle;
}

void
hako_validate_collect (const hako_spec_config *c, const char *bundle, const char *rootfs, bool host, hako_problems_t *p)
{
  if (! semver (c->oci_version))
    hako_problems_add (p, "ociVersion: `%s` is not a SemVer version", c->oci_version);
  if (c->root == NULL)
    hako_problems_add (p, "root: required property is missing");
  if (host && rootfs)
    {
      struct stat st;
      if (stat (rootfs, &st) < 0)
        hako_problems_add (p, "root.path: `%s`: %s", rootfs, strerror (errno));
      else if (! S_ISDIR (st.st_mode))
        hako_problems_add (p, "root.path: `%s` is not a directory", rootfs);
    }
  if (c->process)
    check_process (c->process, p);
  else
    hako_problems_add (p, "process: required property is missing (the container's process)");
  if (c->hooks)
    {
      const hako_spec_hooks *h = c->hooks;
      check_hooks (h->prestart, h->prestart_len, "prestart", p);
      check_hooks (h->create_runtime, h->create_runtime_len, "createRuntime", p);
      check_hooks (h->create_container, h->create_container_len, "createContainer", p);
      check_hooks (h->start_container, h->start_container_len, "startContainer", p);
      check_hooks (h->poststart, h->poststart_len, "poststart", p);
      check_hooks (h->poststop, h->poststop_len, "poststop", p);
    }
  bool userns = false;
  for (size_t i = 0; c->linux && i < c->linux->namespaces_len; i++)
    if (strcmp (c->linux->namespaces[i]->type, "user") == 0)
      userns = true;
  check_mounts (c, userns, bundle, host, p);
  check_linux (c, bundle, host, p);
}

int
hako_validate_config (const hako_spec_config *c, const hako_bundle_t *b, hako_error_t **err)
{
  hako_problems_t p = { 0 };
  hako_validate_collect (c, b->bundle, b->rootfs, false, &p);
  if (p.len == 0)
    return 0;
  size_t need = 1;
  for (size_t i = 0; i < p.len; i++)
    need += strlen (p.msgs[i]) + 2;
  cleanup_free char *all = hako_xmalloc (need);
  all[0] = '\0';
  for (size_t i = 0; i < p.len; i++)
    {
      if (i)
        strcat (all, "; ");
      strcat (all, p.msgs[i]);
    }
  hako_problems_clear (&p);
  return hako_error_set (err, 0, "config.json: %s", all);
}
