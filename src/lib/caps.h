/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_CAPS_H
#define HAKO_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "runtime-spec.h"

/* The five capability sets as bit masks (bit N = capability N).  */
typedef struct hako_caps
{
  bool present; /* process.capabilities was given */
  uint64_t bounding, effective, inheritable, permitted, ambient;
} hako_caps_t;

/* Names to numbers, before forking.  Unknown names are errors; names the
   running kernel lacks are dropped with a warning.  */
int hako_caps_parse (const hako_spec_capabilities *c, hako_caps_t *out, hako_error_t **err);
int hako_cap_from_name (const char *name, int *cap);
/* The highest capability number of the running kernel.  */
int hako_cap_last (void);

/* In the child.  Drop from the bounding set what is not asked (needs
   CAP_SETPCAP, so before the uid changes).  */
int hako_caps_apply_bounding (const hako_caps_t *c, hako_error_t **err);
/* After the uid change (with PR_SET_KEEPCAPS): set effective, permitted,
   inheritable and raise ambient.  */
int hako_caps_apply_final (const hako_caps_t *c, hako_error_t **err);

/* Make CAP effective again (it must still be permitted).  */
int hako_caps_raise_effective (int cap, hako_error_t **err);

/* The names of every capability this kernel has, for features.  */
char **hako_caps_all_names (size_t *n);

#endif
