/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: process.capabilities.  */
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
  if (last < 0)
    last = CAP_LAST_CAP;
  return last;
}

int
hako_cap_from_name (const char *name, int *cap)
{
  if (strncmp (name, "CAP_", 4) != 0)
    return -1;
  cap_value_t v;
  /* libcap takes the lower-case name without the prefix as well.  */
  if (cap_from_name (name, &v) < 0)
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
        return hako_error_set (err, 0, "process.capabilities.%s[%zu]: unknown capability `%s`", which, i, names[i]);
      if (cap > last)
        {
          hako_warn ("capability %s is not known to the running kernel: skipped", names[i]);
          continue;
        }
      *mask |= 1ULL << cap;
    }
  return 0;
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
  return 0;
}

int
hako_caps_apply_bounding (const hako_caps_t *c, hako_error_t **err)
{
  if (! c->present)
    return 0;
  int last = hako_cap_last ();
  for (int cap = 0; cap <= last; cap++)
    {
      if (c->bounding & (1ULL << cap))
        continue;
      if (prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
        return hako_error_sys (err, "drop capability %d from the bounding set", cap);
    }
  return 0;
}

int
hako_caps_apply_final (const hako_caps_t *c, hako_error_t **err)
{
  if (! c->present)
    return 0;
  struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2];
  memset (data, 0, sizeof data);
  for (int i = 0; i < 2; i++)
    {
      data[i].effective = (uint32_t) (c->effective >> (32 * i));
      data[i].permitted = (uint32_t) (c->permitted >> (32 * i));
      data[i].inheritable = (uint32_t) (c->inheritable >> (32 * i));
    }
  if (capset (&hdr, data) < 0)
    {
      if (errno == EPERM)
        return hako_error_sys (err, "set capabilities (a capability outside the bounding set of hako itself cannot be granted)");
      return hako_error_sys (err, "set capabilities");
    }
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return hako_error_sys (err, "clear ambient capabilities");
  int last = hako_cap_last ();
  for (int cap = 0; cap <= last; cap++)
    if ((c->ambient & (1ULL << cap)) && prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      hako_warn ("cannot raise ambient capability %d: %s", cap, strerror (errno));
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
      char *name = cap_to_name (cap);
      if (name == NULL)
        continue;
      /* libcap prints "cap_chown"; the spec spells CAP_CHOWN.  */
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

int
hako_caps_raise_effective (int cap, hako_error_t **err)
{
  struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2];
  if (capget (&hdr, data) < 0)
    return hako_error_sys (err, "read capabilities");
  data[cap / 32].effective |= 1u << (cap % 32);
  if (capset (&hdr, data) < 0)
    return hako_error_sys (err, "raise capability %d", cap);
  return 0;
}
