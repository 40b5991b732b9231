/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: root.path (resolution against the bundle).  The default config
   of `hako spec`.  */
#include <config.h>

#include "spec.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

/* The same defaults a runc or crun user expects from `spec`.  */
static const char default_config[]
    = "{"
      "\"ociVersion\":\"" HAKO_SPEC_VERSION "\","
      "\"process\":{"
      "\"terminal\":true,"
      "\"user\":{\"uid\":0,\"gid\":0},"
      "\"args\":[\"sh\"],"
      "\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"TERM=xterm\"],"
      "\"cwd\":\"/\","
      "\"capabilities\":{"
      "\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
      "\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
      "\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]"
      "},"
      "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
      "\"noNewPrivileges\":true"
      "},"
      "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
      "\"hostname\":\"hako\","
      "\"mounts\":["
      "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
      "{\"destination\":\"/"
      "dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size="
      "65536k\"]},"
      "{\"destination\":\"/dev/"
      "pts\",\"type\":\"devpts\",\"source\":\"devpts\",\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode="
      "0666\",\"mode=0620\",\"gid=5\"]},"
      "{\"destination\":\"/dev/"
      "shm\",\"type\":\"tmpfs\",\"source\":\"shm\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size="
      "65536k\"]},"
      "{\"destination\":\"/dev/"
      "mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\",\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
      "{\"destination\":\"/"
      "sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
      "{\"destination\":\"/sys/fs/"
      "cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\","
      "\"ro\"]}"
      "],"
      "\"linux\":{"
      "\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
      "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
      "{\"type\":\"mount\"},{\"type\":\"cgroup\"}],"
      "\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\",\"/proc/latency_stats\","
      "\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\",\"/sys/firmware\",\"/proc/scsi\"],"
      "\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\"]"
      "}"
      "}";

static void
strv_remove (char **v, size_t *n, const char *prefix)
{
  size_t w = 0;
  for (size_t i = 0; i < *n; i++)
    {
      if (strncmp (v[i], prefix, strlen (prefix)) == 0)
        free (v[i]);
      else
        v[w++] = v[i];
    }
  *n = w;
}

/* runc's rootless conversion: a user namespace mapping only the caller,
   no network namespace (sysfs cannot be mounted then: bind the host's),
   no resources, devpts without gid=.  */
static void
make_rootless (hako_spec_config *c)
{
  hako_spec_linux *l = c->linux;
  size_t w = 0;
  for (size_t i = 0; i < l->namespaces_len; i++)
    {
      if (strcmp (l->namespaces[i]->type, "network") == 0)
        hako_spec_namespace_free (l->namespaces[i]);
      else
        l->namespaces[w++] = l->namespaces[i];
    }
  hako_spec_namespace *user = hako_xcalloc (1, sizeof (*user));
  user->type = hako_xstrdup ("user");
  l->namespaces[w++] = user;
  l->namespaces_len = w;

  uid_t uid = geteuid ();
  gid_t gid = getegid ();
  l->uid_mappings = hako_xcalloc (1, sizeof (*l->uid_mappings));
  l->uid_mappings[0] = hako_xcalloc (1, sizeof (hako_spec_id_mapping));
  l->uid_mappings[0]->host_id = uid;
  l->uid_mappings[0]->size = 1;
  l->uid_mappings_len = 1;
  l->gid_mappings = hako_xcalloc (1, sizeof (*l->gid_mappings));
  l->gid_mappings[0] = hako_xcalloc (1, sizeof (hako_spec_id_mapping));
  l->gid_mappings[0]->host_id = gid;
  l->gid_mappings[0]->size = 1;
  l->gid_mappings_len = 1;

  hako_spec_linux_resources_free (l->resources);
  l->resources = NULL;

  w = 0;
  for (size_t i = 0; i < c->mounts_len; i++)
    {
      hako_spec_mount *m = c->mounts[i];
      if (strcmp (m->destination, "/sys/fs/cgroup") == 0)
        {
          hako_spec_mount_free (m);
          continue;
        }
      if (strcmp (m->destination, "/sys") == 0)
        {
          free (m->type);
          free (m->source);
          m->type = hako_xstrdup ("none");
          m->source = hako_xstrdup ("/sys");
          for (size_t j = 0; j < m->options_len; j++)
            free (m->options[j]);
          free (m->options);
          const char *opts[] = { "rbind", "nosuid", "noexec", "nodev", "ro" };
          m->options = hako_xcalloc (5, sizeof (char *));
          for (size_t j = 0; j < 5; j++)
            m->options[j] = hako_xstrdup (opts[j]);
          m->options_len = 5;
        }
      if (strcmp (m->destination, "/dev/pts") == 0)
        strv_remove (m->options, &m->options_len, "gid=");
      c->mounts[w++] = m;
    }
  c->mounts_len = w;
}

hako_spec_config *
hako_spec_default (bool rootless, hako_error_t **err)
{
  hako_spec_config *c = hako_spec_config_parse_data (default_config, sizeof default_config - 1, "default config", err);
  if (c == NULL)
    return NULL;
  if (rootless)
    make_rootless (c);
  return c;
}

int
hako_bundle_load (const char *bundle, const char *config_file, hako_bundle_t **out, hako_error_t **err)
{
  cleanup_free char *cwd = NULL;
  hako_bundle_t *b = hako_xcalloc (1, sizeof (*b));
  *out = b;
  if (bundle == NULL || *bundle == '\0')
    bundle = ".";
  b->bundle = realpath (bundle, NULL);
  if (b->bundle == NULL)
    return hako_error_sys (err, "bundle `%s`", bundle);
  if (config_file == NULL)
    config_file = "config.json";
  if (config_file[0] == '/')
    b->config_path = hako_xstrdup (config_file);
  else
    b->config_path = hako_strdup_printf ("%s/%s", b->bundle, config_file);
  b->config_json = hako_json_read_file (b->config_path, &b->config_len, err);
  if (b->config_json == NULL)
    return -1;
  b->config = hako_spec_config_parse_data (b->config_json, b->config_len, config_file, err);
  if (b->config == NULL)
    return -1;
  if (b->config->root == NULL)
    return hako_error_set (err, 0, "%s: root: required property is missing", config_file);
  const char *rp = b->config->root->path;
  cleanup_free char *joined = rp[0] == '/' ? hako_xstrdup (rp) : hako_strdup_printf ("%s/%s", b->bundle, rp);
  b->rootfs = realpath (joined, NULL);
  if (b->rootfs == NULL)
    return hako_error_sys (err, "%s: root.path: `%s`", config_file, joined);
  struct stat st;
  if (stat (b->rootfs, &st) < 0)
    return hako_error_sys (err, "%s: root.path: `%s`", config_file, b->rootfs);
  if (! S_ISDIR (st.st_mode))
    return hako_error_set (err, 0, "%s: root.path: `%s` is not a directory", config_file, b->rootfs);
  return 0;
}

void
hako_bundle_free (hako_bundle_t *b)
{
  if (b == NULL)
    return;
  free (b->bundle);
  free (b->config_path);
  free (b->rootfs);
  free (b->config_json);
  hako_spec_config_free (b->config);
  free (b);
}

const char *
hako_env_get (char *const *env, size_t n, const char *var)
{
  size_t vl = strlen (var);
  for (size_t i = 0; i < n && env[i]; i++)
    if (strncmp (env[i], var, vl) == 0 && env[i][vl] == '=')
      return env[i] + vl + 1;
  return NULL;
}
