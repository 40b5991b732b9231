/* SPDX-License-Identifier: Apache-2.0 */
/* Image references as users write them, with Docker's normalization:
   `busybox` is docker.io/library/busybox:latest, a first component with a
   dot, a colon or `localhost` names a registry, `@algo:hex` pins a
   digest.  Plus oci:DIR[:TAG] and oci-archive:FILE[:TAG].  */
#include <config.h>

#include <ctype.h>
#include <string.h>

#include "cleanup.h"
#include "pull.h"

/* docker.io's API lives elsewhere.  */
#define DOCKER_HUB "docker.io"
#define DOCKER_HUB_API "registry-1.docker.io"

void
pull_ref_free (pull_ref_t *r)
{
  if (r == NULL)
    return;
  free (r->domain);
  free (r->host);
  free (r->repository);
  free (r->tag);
  free (r->digest);
  free (r->path);
  free (r);
}

static bool
is_alnum_lower (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*  */
static bool
valid_component (const char *s, size_t n)
{
  size_t i = 0;
  if (n == 0 || ! is_alnum_lower (s[0]) || ! is_alnum_lower (s[n - 1]))
    return false;
  while (i < n)
    {
      if (is_alnum_lower (s[i]))
        {
          i++;
          continue;
        }
      size_t j = i;
      while (j < n && ! is_alnum_lower (s[j]))
        j++;
      size_t len = j - i;
      bool ok
          = (len == 1 && (s[i] == '.' || s[i] == '_' || s[i] == '-')) || (len == 2 && s[i] == '_' && s[i + 1] == '_');
      if (! ok)
        {
          ok = true;
          for (size_t k = i; k < j; k++)
            if (s[k] != '-')
              ok = false;
        }
      if (! ok)
        return false;
      i = j;
    }
  return true;
}

static bool
valid_repository (const char *repo)
{
  const char *p = repo;
  if (strlen (repo) > 255)
    return false;
  for (;;)
    {
      const char *slash = strchr (p, '/');
      size_t n = slash ? (size_t) (slash - p) : strlen (p);
      if (! valid_component (p, n))
        return false;
      if (slash == NULL)
        return true;
      p = slash + 1;
    }
}

/* [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}  */
static bool
valid_tag (const char *t)
{
  size_t n = strlen (t);
  if (n == 0 || n > 128 || ! (isalnum ((unsigned char) t[0]) || t[0] == '_'))
    return false;
  for (size_t i = 1; i < n; i++)
    if (! (isalnum ((unsigned char) t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
      return false;
  return true;
}

/* host[:port], host being dotted labels of [A-Za-z0-9-] or [IPv6].  */
static bool
valid_domain (const char *d)
{
  const char *p = d;
  if (*p == '[')
    {
      const char *end = strchr (p, ']');
      if (end == NULL || end == p + 1)
        return false;
      for (const char *q = p + 1; q < end; q++)
        if (! (isxdigit ((unsigned char) *q) || *q == ':' || *q == '.'))
          return false;
      p = end + 1;
    }
  else
    {
      size_t label = 0;
      for (; *p && *p != ':'; p++)
        {
          if (*p == '.')
            {
              if (label == 0 || p[-1] == '-')
                return false;
              label = 0;
              continue;
            }
          if (! (isalnum ((unsigned char) *p) || (*p == '-' && label > 0)))
            return false;
          label++;
        }
      if (label == 0 || p[-1] == '-')
        return false;
    }
  if (*p == '\0')
    return true;
  if (*p != ':' || p[1] == '\0')
    return false;
  for (p++; *p; p++)
    if (! isdigit ((unsigned char) *p))
      return false;
  return true;
}

bool
pull_host_is_loopback (const char *host)
{
  size_t n = strlen (host);
  const char *colon = host[0] == '[' ? strstr (host, "]:") : strchr (host, ':');
  if (colon)
    n = (size_t) (colon - host) + (host[0] == '[' ? 1 : 0);
  if (n == 9 && strncmp (host, "localhost", 9) == 0)
    return true;
  if (n == 5 && strncmp (host, "[::1]", 5) == 0)
    return true;
  return n >= 4 && strncmp (host, "127.", 4) == 0;
}

/* oci:DIR[:TAG] and oci-archive:FILE[:TAG]: a final `:x` is a tag when x
   holds no slash (the path itself may hold colons).  */
static int
parse_local (const char *rest, enum pull_transport t, pull_ref_t *r, hako_error_t **err)
{
  r->transport = t;
  const char *colon = strrchr (rest, ':');
  if (colon && strchr (colon, '/') == NULL)
    {
      r->path = hako_xstrndup (rest, (size_t) (colon - rest));
      r->tag = hako_xstrdup (colon + 1);
      if (r->tag[0] == '\0')
        return hako_error_set (err, 0, "empty tag after `:`");
    }
  else
    r->path = hako_xstrdup (rest);
  if (r->path[0] == '\0')
    return hako_error_set (err, 0, "%s needs a path", t == PULL_OCI ? "oci:" : "oci-archive:");
  return 0;
}

static int
parse_docker (const char *text, pull_ref_t *r, hako_error_t **err)
{
  cleanup_free char *s = hako_xstrdup (text);
  r->transport = PULL_DOCKER;
  char *at = strchr (s, '@');
  if (at)
    {
      *at = '\0';
      if (pull_digest_check (at + 1, err) < 0)
        return -1;
      r->digest = hako_xstrdup (at + 1);
    }
  char *name = s;
  char *slash = strchr (s, '/');
  if (slash
      && (memchr (s, '.', (size_t) (slash - s)) || memchr (s, ':', (size_t) (slash - s))
          || (slash - s == 9 && strncmp (s, "localhost", 9) == 0) || (slash - s > 0 && s[0] == '[')))
    {
      *slash = '\0';
      if (! valid_domain (s))
        return hako_error_set (err, 0, "`%s` is not a valid registry host", s);
      r->domain = hako_xstrdup (s);
      name = slash + 1;
    }
  else
    r->domain = hako_xstrdup (DOCKER_HUB);
  /* A tag is a colon after the last slash.  */
  char *last = strrchr (name, '/');
  char *colon = strrchr (last ? last : name, ':');
  if (colon)
    {
      *colon = '\0';
      if (! valid_tag (colon + 1))
        return hako_error_set (err, 0, "`%s` is not a valid tag", colon + 1);
      r->tag = hako_xstrdup (colon + 1);
    }
  if (strcmp (r->domain, "index.docker.io") == 0)
    {
      free (r->domain);
      r->domain = hako_xstrdup (DOCKER_HUB);
    }
  if (strcmp (r->domain, DOCKER_HUB) == 0 && strchr (name, '/') == NULL)
    r->repository = hako_strdup_printf ("library/%s", name);
  else
    r->repository = hako_xstrdup (name);
  for (const char *p = r->repository; *p; p++)
    if (isupper ((unsigned char) *p))
      return hako_error_set (err, 0, "repository name `%s` must be lower case", name);
  if (! valid_repository (r->repository))
    return hako_error_set (err, 0, "`%s` is not a valid repository name", name);
  if (r->tag == NULL && r->digest == NULL)
    r->tag = hako_xstrdup ("latest");
  r->host = hako_xstrdup (strcmp (r->domain, DOCKER_HUB) == 0 ? DOCKER_HUB_API : r->domain);
  return 0;
}

int
pull_ref_parse (const char *text, pull_ref_t **out, hako_error_t **err)
{
  pull_ref_t *r = hako_xcalloc (1, sizeof (*r));
  int ret;
  *out = NULL;
  if (strncmp (text, "oci:", 4) == 0)
    ret = parse_local (text + 4, PULL_OCI, r, err);
  else if (strncmp (text, "oci-archive:", 12) == 0)
    ret = parse_local (text + 12, PULL_OCI_ARCHIVE, r, err);
  else if (strncmp (text, "docker://", 9) == 0)
    ret = parse_docker (text + 9, r, err);
  else if (text[0] == '\0')
    ret = hako_error_set (err, 0, "empty image reference");
  else
    ret = parse_docker (text, r, err);
  if (ret < 0)
    {
      hako_error_prefix (err, "image reference `%s`", text);
      pull_ref_free (r);
      return -1;
    }
  *out = r;
  return 0;
}

char *
pull_ref_name (const pull_ref_t *r)
{
  if (r->transport != PULL_DOCKER)
    return hako_strdup_printf ("%s:%s%s%s", r->transport == PULL_OCI ? "oci" : "oci-archive", r->path,
                               r->tag ? ":" : "", r->tag ? r->tag : "");
  if (r->digest)
    return hako_strdup_printf ("%s/%s@%s", r->domain, r->repository, r->digest);
  return hako_strdup_printf ("%s/%s:%s", r->domain, r->repository, r->tag);
}
