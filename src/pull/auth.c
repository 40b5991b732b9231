/* SPDX-License-Identifier: Apache-2.0 */
/* Credentials for a registry, looked up where podman, skopeo and docker
   keep them: --creds; else --authfile or $REGISTRY_AUTH_FILE alone; else
   ${XDG_RUNTIME_DIR}/containers/auth.json, $XDG_CONFIG_HOME (~/.config)
   /containers/auth.json, then $DOCKER_CONFIG (~/.docker)/config.json.  In
   each file the most specific key wins (host/namespace/repo before host),
   keys may carry a scheme and Docker's legacy /v1/ suffix.  */
#include <config.h>

#include <errno.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "pull.h"

/* "https://index.docker.io/v1/" -> "docker.io", "localhost:5000" stays.  */
static char *
normalize_key (const char *key)
{
  const char *k = key;
  if (strncmp (k, "https://", 8) == 0)
    k += 8;
  else if (strncmp (k, "http://", 7) == 0)
    k += 7;
  char *s = hako_xstrdup (k);
  size_t n = strlen (s);
  while (n > 0 && s[n - 1] == '/')
    s[--n] = '\0';
  /* Docker's legacy keys end with an API version.  */
  if (n > 3 && (strcmp (s + n - 3, "/v1") == 0 || strcmp (s + n - 3, "/v2") == 0))
    s[n - 3] = '\0';
  const char *hub[] = { "index.docker.io", "registry-1.docker.io" };
  for (size_t i = 0; i < 2; i++)
    {
      size_t hl = strlen (hub[i]);
      if (strncmp (s, hub[i], hl) == 0 && (s[hl] == '\0' || s[hl] == '/'))
        {
          char *r = hako_strdup_printf ("docker.io%s", s + hl);
          free (s);
          return r;
        }
    }
  return s;
}

static int
decode_entry (const char *file, const char *key, const hako_img_auth_entry *e, char **userpass, hako_error_t **err)
{
  if (e->auth && e->auth[0])
    {
      size_t n = strlen (e->auth);
      unsigned char *out = hako_xcalloc (1, n + 1);
      int len = EVP_DecodeBlock (out, (const unsigned char *) e->auth, (int) n);
      if (len < 0 || n % 4 != 0)
        {
          free (out);
          return hako_error_set (err, 0, "%s: auths.%s.auth: expected base64 of user:password", file, key);
        }
      /* EVP_DecodeBlock counts the padding as zero bytes.  */
      while (n > 0 && e->auth[n - 1] == '=')
        {
          n--;
          len--;
        }
      out[len] = '\0';
      if (strchr ((char *) out, ':') == NULL || memchr (out, '\0', (size_t) len))
        {
          free (out);
          return hako_error_set (err, 0, "%s: auths.%s.auth: expected base64 of user:password", file, key);
        }
      *userpass = (char *) out;
      return 1;
    }
  if (e->username && e->password)
    {
      *userpass = hako_strdup_printf ("%s:%s", e->username, e->password);
      return 1;
    }
  return 0;
}

/* 1 and *USERPASS when FILE has credentials for REF, 0 when it has none or
   does not exist, -1 on a bad file.  */
static int
lookup_file (const char *file, const pull_ref_t *ref, char **userpass, hako_error_t **err)
{
  if (access (file, F_OK) < 0 && errno == ENOENT)
    return 0;
  hako_img_auth_file *af = hako_img_auth_file_parse_file (file, err);
  if (af == NULL)
    return -1;
  int ret = 0;
  if (af->auths)
    {
      /* domain/a/b/c, domain/a/b, domain/a, domain.  */
      cleanup_free char *want = hako_strdup_printf ("%s/%s", ref->domain, ref->repository);
      for (;;)
        {
          for (size_t i = 0; i < af->auths->len && ret == 0; i++)
            {
              cleanup_free char *k = normalize_key (af->auths->keys[i]);
              if (strcmp (k, want) == 0)
                ret = decode_entry (file, af->auths->keys[i], af->auths->values[i], userpass, err);
            }
          char *slash = strrchr (want, '/');
          if (ret != 0 || slash == NULL)
            break;
          *slash = '\0';
        }
    }
  hako_img_auth_file_free (af);
  return ret;
}

int
auth_lookup (const pull_opts_t *o, const pull_ref_t *ref, char **userpass, hako_error_t **err)
{
  *userpass = NULL;
  if (o->creds)
    {
      if (strchr (o->creds, ':') == NULL)
        return hako_error_set (err, 0, "--creds: expected USER:PASSWORD");
      *userpass = hako_xstrdup (o->creds);
      return 0;
    }
  const char *only = o->auth_file ? o->auth_file : getenv ("REGISTRY_AUTH_FILE");
  if (only && only[0])
    {
      if (access (only, R_OK) < 0)
        return hako_error_sys (err, "auth file `%s`", only);
      return lookup_file (only, ref, userpass, err) < 0 ? -1 : 0;
    }
  const char *home = getenv ("HOME");
  const char *xdg_run = getenv ("XDG_RUNTIME_DIR");
  const char *xdg_conf = getenv ("XDG_CONFIG_HOME");
  const char *docker = getenv ("DOCKER_CONFIG");
  char *files[4] = { NULL, NULL, NULL, NULL };
  size_t n = 0;
  if (xdg_run && xdg_run[0])
    files[n++] = hako_strdup_printf ("%s/containers/auth.json", xdg_run);
  else if (geteuid () == 0)
    files[n++] = hako_xstrdup ("/run/containers/0/auth.json");
  if (xdg_conf && xdg_conf[0])
    files[n++] = hako_strdup_printf ("%s/containers/auth.json", xdg_conf);
  else if (home)
    files[n++] = hako_strdup_printf ("%s/.config/containers/auth.json", home);
  if (docker && docker[0])
    files[n++] = hako_strdup_printf ("%s/config.json", docker);
  else if (home)
    files[n++] = hako_strdup_printf ("%s/.docker/config.json", home);
  int ret = 0;
  for (size_t i = 0; i < n && ret == 0; i++)
    ret = lookup_file (files[i], ref, userpass, err);
  for (size_t i = 0; i < n; i++)
    free (files[i]);
  return ret < 0 ? -1 : 0;
}
