/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: process.capabilities (bounding, effective, inheritable,
   permitted, ambient).

   The kernel decides what a process ends up with after execve: a process
   whose uid is 0 gets permitted = inheritable | bounding (file
   capabilities of root are "all"), any other uid only its ambient set.
   hako sets the five sets exactly before execve; the config is what makes
   the result after it meaningful, as with runc.  */
#include <config.h>

#include "caps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "log.h"

static const char *const cap_names[] = {
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
};
#define N_CAP_NAMES ((int) (sizeof cap_names / sizeof cap_names[0]))

int
hako_cap_last (void)
{
  static int last = -1;
  if (last >= 0)
    return last;
  FILE *f = fopen ("/proc/sys/kernel/cap_last_cap", "re");
  if (f)
    {
      if (fscanf (f, "%d", &last) != 1)
        last = -1;
      fclose (f);
    }
  if (last < 0 || last > 63)
    last = CAP_LAST_CAP;
  return last;
}

const char *
hako_cap_name (int cap)
{
  static char buf[32];
  if (cap >= 0 && cap < N_CAP_NAMES)
    return cap_names[cap];
  snprintf (buf, sizeof buf, "capability %d", cap);
  return buf;
}

/* The spec spells them CAP_CHOWN; libcap knows the ones newer than our
   table.  */
int
hako_cap_from_name (const char *name, int *cap)
{
  if (name == NULL || strncmp (name, "CAP_", 4) != 0)
    return -1;
  for (int i = 0; i < N_CAP_NAMES; i++)
    if (strcmp (cap_names[i], name) == 0)
      {
        *cap = i;
        return 0;
      }
  for (const char *p = name; *p; p++)
    if (*p >= 'a' && *p <= 'z')
      return -1;
  cap_value_t v;
  if (cap_from_name (name, &v) < 0 || v < 0 || v > 63)
    return -1;
  *cap = v;
  return 0;
}

static int
set_mask (char *const *names, size_t n, const char *which, uint64_t *mask, hako_error_t **err)
{
  *mask = 0;
  int last = hako_cap_last ();
  for (size_t i = 0; i < n; i++)
    {
      int cap;
      if (hako_cap_from_name (names[i], &cap) < 0)
        return hako_error_set (err, 0, "process.capabilities.%s[%zu]: unknown capability `%s`", which, i,
                               names[i] ? names[i] : "");
      if (cap > last)
        {
          hako_warn ("process.capabilities.%s[%zu]: %s is not known to the running kernel: not granted", which, i,
                     names[i]);
          continue;
        }
      *mask |= HAKO_CAP_BIT (cap);
    }
  return 0;
}

/* Warn about and drop the capabilities of SET that are not in ALLOWED.  */
static void
drop_outside (uint64_t *set, uint64_t allowed, const char *which, const char *why)
{
  uint64_t extra = *set & ~allowed;
  for (int cap = 0; extra && cap < 64; cap++)
    if (extra & HAKO_CAP_BIT (cap))
      {
        hako_warn ("process.capabilities.%s: %s %s: not granted", which, hako_cap_name (cap), why);
        extra &= ~HAKO_CAP_BIT (cap);
      }
  *set &= allowed;
}

int
hako_caps_parse (const hako_spec_capabilities *c, hako_caps_t *out, hako_error_t **err)
{
  memset (out, 0, sizeof (*out));
  if (c == NULL)
    return 0;
  out->present = true;
  if (set_mask (c->bounding, c->bounding_len, "bounding", &out->bounding, err) < 0
      || set_mask (c->effective, c->effective_len, "effective", &out->effective, err) < 0
      || set_mask (c->inheritable, c->inheritable_len, "inheritable", &out->inheritable, err) < 0
      || set_mask (c->permitted, c->permitted_len, "permitted", &out->permitted, err) < 0
      || set_mask (c->ambient, c->ambient_len, "ambient", &out->ambient, err) < 0)
    return -1;
  /* What capset and PR_CAP_AMBIENT would refuse (capabilities(7)).  */
  drop_outside (&out->effective, out->permitted, "effective", "is not in the permitted set");
  drop_outside (&out->inheritable, out->bounding, "inheritable", "is not in the bounding set");
  drop_outside (&out->ambient, out->permitted & out->inheritable, "ambient",
                "is not in both the permitted and inheritable sets");
  return 0;
}

int
hako_caps_get_own (uint64_t *effective, uint64_t *permitted, uint64_t *inheritable)
{
  struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2];
  memset (data, 0, sizeof data);
  if (capget (&hdr, data) < 0)
    return -1;
  if (effective)
    *effective = data[0].effective | (uint64_t) data[1].effective << 32;
  if (permitted)
    *permitted = data[0].permitted | (uint64_t) data[1].permitted << 32;
  if (inheritable)
    *inheritable = data[0].inheritable | (uint64_t) data[1].inheritable << 32;
  return 0;
}

void
hako_caps_restrict_to_own (hako_caps_t *c)
{
  if (! c->present)
    return;
  uint64_t own = 0, bset = 0;
  if (hako_caps_get_own (NULL, &own, NULL) < 0)
    return;
  int last = hako_cap_last ();
  for (int cap = 0; cap <= last; cap++)
    if ((c->bounding & HAKO_CAP_BIT (cap)) && prctl (PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
      bset |= HAKO_CAP_BIT (cap);
  const char *why = "is outside hako's own capabilities (its bounding or permitted set)";
  drop_outside (&c->bounding, bset, "bounding", why);
  drop_outside (&c->permitted, own, "permitted", why);
  drop_outside (&c->effective, own, "effective", why);
  drop_outside (&c->inheritable, own, "inheritable", why);
  drop_outside (&c->ambient, own, "ambient", why);
}

int
hako_caps_apply_bounding (const hako_caps_t *c, hako_error_t **err)
{
  if (! c->present)
    return 0;
  int last = hako_cap_last ();
  for (int cap = 0; cap <= last; cap++)
    {
      if (c->bounding & HAKO_CAP_BIT (cap))
        continue;
      if (prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
        return hako_error_sys (err, "process.capabilities.bounding: drop %s", hako_cap_name (cap));
    }
  return 0;
}

int
hako_caps_set (uint64_t effective, uint64_t permitted, uint64_t inheritable, hako_error_t **err)
{
  struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2];
  for (int i = 0; i < 2; i++)
    {
      data[i].effective = (uint32_t) (effective >> (32 * i));
      data[i].permitted = (uint32_t) (permitted >> (32 * i));
      data[i].inheritable = (uint32_t) (inheritable >> (32 * i));
    }
  if (capset (&hdr, data) < 0)
    return hako_error_sys (err, "process.capabilities: set the effective, permitted and inheritable sets");
  return 0;
}

int
hako_caps_apply_final (const hako_caps_t *c, hako_error_t **err)
{
  if (! c->present)
    return 0;
  if (hako_caps_set (c->effective, c->permitted, c->inheritable, err) < 0)
    return -1;
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return hako_error_sys (err, "process.capabilities.ambient: clear");
  int last = hako_cap_last ();
  for (int cap = 0; cap <= last; cap++)
    if ((c->ambient & HAKO_CAP_BIT (cap)) && prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      hako_warn ("process.capabilities.ambient: cannot raise %s: %s", hako_cap_name (cap), strerror (errno));
  return 0;
}

char **
hako_caps_all_names (size_t *n)
{
  int last = hako_cap_last ();
  char **v = hako_xcalloc ((size_t) last + 2, sizeof (char *));
  size_t k = 0;
  for (int cap = 0; cap <= last; cap++)
    {
      if (cap < N_CAP_NAMES)
        {
          v[k++] = hako_xstrdup (cap_names[cap]);
          continue;
        }
      /* Newer than our table: libcap may know it ("cap_foo").  */
      char *name = cap_to_name (cap);
      if (name == NULL)
        continue;
      char *up = hako_xstrdup (name);
      cap_free (name);
      for (char *p = up; *p; p++)
        if (*p >= 'a' && *p <= 'z')
          *p = (char) (*p - 'a' + 'A');
      if (strncmp (up, "CAP_", 4) != 0)
        {
          free (up);
          continue;
        }
      v[k++] = up;
    }
  *n = k;
  return v;
}
