/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: hostname, domainname, linux.timeOffsets, the namespace plan
   (namespaces.c) as the init enters it; createContainer and
   startContainer hooks (their timing).  The order of the steps below is
   the spec's lifecycle (runtime.md) and is commented where it matters. */
#include <config.h>

#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "hooks.h"
#include "log.h"
#include "rootfs.h"
#include "sync.h"
#include "terminal.h"
#include "userns.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

/* Flags the clone itself may carry.  cgroup and time namespaces are
   created later by the child: the cgroup one after the child is in its
   cgroup (so that it becomes the namespace's root), the time one because
   its offsets must be written before any process enters it.  */
static int
clone_flags (const hako_init_t *init)
{
  if (init->late_userns)
    return 0;
  return hako_ns_plan_flags (&init->ns) & ~(CLONE_NEWCGROUP | CLONE_NEWTIME);
}

int
hako_init_spawn (hako_init_t *init, pid_t *pid, hako_error_t **err)
{
  /* pid and time namespaces given by path are joined by the parent: setns
     on them only affects children, so the init is born inside.  */
  if (init->ns.join_fd[HAKO_NS_PID] >= 0
      && hako_ns_join (init->ns.join_fd[HAKO_NS_PID], HAKO_NS_PID, init->ns.join_path[HAKO_NS_PID], err) < 0)
    return -1;
  if (init->ns.join_fd[HAKO_NS_TIME] >= 0
      && hako_ns_join (init->ns.join_fd[HAKO_NS_TIME], HAKO_NS_TIME, init->ns.join_path[HAKO_NS_TIME], err) < 0)
    return -1;
  fflush (NULL);
  long r = syscall (SYS_clone, (unsigned long) (clone_flags (init) | SIGCHLD), NULL, NULL, NULL, NULL);
  if (r < 0)
    return hako_error_sys (err, "clone the container init");
  if (r == 0)
    hako_init_main (init);
  *pid = (pid_t) r;
  return 0;
}

static void __attribute__ ((noreturn)) fail (hako_init_t *init, hako_error_t *err)
{
  hako_sync_fail (init->sync_fd, err);
}

static int
write_proc_self (const char *file, const char *data, hako_error_t **err)
{
  cleanup_close int fd = open (file, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return hako_error_sys (err, "open `%s`", file);
  if (write (fd, data, strlen (data)) < 0)
    return hako_error_sys (err, "write `%s`", file);
  return 0;
}

static int
setup_time_namespace (const hako_spec_linux *l, hako_error_t **err)
{
  if (unshare (CLONE_NEWTIME) < 0)
    return hako_error_sys (err, "create the time namespace");
  if (l->time_offsets == NULL)
    return 0;
  char buf[128] = "";
  const hako_spec_time_offset *mono = l->time_offsets->monotonic, *boot = l->time_offsets->boottime;
  size_t n = 0;
  if (mono)
    n += (size_t) snprintf (buf + n, sizeof buf - n, "monotonic %lld %u\n", (long long) mono->secs, mono->nanosecs);
  if (boot)
    n += (size_t) snprintf (buf + n, sizeof buf - n, "boottime %lld %u\n", (long long) boot->secs, boot->nanosecs);
  if (n == 0)
    return 0;
  /* Offsets apply once a process enters the namespace, at our execve. */
  if (write_proc_self ("/proc/self/timens_offsets", buf, err) < 0)
    {
      hako_error_prefix (err, "linux.timeOffsets");
      return -1;
    }
  return 0;
}

/* The slow path: the child joins what it must join while it still has the
   host's rights, then makes its user namespace (the parent writes the
   maps) and the rest, and forks once more when a pid namespace is new.  */
static void
late_namespaces (hako_init_t *init)
{
  hako_error_t *err = NULL;
  hako_ns_plan_t *ns = &init->ns;
  if (hako_ns_join_user_last (ns->join_fd, ns->join_path, &err) < 0)
    fail (init, err);
  if (ns->create[HAKO_NS_USER])
    {
      if (unshare (CLONE_NEWUSER) < 0)
        {
          hako_error_sys (&err, "create the user namespace");
          fail (init, err);
        }
      hako_sync_msg_t msg;
      if (hako_sync_send (init->sync_fd, SYNC_GO, NULL, 0, -1, &err) < 0
          || hako_sync_expect (init->sync_fd, SYNC_GO, &msg, "hako", &err) < 0)
        fail (init, err);
      hako_sync_msg_clear (&msg);
    }
  int flags = hako_ns_plan_flags (ns) & ~(CLONE_NEWUSER | CLONE_NEWCGROUP | CLONE_NEWTIME);
  if (flags && unshare (flags) < 0)
    {
      hako_error_sys (&err, "create namespaces");
      fail (init, err);
    }
  if (ns->create[HAKO_NS_PID])
    {
      fflush (NULL);
      pid_t child = fork ();
      if (child < 0)
        {
          hako_error_sys (&err, "fork into the pid namespace");
          fail (init, err);
        }
      if (child > 0)
        {
          /* The grandchild is the init: tell the parent, and leave.  */
          char buf[32];
          int n = snprintf (buf, sizeof buf, "%d", (int) child);
          hako_sync_send (init->sync_fd, SYNC_PID, buf, (size_t) n, -1, NULL);
          _exit (0);
        }
    }
}

static void
join_early_namespaces (hako_init_t *init)
{
  hako_error_t *err = NULL;
  hako_ns_plan_t *ns = &init->ns;
  /* Fast path: the clone made the new ones; join the rest (no user
     namespace of ours yet, or all of them owned by it).  */
  for (int t = 0; t < HAKO_NS_COUNT; t++)
    if (t != HAKO_NS_PID && t != HAKO_NS_TIME && ns->join_fd[t] >= 0
        && hako_ns_join (ns->join_fd[t], (enum hako_ns) t, ns->join_path[t], &err) < 0)
      fail (init, err);
}

static void
run_container_hooks (hako_init_t *init, hako_spec_hook *const *hooks, size_t n, const char *kind, const char *state)
{
  if (n == 0)
    return;
  hako_error_t *err = NULL;
  if (hako_hooks_run (hooks, n, kind, state, &err) < 0)
    fail (init, err);
}

/* The parent moves us into the cgroup while we build the mounts; then
   the cgroup namespace, rooted there.  Once.  */
static int
wait_for_cgroup (void *arg, hako_error_t **err)
{
  hako_init_t *init = arg;
  if (init->in_cgroup)
    return 0;
  hako_sync_msg_t msg;
  if (hako_sync_expect (init->sync_fd, SYNC_CGROUP, &msg, "hako", err) < 0)
    return -1;
  hako_sync_msg_clear (&msg);
  init->in_cgroup = true;
  if (init->ns.create[HAKO_NS_CGROUP] && unshare (CLONE_NEWCGROUP) < 0)
    return hako_error_sys (err, "create the cgroup namespace");
  return 0;
}

static void
wait_for_parent_hooks (hako_init_t *init)
{
  hako_error_t *err = NULL;
  hako_sync_msg_t msg;
  if (hako_sync_send (init->sync_fd, SYNC_HOOKS, NULL, 0, -1, &err) < 0
      || hako_sync_expect (init->sync_fd, SYNC_HOOKS_DONE, &msg, "hako", &err) < 0)
    fail (init, err);
  hako_sync_msg_clear (&msg);
}

int
hako_init_accept_start (int listen_fd, hako_error_t **err)
{
  for (;;)
    {
      int c = accept4 (listen_fd, NULL, NULL, SOCK_CLOEXEC);
      if (c >= 0)
        return c;
      if (errno != EINTR && errno != ECONNABORTED)
        return hako_error_sys (err, "wait for start");
    }
}

void
hako_init_main (hako_init_t *init)
{
  hako_error_t *err = NULL;
  const hako_spec_config *config = init->bundle->config;
  const hako_spec_linux *l = config->linux;
  close (init->parent_fd);
  /* The state directory's descriptor carries create's lock, and is a
     handle on a host directory: neither may stay with the container.  */
  if (init->state_dirfd >= 0)
    close (init->state_dirfd);

  hako_sync_msg_t go;
  if (init->late_userns)
    late_namespaces (init);
  if (hako_sync_expect (init->sync_fd, SYNC_GO, &go, "hako", &err) < 0)
    _exit (1); /* the parent is gone or failed: it cleans up */

  /* Our own fds must not be inherited past execve; the caller's are
     handled in hako_exec_finalize.  No core dumps, and no /proc/<pid>
     access for the container while we still are the hako binary.  Only
     after GO: until then an unprivileged parent writes our uid_map,
     gid_map and setgroups, which a non-dumpable process's /proc files
     (owned by root) would refuse it.  No container process exists yet. */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  cleanup_free char *state_json = go.data;
  go.data = NULL;
  hako_sync_msg_clear (&go);
  if (! init->late_userns)
    join_early_namespaces (init);

  bool userns = init->ns.create[HAKO_NS_USER] || init->ns.join_fd[HAKO_NS_USER] >= 0;
  if (userns)
    {
      /* Become root of the namespace when root is mapped; not an error
         otherwise (the process ids are set at the end anyway).  */
      if (setresgid (0, 0, 0) == 0 && setresuid (0, 0, 0) < 0)
        hako_debug ("root is not mapped in the user namespace");
    }
  if (init->ns.create[HAKO_NS_TIME] && setup_time_namespace (l, &err) < 0)
    fail (init, err);

  if (! init->no_new_keyring)
    {
      char name[300];
      snprintf (name, sizeof name, "_ses.%s", init->id);
      /* A new session keyring; kernels or namespaces without keyrings
         (ENOSYS, EDQUOT in a user namespace) run without one, as in runc. */
      if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0) < 0 && errno != ENOSYS && errno != EDQUOT
          && errno != EACCES && errno != EPERM)
        {
          hako_error_sys (&err, "join a session keyring");
          fail (init, err);
        }
    }

  if (config->hostname && sethostname (config->hostname, strlen (config->hostname)) < 0)
    {
      hako_error_sys (&err, "hostname: set `%s`", config->hostname);
      fail (init, err);
    }
  if (config->domainname && setdomainname (config->domainname, strlen (config->domainname)) < 0)
    {
      hako_error_sys (&err, "domainname: set `%s`", config->domainname);
      fail (init, err);
    }

  struct hako_rootfs_ctx rc = {
    .config = config,
    .rootfs = init->bundle->rootfs,
    .bundle = init->bundle->bundle,
    /* A runtime already in a user namespace cannot mknod either.  */
    .userns = userns || hako_in_user_namespace (),
    .cgroupns = init->ns.create[HAKO_NS_CGROUP],
    .cgroup_path = init->cgroup ? init->cgroup->path : NULL,
    .no_pivot = init->no_pivot,
    .trees = init->mount_trees,
    .devnull_fd = -1,
    .rootfd = -1,
    .in_cgroup = wait_for_cgroup,
    .in_cgroup_arg = init,
  };
  if (hako_rootfs_prepare (&rc, &err) < 0)
    fail (init, err);

  /* prestart and createRuntime: in the runtime namespace, by the parent,
     after the mounts exist and before pivot_root.  */
  if (init->parent_hooks)
    wait_for_parent_hooks (init);
  /* createContainer: in the container's namespaces, still before
     pivot_root, so the hook's path resolves in the runtime's view.  */
  if (config->hooks)
    run_container_hooks (init, config->hooks->create_container, config->hooks->create_container_len, "createContainer",
                         state_json);

  if (hako_rootfs_pivot (&rc, &err) < 0)
    fail (init, err);

  const hako_spec_process *p = init->exec.process;
  if (p && p->has_terminal && p->terminal)
    {
      int master = hako_terminal_setup (p->console_size, true, &err);
      if (master < 0)
        fail (init, err);
      if (init->console_fd >= 0)
        {
          if (hako_console_send (init->console_fd, master, &err) < 0)
            fail (init, err);
          close (init->console_fd);
          init->console_fd = -1;
        }
      else if (hako_sync_send (init->sync_fd, SYNC_CONSOLE, NULL, 0, master, &err) < 0)
        fail (init, err);
      close (master);
    }

  /* sysctls before readonlyPaths make /proc/sys read-only.  */
  if (hako_sysctl_apply (&rc, &err) < 0 || hako_personality_apply (config, &err) < 0)
    fail (init, err);
  if (hako_rootfs_finish (&rc, &err) < 0)
    fail (init, err);

  /* The process: cwd and executable are checked now, so that create fails
     on a missing binary as runc's does.  */
  cleanup_free char *path = NULL;
  if (p)
    {
      if (hako_exec_chdir (p, &err) < 0 || hako_exec_resolve (&init->exec, &path, &err) < 0)
        fail (init, err);
    }
  if (hako_sync_send (init->sync_fd, SYNC_READY, NULL, 0, -1, &err) < 0)
    _exit (1);

  /* Wait for start: on the start socket (create) or the sync pair (run). */
  int conn = init->sync_fd;
  if (init->start_fd >= 0)
    {
      conn = hako_init_accept_start (init->start_fd, &err);
      if (conn < 0)
        _exit (1);
      close (init->start_fd);
      close (init->sync_fd);
      init->sync_fd = conn;
    }
  hako_sync_msg_t start;
  if (hako_sync_expect (conn, SYNC_START, &start, "hako start", &err) < 0)
    _exit (1);
  if (p == NULL)
    {
      hako_error_set (&err, 0, "process: not set in the config, and start needs it");
      fail (init, err);
    }
  if (config->hooks)
    run_container_hooks (init, config->hooks->start_container, config->hooks->start_container_len, "startContainer",
                         start.data);
  hako_sync_msg_clear (&start);

  hako_exec_finalize (&init->exec, path, conn, &err);
  fail (init, err);
}
