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

#define HAKO_CAP_BIT(cap) (1ULL << (cap))

/* Names to numbers, before forking.  Unknown names are errors; names the
   running kernel lacks, and combinations the kernel cannot grant
   (effective outside permitted, ambient outside permitted and
   inheritable, inheritable outside bounding), are dropped with a
   warning, as the spec asks.  */
int hako_caps_parse (const hako_spec_capabilities *c, hako_caps_t *out, hako_error_t **err);
int hako_cap_from_name (const char *name, int *cap);
/* The highest capability number of the running kernel.  */
int hako_cap_last (void);

/* Our own sets, from capget.  */
int hako_caps_get_own (uint64_t *effective, uint64_t *permitted, uint64_t *inheritable);

/* In the child, before anything is applied: drop, with a warning, what
   this process cannot grant because it does not hold it itself (outside
   hako's own bounding or permitted set).  */
void hako_caps_restrict_to_own (hako_caps_t *c);
/* In the child.  Drop from the bounding set what is not asked (needs
   CAP_SETPCAP, so before the uid changes).  */
int hako_caps_apply_bounding (const hako_caps_t *c, hako_error_t **err);
/* After the uid change (with PR_SET_KEEPCAPS): set effective, permitted,
   inheritable and raise ambient.  */
int hako_caps_apply_final (const hako_caps_t *c, hako_error_t **err);
/* capset of the three sets, nothing else.  */
int hako_caps_set (uint64_t effective, uint64_t permitted, uint64_t inheritable, hako_error_t **err);

/* The names of every capability this kernel has, for features.  */
char **hako_caps_all_names (size_t *n);
/* "CAP_CHOWN" for 0; a static buffer with the number for unknown ones. */
const char *hako_cap_name (int cap);

#endif
