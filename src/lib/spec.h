/* SPDX-License-Identifier: Apache-2.0 */
/* Loading a bundle: the config parsed once, paths made absolute, and the
   namespace plan worked out, before anything forks.  */
#ifndef HAKO_SPEC_H
#define HAKO_SPEC_H

#include <stdbool.h>

#include "error.h"
#include "runtime-spec.h"

typedef struct hako_bundle
{
  char *bundle;      /* absolute */
  char *config_path; /* absolute */
  char *rootfs;      /* absolute, root.path resolved against the bundle */
  char *config_json; /* the bytes as read, copied into the state dir */
  size_t config_len;
  hako_spec_config *config;
} hako_bundle_t;

int hako_bundle_load (const char *bundle, const char *config_file, hako_bundle_t **out, hako_error_t **err);
void hako_bundle_free (hako_bundle_t *b);
static inline void
hako_bundle_freep (hako_bundle_t **b)
{
  hako_bundle_free (*b);
}
#define cleanup_bundle __attribute__ ((cleanup (hako_bundle_freep)))

/* The default config.  */
hako_spec_config *hako_spec_default (bool rootless, hako_error_t **err);

/* Look up VAR in a NULL-terminated or counted env list.  */
const char *hako_env_get (char *const *env, size_t n, const char *var);

#endif
