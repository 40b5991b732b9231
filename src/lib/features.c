/* SPDX-License-Identifier: Apache-2.0 */
/* `features` (features.md, features-linux.md): what this build and this
   host support, and `spec`'s output.  */
#include <config.h>

#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "cgroup/cgroup.h"
#include "cleanup.h"
#include "hako.h"
#include "lsm.h"
#include "mount-options.h"
#include "namespaces.h"
#include "runtime-spec.h"
#include "seccomp-filter.h"
#include "spec.h"

static char **
strv_from (const char *const *src, size_t *n)
{
  size_t k = 0;
  while (src[k])
    k++;
  char **v = hako_xcalloc (k + 1, sizeof (char *));
  for (size_t i = 0; i < k; i++)
    v[i] = hako_xstrdup (src[i]);
  *n = k;
  return v;
}

int
hako_features_json (char **json, hako_error_t **err)
{
  hako_spec_features *f = hako_xcalloc (1, sizeof (*f));
  f->oci_version_min = hako_xstrdup ("1.0.0");
  f->oci_version_max = hako_xstrdup (HAKO_SPEC_VERSION);
  static const char *const hooks[]
      = { "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL };
  f->hooks = strv_from (hooks, &f->hooks_len);
  f->has_hooks = true;
  f->mount_options = strv_from (hako_mount_option_names, &f->mount_options_len);
  f->has_mount_options = true;

  hako_spec_features_linux *l = f->linux = hako_xcalloc (1, sizeof (*l));
  const char *ns[HAKO_NS_COUNT + 1];
  for (int i = 0; i < HAKO_NS_COUNT; i++)
    ns[i] = hako_ns_table[i].spec_name;
  ns[HAKO_NS_COUNT] = NULL;
  l->namespaces = strv_from (ns, &l->namespaces_len);
  l->has_namespaces = true;
  l->capabilities = hako_caps_all_names (&l->capabilities_len);
  l->has_capabilities = true;

  l->cgroup = hako_xcalloc (1, sizeof (*l->cgroup));
  l->cgroup->v1 = l->cgroup->has_v1 = true;
  l->cgroup->v2 = l->cgroup->has_v2 = true;
  /* cgroup/systemd.c: a transient scope on the system bus; there is no
     user-bus (rootless systemd) path.  cgroup/resources.c writes
     linux.resources.rdma on v1 and v2.  */
  l->cgroup->systemd = true;
  l->cgroup->has_systemd = true;
  l->cgroup->systemd_user = false;
  l->cgroup->has_systemd_user = true;
  l->cgroup->rdma = true;
  l->cgroup->has_rdma = true;

  l->seccomp = hako_xcalloc (1, sizeof (*l->seccomp));
  l->seccomp->enabled = l->seccomp->has_enabled = true;
  l->seccomp->actions = strv_from (hako_seccomp_actions, &l->seccomp->actions_len);
  l->seccomp->has_actions = true;
  l->seccomp->operators = strv_from (hako_seccomp_operators, &l->seccomp->operators_len);
  l->seccomp->has_operators = true;
  l->seccomp->archs = strv_from (hako_seccomp_archs, &l->seccomp->archs_len);
  l->seccomp->has_archs = true;
  l->seccomp->known_flags = strv_from (hako_seccomp_flags, &l->seccomp->known_flags_len);
  l->seccomp->has_known_flags = true;
  const char *supported[8];
  size_t ns_ = 0;
  for (size_t i = 0; hako_seccomp_flags[i]; i++)
    if (hako_seccomp_flag_supported (hako_seccomp_flags[i]))
      supported[ns_++] = hako_seccomp_flags[i];
  supported[ns_] = NULL;
  l->seccomp->supported_flags = strv_from (supported, &l->seccomp->supported_flags_len);
  l->seccomp->has_supported_flags = true;

  l->apparmor = hako_xcalloc (1, sizeof (*l->apparmor));
  l->apparmor->enabled = hako_apparmor_enabled ();
  l->apparmor->has_enabled = true;
  l->selinux = hako_xcalloc (1, sizeof (*l->selinux));
  l->selinux->enabled = hako_selinux_enabled ();
  l->selinux->has_enabled = true;
  /* Not applied yet, and refused by validate.c: say so.  */
  l->intel_rdt = hako_xcalloc (1, sizeof (*l->intel_rdt));
  l->intel_rdt->has_enabled = true;
  l->net_devices = hako_xcalloc (1, sizeof (*l->net_devices));
  l->net_devices->has_enabled = true;
  l->memory_policy = hako_xcalloc (1, sizeof (*l->memory_policy));
  l->memory_policy->modes = hako_xcalloc (1, sizeof (char *));
  l->memory_policy->has_modes = true;
  l->memory_policy->flags = hako_xcalloc (1, sizeof (char *));
  l->memory_policy->has_flags = true;
  l->mount_extensions = hako_xcalloc (1, sizeof (*l->mount_extensions));
  l->mount_extensions->idmap = hako_xcalloc (1, sizeof (*l->mount_extensions->idmap));
  l->mount_extensions->idmap->enabled = l->mount_extensions->idmap->has_enabled = true;

  f->annotations = hako_xcalloc (1, sizeof (*f->annotations));
  f->annotations->keys = hako_xcalloc (4, sizeof (char *));
  f->annotations->values = hako_xcalloc (4, sizeof (char *));
  const struct scmp_version *v = seccomp_version ();
  f->annotations->keys[0] = hako_xstrdup ("io.github.seccomp.libseccomp.version");
  f->annotations->values[0] = hako_strdup_printf ("%u.%u.%u", v->major, v->minor, v->micro);
  f->annotations->keys[1] = hako_xstrdup ("org.hako.version");
  f->annotations->values[1] = hako_xstrdup (PACKAGE_VERSION);
  f->annotations->keys[2] = hako_xstrdup ("org.hako.commit");
  f->annotations->values[2] = hako_xstrdup (HAKO_COMMIT);
  f->annotations->len = 3;

  *json = hako_spec_features_to_json (f, HAKO_JSON_PRETTY, NULL, err);
  hako_spec_features_free (f);
  return *json ? 0 : -1;
}

int
hako_spec_default_json (bool rootless, char **json, hako_error_t **err)
{
  hako_spec_config *c = hako_spec_default (rootless, err);
  if (c == NULL)
    return -1;
  *json = hako_spec_config_to_json (c, HAKO_JSON_PRETTY | HAKO_JSON_TABS, NULL, err);
  hako_spec_config_free (c);
  return *json ? 0 : -1;
}
