/* SPDX-License-Identifier: Apache-2.0 */
/* config.json for a pulled image (image-spec conversion.md) on top of
   hako's default spec (hako_spec_default): process.args from Entrypoint
   and Cmd (or the ARGS after --), process.env, process.cwd, process.user
   (names through the rootfs' /etc/passwd and /etc/group), annotations
   (implicit ones, then Labels, which win), and the command-line options:
   hostname, env, resources (cpus, memory, pids), root.readonly,
   process.terminal, the network namespace and the hako-net hooks.

   The hooks for --net bridge (the interface agreed with hako-net):
     createRuntime and poststop, each
       {"path": "<dir of hako-pull, else bindir>/hako-net",
        "args": ["hako-net", "hook", "--config", NETCONF,
                 "--publish", "HOST:CONTAINER/PROTO", ...]}
   hako-net tells ADD from DEL by the state on stdin ("creating" in
   createRuntime, "stopped" in poststop).  */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "pull.h"
#include "spec.h"

#define DEFAULT_NET_CONFIG "/etc/hako/net.json"

/* ------------------------------------------------------------ options */

int
bundle_parse_publish (const char *text, char **out, hako_error_t **err)
{
  cleanup_free char *s = hako_xstrdup (text);
  const char *proto = "tcp";
  char *slash = strchr (s, '/');
  if (slash)
    {
      *slash = '\0';
      proto = slash + 1;
      if (strcmp (proto, "tcp") != 0 && strcmp (proto, "udp") != 0)
        return hako_error_set (err, 0, "--publish `%s`: protocol must be tcp or udp", text);
    }
  char *colon = strchr (s, ':');
  if (colon == NULL || strchr (colon + 1, ':'))
    return hako_error_set (err, 0, "--publish `%s`: expected HOST:CONTAINER[/tcp|udp]", text);
  *colon = '\0';
  const char *ports[2] = { s, colon + 1 };
  long v[2];
  for (int i = 0; i < 2; i++)
    {
      char *end;
      errno = 0;
      v[i] = strtol (ports[i], &end, 10);
      if (ports[i][0] == '\0' || *end || errno || v[i] < 1 || v[i] > 65535 || ! isdigit ((unsigned char) ports[i][0]))
        return hako_error_set (err, 0, "--publish `%s`: `%s` is not a port (1-65535)", text, ports[i]);
    }
  *out = hako_strdup_printf ("%ld:%ld/%s", v[0], v[1], proto);
  return 0;
}

static int
parse_cpus (const char *s, int64_t *quota, hako_error_t **err)
{
  char *end;
  errno = 0;
  double v = strtod (s, &end);
  if (s[0] == '\0' || *end || errno || ! isfinite (v) || v <= 0 || v > 1e6)
    return hako_error_set (err, 0, "--cpus `%s`: expected a positive number of CPUs (e.g. 1.5)", s);
  *quota = (int64_t) llround (v * 100000.0);
  if (*quota < 1000)
    return hako_error_set (err, 0, "--cpus `%s`: at least 0.01", s);
  return 0;
}

static int
parse_memory (const char *s, int64_t *bytes, hako_error_t **err)
{
  char *end;
  errno = 0;
  unsigned long long v = strtoull (s, &end, 10);
  unsigned long long mul = 1;
  if (*end && end[1] == '\0')
    switch (tolower ((unsigned char) *end))
      {
      case 'b':
        mul = 1;
        end++;
        break;
      case 'k':
        mul = 1ull << 10;
        end++;
        break;
      case 'm':
        mul = 1ull << 20;
        end++;
        break;
      case 'g':
        mul = 1ull << 30;
        end++;
        break;
      default:
        break;
      }
  if (! isdigit ((unsigned char) s[0]) || *end || errno || v == 0 || v > (unsigned long long) INT64_MAX / mul)
    return hako_error_set (err, 0, "--memory `%s`: expected a size such as 512m or 2g", s);
  *bytes = (int64_t) (v * mul);
  if (*bytes < (6 << 20))
    return hako_error_set (err, 0, "--memory `%s`: the minimum is 6m", s);
  return 0;
}

static int
parse_pids (const char *s, int64_t *n, hako_error_t **err)
{
  char *end;
  errno = 0;
  long long v = strtoll (s, &end, 10);
  if (s[0] == '\0' || *end || errno || v < 1)
    return hako_error_set (err, 0, "--pids-limit `%s`: expected a positive number", s);
  *n = v;
  return 0;
}

int
bundle_check_opts (const bundle_opts_t *b, hako_error_t **err)
{
  int64_t x;
  if (b->cpus && parse_cpus (b->cpus, &x, err) < 0)
    return -1;
  if (b->memory && parse_memory (b->memory, &x, err) < 0)
    return -1;
  if (b->pids_limit && parse_pids (b->pids_limit, &x, err) < 0)
    return -1;
  const char *net = b->net ? b->net : "none";
  if (strcmp (net, "none") != 0 && strcmp (net, "host") != 0 && strcmp (net, "bridge") != 0)
    return hako_error_set (err, 0, "--net `%s`: expected none, host or bridge", net);
  if (b->n_publish > 0 && strcmp (net, "bridge") != 0)
    return hako_error_set (err, 0, "--publish needs --net bridge");
  if (b->net_config && strcmp (net, "bridge") != 0)
    return hako_error_set (err, 0, "--net-config needs --net bridge");
  if (b->hostname && (b->hostname[0] == '\0' || strlen (b->hostname) > 64))
    return hako_error_set (err, 0, "--hostname `%s`: expected 1 to 64 characters", b->hostname);
  for (size_t i = 0; i < b->n_env; i++)
    {
      const char *eq = strchr (b->env[i], '=');
      if (eq == b->env[i] || (eq == NULL && getenv (b->env[i]) == NULL))
        return hako_error_set (err, 0, "--env `%s`: expected KEY=VALUE (or KEY set in this environment)", b->env[i]);
    }
  return 0;
}

/* ------------------------------------------------------------ string lists */

static void
strv_push (char ***v, size_t *n, char *s)
{
  *v = hako_xrealloc (*v, (*n + 2) * sizeof (char *));
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

/* Set KEY=VALUE in ENV, replacing an entry with the same key.  */
static void
env_set (char ***env, size_t *n, const char *kv)
{
  const char *eq = strchr (kv, '=');
  size_t kl = eq ? (size_t) (eq - kv) : strlen (kv);
  for (size_t i = 0; i < *n; i++)
    if (strncmp ((*env)[i], kv, kl) == 0 && (*env)[i][kl] == '=')
      {
        free ((*env)[i]);
        (*env)[i] = hako_xstrdup (kv);
        return;
      }
  strv_push (env, n, hako_xstrdup (kv));
}

static void
annotation_set (hako_spec_map_string **mp, const char *key, const char *value)
{
  if (*mp == NULL)
    *mp = hako_xcalloc (1, sizeof (**mp));
  hako_spec_map_string *m = *mp;
  for (size_t i = 0; i < m->len; i++)
    if (strcmp (m->keys[i], key) == 0)
      {
        free (m->values[i]);
        m->values[i] = hako_xstrdup (value);
        return;
      }
  m->keys = hako_xrealloc (m->keys, (m->len + 2) * sizeof (char *));
  m->values = hako_xrealloc (m->values, (m->len + 2) * sizeof (char *));
  m->keys[m->len] = hako_xstrdup (key);
  m->values[m->len] = hako_xstrdup (value);
  m->len++;
}

/* ------------------------------------------------------------ users */

/* The fields of the line of an /etc/passwd- or /etc/group-like file in the
   rootfs whose field 0 is NAME (or, if NAME is NULL, whose field 2 is ID).
   Returns 1 when found, 0 when not (or no file).  */
static int
db_find (int rootfd, const char *file, const char *name, unsigned long id, char *line, size_t linesz, char **fields,
         int nfields, hako_error_t **err)
{
  hako_error_t *e = NULL;
  int fd = pull_open_in_root (rootfd, file, O_RDONLY, &e);
  if (fd < 0)
    {
      int st = e->status;
      hako_error_free (e);
      if (st == ENOENT)
        return 0;
      return hako_error_set (err, st, "%s in the image", file);
    }
  FILE *f = fdopen (fd, "r");
  if (f == NULL)
    {
      close (fd);
      return hako_error_sys (err, "%s in the image", file);
    }
  int found = 0;
  while (! found && fgets (line, (int) linesz, f))
    {
      line[strcspn (line, "\n")] = '\0';
      if (line[0] == '#' || line[0] == '\0')
        continue;
      int n = 0;
      char *p = line;
      for (; n < nfields; n++)
        {
          fields[n] = p;
          char *c = strchr (p, ':');
          if (c == NULL)
            {
              n++;
              break;
            }
          *c = '\0';
          p = c + 1;
        }
      for (int k = n; k < nfields; k++)
        fields[k] = (char *) "";
      if (n < 3)
        continue;
      if (name ? strcmp (fields[0], name) == 0 : (strtoul (fields[2], NULL, 10) == id && fields[2][0]))
        found = 1;
    }
  fclose (f);
  return found;
}

static bool
numeric (const char *s, unsigned long *v)
{
  if (s[0] == '\0')
    return false;
  for (const char *p = s; *p; p++)
    if (! isdigit ((unsigned char) *p))
      return false;
  errno = 0;
  *v = strtoul (s, NULL, 10);
  return errno == 0 && *v <= UINT32_MAX - 1;
}

/* Supplementary groups of USER: the /etc/group lines listing it.  */
static int
supplementary (int rootfd, const char *user, uint32_t gid, uint32_t **out, size_t *n, hako_error_t **err)
{
  hako_error_t *e = NULL;
  int fd = pull_open_in_root (rootfd, "etc/group", O_RDONLY, &e);
  if (fd < 0)
    {
      hako_error_free (e);
      return 0;
    }
  FILE *f = fdopen (fd, "r");
  if (f == NULL)
    {
      close (fd);
      return hako_error_sys (err, "etc/group in the image");
    }
  char line[4096];
  while (fgets (line, sizeof line, f))
    {
      line[strcspn (line, "\n")] = '\0';
      char *fields[4] = { NULL };
      char *p = line;
      int k = 0;
      for (; k < 4 && p; k++)
        {
          fields[k] = p;
          p = strchr (p, ':');
          if (p)
            *p++ = '\0';
        }
      if (k < 4 || fields[3] == NULL)
        continue;
      unsigned long g;
      if (! numeric (fields[2], &g) || g == gid)
        continue;
      char *save = NULL;
      for (char *m = strtok_r (fields[3], ",", &save); m; m = strtok_r (NULL, ",", &save))
        if (strcmp (m, user) == 0)
          {
            *out = hako_xrealloc (*out, (*n + 1) * sizeof (uint32_t));
            (*out)[(*n)++] = (uint32_t) g;
            break;
          }
    }
  fclose (f);
  return 0;
}

/* Config.User: user, uid, user:group, uid:gid, and mixes.  */
static int
resolve_user (int rootfd, const char *spec, hako_spec_user *u, char **home, hako_error_t **err)
{
  cleanup_free char *s = hako_xstrdup (spec);
  char *group = strchr (s, ':');
  if (group)
    *group++ = '\0';
  char line[4096];
  char *pw[7];
  unsigned long v;
  int found;
  if (s[0] == '\0')
    return hako_error_set (err, 0, "image config: config.User `%s`: no user", spec);
  if (numeric (s, &v))
    {
      u->uid = (uint32_t) v;
      found = db_find (rootfd, "etc/passwd", NULL, v, line, sizeof line, pw, 7, err);
      if (found < 0)
        return -1;
      u->gid = found && numeric (pw[3], &v) ? (uint32_t) v : 0;
    }
  else
    {
      found = db_find (rootfd, "etc/passwd", s, 0, line, sizeof line, pw, 7, err);
      if (found < 0)
        return -1;
      if (! found)
        return hako_error_set (err, 0, "image config: config.User `%s`: no user `%s` in the image's /etc/passwd", spec,
                               s);
      if (! numeric (pw[2], &v))
        return hako_error_set (err, 0, "/etc/passwd of the image: user `%s` has a bad uid `%s`", s, pw[2]);
      u->uid = (uint32_t) v;
      u->gid = numeric (pw[3], &v) ? (uint32_t) v : 0;
    }
  if (found && pw[5][0])
    *home = hako_xstrdup (pw[5]);
  if (group && group[0])
    {
      if (numeric (group, &v))
        u->gid = (uint32_t) v;
      else
        {
          char gline[4096];
          char *gr[4];
          int gf = db_find (rootfd, "etc/group", group, 0, gline, sizeof gline, gr, 4, err);
          if (gf < 0)
            return -1;
          if (! gf || ! numeric (gr[2], &v))
            return hako_error_set (err, 0, "image config: config.User `%s`: no group `%s` in the image's /etc/group",
                                   spec, group);
          u->gid = (uint32_t) v;
        }
      return 0;
    }
  /* conversion.md: additionalGids only for a user given by name without
     a group.  */
  if (! numeric (s, &v))
    {
      if (supplementary (rootfd, s, u->gid, &u->additional_gids, &u->additional_gids_len, err) < 0)
        return -1;
      u->has_additional_gids = u->additional_gids_len > 0;
    }
  return 0;
}

/* ------------------------------------------------------------ the config */

static char *
hako_net_path (void)
{
  char self[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);
  if (n > 0)
    {
      self[n] = '\0';
      char *slash = strrchr (self, '/');
      if (slash)
        {
          char *beside = hako_strdup_printf ("%.*s/hako-net", (int) (slash - self), self);
          if (access (beside, X_OK) == 0)
            return beside;
          free (beside);
        }
    }
  return hako_xstrdup (HAKO_BINDIR "/hako-net");
}

static hako_spec_hook *
net_hook (const bundle_opts_t *b, const char *path)
{
  hako_spec_hook *h = hako_xcalloc (1, sizeof (*h));
  h->path = hako_xstrdup (path);
  strv_push (&h->args, &h->args_len, hako_xstrdup ("hako-net"));
  strv_push (&h->args, &h->args_len, hako_xstrdup ("hook"));
  strv_push (&h->args, &h->args_len, hako_xstrdup ("--config"));
  strv_push (&h->args, &h->args_len, hako_xstrdup (b->net_config ? b->net_config : DEFAULT_NET_CONFIG));
  for (size_t i = 0; i < b->n_publish; i++)
    {
      strv_push (&h->args, &h->args_len, hako_xstrdup ("--publish"));
      strv_push (&h->args, &h->args_len, hako_xstrdup (b->publish[i]));
    }
  return h;
}

static void
set_network (hako_spec_config *c, const bundle_opts_t *b)
{
  const char *net = b->net ? b->net : "none";
  hako_spec_linux *l = c->linux;
  if (strcmp (net, "host") == 0)
    {
      size_t w = 0;
      for (size_t i = 0; i < l->namespaces_len; i++)
        {
          if (strcmp (l->namespaces[i]->type, "network") == 0)
            hako_spec_namespace_free (l->namespaces[i]);
          else
            l->namespaces[w++] = l->namespaces[i];
        }
      l->namespaces_len = w;
      return;
    }
  if (strcmp (net, "bridge") != 0)
    return;
  cleanup_free char *path = hako_net_path ();
  if (c->hooks == NULL)
    c->hooks = hako_xcalloc (1, sizeof (*c->hooks));
  hako_spec_hooks *h = c->hooks;
  h->create_runtime = hako_xrealloc (h->create_runtime, (h->create_runtime_len + 2) * sizeof (hako_spec_hook *));
  h->create_runtime[h->create_runtime_len++] = net_hook (b, path);
  h->has_create_runtime = true;
  h->poststop = hako_xrealloc (h->poststop, (h->poststop_len + 2) * sizeof (hako_spec_hook *));
  h->poststop[h->poststop_len++] = net_hook (b, path);
  h->has_poststop = true;
}

static void
set_resources (hako_spec_config *c, const bundle_opts_t *b)
{
  hako_error_t *e = NULL; /* checked by bundle_check_opts already */
  if (b->cpus == NULL && b->memory == NULL && b->pids_limit == NULL)
    return;
  if (c->linux->resources == NULL)
    c->linux->resources = hako_xcalloc (1, sizeof (*c->linux->resources));
  hako_spec_linux_resources *r = c->linux->resources;
  if (b->cpus)
    {
      r->cpu = r->cpu ? r->cpu : hako_xcalloc (1, sizeof (*r->cpu));
      parse_cpus (b->cpus, &r->cpu->quota, &e);
      r->cpu->has_quota = true;
      r->cpu->period = 100000;
      r->cpu->has_period = true;
    }
  if (b->memory)
    {
      r->memory = r->memory ? r->memory : hako_xcalloc (1, sizeof (*r->memory));
      parse_memory (b->memory, &r->memory->limit, &e);
      r->memory->has_limit = true;
    }
  if (b->pids_limit)
    {
      r->pids = r->pids ? r->pids : hako_xcalloc (1, sizeof (*r->pids));
      parse_pids (b->pids_limit, &r->pids->limit, &e);
      r->pids->has_limit = true;
    }
  hako_error_free (e);
}

/* conversion.md "Annotation Fields": implicit ones first, Labels win.  */
static void
set_annotations (hako_spec_config *c, const hako_img_image_config *ic)
{
  hako_spec_map_string **m = &c->annotations;
  annotation_set (m, "org.opencontainers.image.os", ic->os);
  annotation_set (m, "org.opencontainers.image.architecture", ic->architecture);
  if (ic->variant)
    annotation_set (m, "org.opencontainers.image.variant", ic->variant);
  if (ic->os_version)
    annotation_set (m, "org.opencontainers.image.os.version", ic->os_version);
  if (ic->os_features_len > 0)
    {
      size_t len = 1;
      for (size_t i = 0; i < ic->os_features_len; i++)
        len += strlen (ic->os_features[i]) + 1;
      cleanup_free char *j = hako_xcalloc (1, len);
      for (size_t i = 0; i < ic->os_features_len; i++)
        {
          if (i)
            strcat (j, ",");
          strcat (j, ic->os_features[i]);
        }
      annotation_set (m, "org.opencontainers.image.os.features", j);
    }
  if (ic->author)
    annotation_set (m, "org.opencontainers.image.author", ic->author);
  if (ic->created)
    annotation_set (m, "org.opencontainers.image.created", ic->created);
  const hako_img_container_config *cc = ic->config;
  if (cc == NULL)
    return;
  if (cc->stop_signal)
    annotation_set (m, "org.opencontainers.image.stopSignal", cc->stop_signal);
  if (cc->exposed_ports && cc->exposed_ports->len > 0)
    {
      size_t len = 1;
      for (size_t i = 0; i < cc->exposed_ports->len; i++)
        len += strlen (cc->exposed_ports->keys[i]) + 1;
      cleanup_free char *j = hako_xcalloc (1, len);
      for (size_t i = 0; i < cc->exposed_ports->len; i++)
        {
          if (i)
            strcat (j, ",");
          strcat (j, cc->exposed_ports->keys[i]);
        }
      annotation_set (m, "org.opencontainers.image.exposedPorts", j);
    }
  if (cc->labels)
    for (size_t i = 0; i < cc->labels->len; i++)
      annotation_set (m, cc->labels->keys[i], cc->labels->values[i]);
}

static int
set_process (hako_spec_config *c, int rootfd, const hako_img_image_config *ic, const bundle_opts_t *b,
             hako_error_t **err)
{
  const hako_img_container_config *cc = ic->config;
  hako_spec_process *p = c->process;
  /* args: Entrypoint, then Cmd or the user's ARGS.  */
  for (size_t i = 0; i < p->args_len; i++)
    free (p->args[i]);
  free (p->args);
  p->args = NULL;
  p->args_len = 0;
  for (size_t i = 0; cc && i < cc->entrypoint_len; i++)
    strv_push (&p->args, &p->args_len, hako_xstrdup (cc->entrypoint[i]));
  if (b->n_args > 0)
    for (size_t i = 0; i < b->n_args; i++)
      strv_push (&p->args, &p->args_len, hako_xstrdup (b->args[i]));
  else
    for (size_t i = 0; cc && i < cc->cmd_len; i++)
      strv_push (&p->args, &p->args_len, hako_xstrdup (cc->cmd[i]));
  if (p->args_len == 0)
    return hako_error_set (err, 0, "the image has no Entrypoint or Cmd: give the command after `--`");
  p->has_args = true;

  p->terminal = b->tty;
  p->has_terminal = true;
  for (size_t i = 0; cc && i < cc->env_len; i++)
    if (strchr (cc->env[i], '=') && cc->env[i][0] != '=')
      env_set (&p->env, &p->env_len, cc->env[i]);
  for (size_t i = 0; i < b->n_env; i++)
    {
      if (strchr (b->env[i], '='))
        env_set (&p->env, &p->env_len, b->env[i]);
      else
        {
          cleanup_free char *kv = hako_strdup_printf ("%s=%s", b->env[i], getenv (b->env[i]));
          env_set (&p->env, &p->env_len, kv);
        }
    }

  if (cc && cc->working_dir && cc->working_dir[0])
    {
      free (p->cwd);
      p->cwd = cc->working_dir[0] == '/' ? hako_xstrdup (cc->working_dir) : hako_strdup_printf ("/%s", cc->working_dir);
    }

  cleanup_free char *home = NULL;
  if (cc && cc->user && cc->user[0])
    {
      if (resolve_user (rootfd, cc->user, p->user, &home, err) < 0)
        return -1;
    }
  else
    {
      char line[4096];
      char *pw[7];
      int f = db_find (rootfd, "etc/passwd", NULL, 0, line, sizeof line, pw, 7, err);
      if (f < 0)
        return -1;
      if (f && pw[5][0])
        home = hako_xstrdup (pw[5]);
    }
  /* Docker's rule: HOME from the user's passwd entry unless the image
     or --env set it.  */
  if (home && hako_env_get (p->env, p->env_len, "HOME") == NULL)
    {
      cleanup_free char *kv = hako_strdup_printf ("HOME=%s", home);
      env_set (&p->env, &p->env_len, kv);
    }
  p->has_env = true;
  return 0;
}

int
bundle_write_config (int bundlefd, int rootfd, const pull_image_t *img, const bundle_opts_t *b, hako_error_t **err)
{
  bool rootless = geteuid () != 0;
  hako_spec_config *c = hako_spec_default (rootless, err);
  if (c == NULL)
    return -1;
  int ret = set_process (c, rootfd, img->config, b, err);
  /* hako's rootless default maps only the caller, as root.  */
  if (ret == 0 && rootless && (c->process->user->uid != 0 || c->process->user->gid != 0))
    fprintf (stderr,
             "hako-pull: warning: the image runs as %u:%u, which a rootless bundle maps only if you add "
             "linux.uidMappings and gidMappings for it\n",
             c->process->user->uid, c->process->user->gid);
  if (ret == 0)
    {
      /* Images expect a writable root, as docker and podman give them.  */
      c->root->readonly = b->read_only;
      c->root->has_readonly = b->read_only;
      if (b->hostname)
        {
          free (c->hostname);
          c->hostname = hako_xstrdup (b->hostname);
        }
      set_annotations (c, img->config);
      set_resources (c, b);
      set_network (c, b);
    }
  cleanup_free char *json = NULL;
  size_t len = 0;
  if (ret == 0)
    {
      json = hako_spec_config_to_json (c, HAKO_JSON_PRETTY, &len, err);
      if (json == NULL)
        ret = -1;
    }
  hako_spec_config_free (c);
  if (ret < 0)
    return -1;
  cleanup_close int fd = openat (bundlefd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return hako_error_sys (err, "create config.json");
  if (pull_write_all (fd, json, len) < 0 || pull_write_all (fd, "\n", 1) < 0)
    return hako_error_sys (err, "write config.json");
  return 0;
}
