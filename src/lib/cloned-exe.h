/* SPDX-License-Identifier: Apache-2.0 */
/* Running hako from a sealed memfd copy of itself when a container could
   otherwise reach the host's binary through /proc/<pid>/exe (see
   cloned-exe.c for when that is).  */
#ifndef HAKO_CLONED_EXE_H
#define HAKO_CLONED_EXE_H

#include <stdbool.h>

#include "error.h"
#include "runtime-spec.h"

/* Whether CONFIG (and EXTRA, a process about to be exec'd, or NULL) lets a
   container process reach hako processes with CAP_SYS_PTRACE over the
   host's user namespace, or see dumpable ones.  */
bool hako_cloned_exe_needed (const hako_spec_config *config, const hako_spec_process *extra);

/* When needed and not done yet: re-execute this process, same argv and
   environment, from a sealed copy of its binary.  Returns only when
   nothing was needed (0) or on failure (-1).  Call before anything with
   side effects (the state directory, the cgroup) exists.  */
int hako_cloned_exe_ensure (const hako_spec_config *config, const hako_spec_process *extra, hako_error_t **err);

#endif
