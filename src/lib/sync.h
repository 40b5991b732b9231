/* SPDX-License-Identifier: Apache-2.0 */
/* The messages between hako and the container init (or an exec'd
   process), over a stream socket pair, each [u32 type][u32 len][payload],
   optionally with descriptors attached (SCM_RIGHTS).

   create / run, parent -> child and back:

     parent                                 child (init)
     clone ------------------------------->  waits for GO
     writes id maps
     GO (state JSON, for hooks) ---------->  joins/creates namespaces,
     joins the cgroup (meanwhile)            builds the root file system
     CGROUP ------------------------------>  (awaited before the first
                                             cgroup mount, the cgroup
                                             namespace, the end of the
                                             mounts)
                            <-------------  PID (only after a second fork:
                                             the real init's host pid)
                            <-------------  HOOKS (only when prestart or
                                             createRuntime hooks exist)
     runs prestart, createRuntime
     HOOKS_DONE -------------------------->  runs createContainer hooks,
                                             pivot_root, masks, console
                            <-------------  CONSOLE (run in the foreground
                                             with a terminal: the pty
                                             master attached)
                            <-------------  READY (waiting for start)
     writes state and pid file; create
     exits here

   start (over the start socket) or run (over the same pair):
     START (state JSON) ------------------>  startContainer hooks, the
                                             process profile, execve;
                            <-------------  SECCOMP_FD (with a notify
                                             listener: the descriptor)
     EOF on exec (the socket is CLOEXEC)
   Any time: ERROR (message text) from the child, which then exits.  */
#ifndef HAKO_SYNC_H
#define HAKO_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum hako_sync_type
{
  SYNC_GO = 1,
  SYNC_PID,
  SYNC_HOOKS,
  SYNC_HOOKS_DONE,
  SYNC_CONSOLE,
  SYNC_READY,
  SYNC_START,
  SYNC_SECCOMP_FD,
  SYNC_ERROR,
  SYNC_EXEC_PID, /* exec: the pid of the process that will execve */
  SYNC_CGROUP,   /* create: the init is in its cgroup now */
};

typedef struct hako_sync_msg
{
  uint32_t type;
  uint32_t len;
  char *data; /* NUL-terminated, malloc'd; NULL when len == 0 */
  int fd;     /* a received descriptor, or -1 */
} hako_sync_msg_t;

/* Send a message; FD >= 0 is attached.  */
int hako_sync_send (int sock, uint32_t type, const void *data, size_t len, int fd, hako_error_t **err);
/* Receive one.  Returns 0 on a message, 1 on EOF (the peer is gone).  */
int hako_sync_recv (int sock, hako_sync_msg_t *msg, hako_error_t **err);
void hako_sync_msg_clear (hako_sync_msg_t *msg);
/* Receive and expect TYPE; an ERROR message becomes *ERR with its text.  */
int hako_sync_expect (int sock, uint32_t type, hako_sync_msg_t *msg, const char *peer, hako_error_t **err);

/* In a child: report ERR to the parent over SOCK and exit(1).  */
void __attribute__ ((noreturn)) hako_sync_fail (int sock, hako_error_t *err);

#endif
