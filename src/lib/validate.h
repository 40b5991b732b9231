/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_VALIDATE_H
#define HAKO_VALIDATE_H

#include <stdbool.h>

#include "error.h"
#include "runtime-spec.h"
#include "spec.h"

/* Every problem found, collected rather than stopping at the first.  */
typedef struct hako_problems
{
  char **msgs;
  size_t len, cap;
} hako_problems_t;

void hako_problems_add (hako_problems_t *p, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void hako_problems_clear (hako_problems_t *p);

/* The checks of the config against the spec, and (HOST) against this
   host: rootfs, namespaces, cgroups, mount sources.  */
void hako_validate_collect (const hako_spec_config *c, const char *bundle, const char *rootfs, bool host,
                            hako_problems_t *p);

/* For create: the same checks; the first problem becomes the error (the
   others follow it in the message).  */
int hako_validate_config (const hako_spec_config *c, const hako_bundle_t *b, hako_error_t **err);

#endif
