/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_USERNS_H
#define HAKO_USERNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "runtime-spec.h"

/* Write the uid and gid maps of PID's user namespace: directly when we
   may, with newuidmap/newgidmap otherwise (rootless, more than our own id). */
int hako_userns_write_maps (pid_t pid, const hako_spec_linux *linux, hako_error_t **err);
/* Whether the user namespace made with LINUX's gid mappings will deny
   setgroups: an unprivileged writer of gid_map (only our own gid, written
   directly) must deny it; newgidmap and root need not.  */
bool hako_userns_denies_setgroups (const hako_spec_linux *linux);
/* Whether PID's user namespace allows setgroups (/proc/PID/setgroups). */
bool hako_userns_setgroups_allowed (pid_t pid);
/* Map a container id to the host through MAPS (or return it unchanged when
   there are none).  Returns -1 when it is not mapped.  */
long long hako_userns_to_host (hako_spec_id_mapping *const *maps, size_t n, unsigned id);
/* Whether this process is in a user namespace other than the initial one
   (rootless podman runs the runtime as uid 0 in its own).  Cached.  */
bool hako_in_user_namespace (void);

#endif
