/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_SECCOMP_NOTIFY_H
#define HAKO_SECCOMP_NOTIFY_H

#include <sys/types.h>

#include "error.h"

/* Send the seccomp notify descriptor FD with the container process state
   (config-linux.md, "Container Process State") to the agent listening on
   LISTENER (AF_UNIX, SOCK_STREAM): one message, the descriptor attached to
   its first bytes.  */
int hako_seccomp_notify_send (const char *listener, const char *metadata, const char *state_json, pid_t pid, int fd,
                              hako_error_t **err);

#endif
