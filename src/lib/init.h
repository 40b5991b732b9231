/* SPDX-License-Identifier: Apache-2.0 */
/* The container init from clone to execve (the child side of create and
   run), and the parent's way of starting it.  */
#ifndef HAKO_INIT_H
#define HAKO_INIT_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "hako-state.h"
#include "namespaces.h"
#include "process.h"
#include "spec.h"

typedef struct hako_init
{
  const char *id;
  hako_bundle_t *bundle;
  hako_ns_plan_t ns;
  hako_exec_plan_t exec;
  const hako_st_cgroup *cgroup;
  int *mount_trees; /* id-mapped bind mounts made before the clone (mounts.h), or NULL */

  int sync_fd;         /* the child's end of the sync pair */
  int parent_fd;       /* the parent's end (closed in the child) */
  int start_fd;        /* create: the listening start socket; run: -1 */
  int console_fd;      /* --console-socket, connected; -1 when none */
  int state_dirfd;     /* the parent's (locked) state directory: the child closes it */
  bool foreground_tty; /* run in the foreground with a terminal */
  bool no_pivot;
  bool no_new_keyring;
  bool late_userns;  /* namespaces joined and created by the child itself */
  bool parent_hooks; /* prestart or createRuntime hooks to run */
  bool in_cgroup;    /* child: the parent said it moved us into the cgroup */
  pid_t pid;         /* the init's host pid, once known */
} hako_init_t;

/* Parent: clone the init.  For the fast path the clone itself creates the
   namespaces; otherwise the child does (see init.c).  */
int hako_init_spawn (hako_init_t *init, pid_t *pid, hako_error_t **err);

/* Child: never returns.  */
void hako_init_main (hako_init_t *init) __attribute__ ((noreturn));

/* Wait for a start request on the listening socket (create mode) and
   return the connected socket, or -1 on error.  */
int hako_init_accept_start (int listen_fd, hako_error_t **err);

#endif
