/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_HOOKS_H
#define HAKO_HOOKS_H

#include "error.h"
#include "runtime-spec.h"

/* Run HOOKS in order with STATE_JSON on their stdin; the first failure
   stops the list and fails with KIND (e.g. "createRuntime") in the message.
   Each hook is killed when its timeout expires.  */
int hako_hooks_run (hako_spec_hook *const *hooks, size_t n, const char *kind, const char *state_json,
                    hako_error_t **err);
/* Run every one of HOOKS; a failure is logged as a warning and the rest
   still run (poststop, runtime.md).  */
void hako_hooks_run_warn (hako_spec_hook *const *hooks, size_t n, const char *kind, const char *state_json);

#endif
