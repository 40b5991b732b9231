/* SPDX-License-Identifier: Apache-2.0 */
/* exec: a new process in a running container, with the container's
   namespaces, cgroup and security profile (from the config recorded at
   create), adjusted by the exec options or replaced by --process.  */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cleanup.h"
#include "cloned-exe.h"
#include "container-internal.h"
#include "hako.h"
#include "log.h"
#include "namespaces.h"
#include "seccomp-notify.h"
#include "sync.h"
#include "terminal.h"
#include "userns.h"

static char **
strv_append (char **v, size_t *n, const char *s)
{
  v = hako_xrealloc (v, (*n + 2) * sizeof (char *));
  v[(*n)++] = hako_xstrdup (s);
  v[*n] = NULL;
  return v;
}

/* exec's command line form: the config's process with runc's overrides. */
static int
adjust_process (hako_spec_process *p, const struct hako_exec_options *o, hako_error_t **err)
{
  if (o->args && o->args[0])
    {
      for (size_t i = 0; i < p->args_len; i++)
        free (p->args[i]);
      free (p->args);
      p->args = NULL;
      p->args_len = 0;
      for (size_t i = 0; o->args[i]; i++)
        p->args = strv_append (p->args, &p->args_len, o->args[i]);
    }
  else
    return hako_error_set (err, 0, "exec: no command given (pass one after the id, or --process)");
  /* A new process gets no terminal unless asked, as runc does.  */
  p->terminal = o->tty;
  p->has_terminal = true;
  for (size_t i = 0; o->env && o->env[i]; i++)
    {
      size_t kl = strcspn (o->env[i], "=");
      bool replaced = false;
      for (size_t k = 0; k < p->env_len; k++)
        if (strncmp (p->env[k], o->env[i], kl) == 0 && p->env[k][kl] == '=')
          {
            free (p->env[k]);
            p->env[k] = hako_xstrdup (o->env[i]);
            replaced = true;
          }
      if (! replaced)
        p->env = strv_append (p->env, &p->env_len, o->env[i]);
      p->has_env = true;
    }
  if (o->cwd)
    {
      free (p->cwd);
      p->cwd = hako_xstrdup (o->cwd);
    }
  if (o->user)
    {
      char *end;
      unsigned long uid = strtoul (o->user, &end, 10);
      if (end == o->user || (*end != '\0' && *end != ':'))
        return hako_error_set (err, 0, "--user `%s`: expected uid[:gid]", o->user);
      p->user->uid = (uint32_t) uid;
      if (*end == ':')
        {
          const char *g = end + 1;
          unsigned long gid = strtoul (g, &end, 10);
          if (end == g || *end != '\0')
            return hako_error_set (err, 0, "--user `%s`: expected uid[:gid]", o->user);
          p->user->gid = (uint32_t) gid;
        }
    }
  for (size_t i = 0; o->additional_gids && o->additional_gids[i]; i++)
    {
      char *end;
      unsigned long g = strtoul (o->additional_gids[i], &end, 10);
      if (end == o->additional_gids[i] || *end)
        return hako_error_set (err, 0, "--additional-gids `%s`: expected a number", o->additional_gids[i]);
      p->user->additional_gids
          = hako_xrealloc (p->user->additional_gids, (p->user->additional_gids_len + 1) * sizeof (uint32_t));
      p->user->additional_gids[p->user->additional_gids_len++] = (uint32_t) g;
    }
  if (o->caps && o->caps[0])
    {
      if (p->capabilities == NULL)
        p->capabilities = hako_xcalloc (1, sizeof (*p->capabilities));
      hako_spec_capabilities *c = p->capabilities;
      for (size_t i = 0; o->caps[i]; i++)
        {
          c->bounding = strv_append (c->bounding, &c->bounding_len, o->caps[i]);
          c->effective = strv_append (c->effective, &c->effective_len, o->caps[i]);
          c->permitted = strv_append (c->permitted, &c->permitted_len, o->caps[i]);
          c->inheritable = strv_append (c->inheritable, &c->inheritable_len, o->caps[i]);
          c->ambient = strv_append (c->ambient, &c->ambient_len, o->caps[i]);
        }
    }
  if (o->no_new_privs)
    {
      p->no_new_privileges = true;
      p->has_no_new_privileges = true;
    }
  if (o->process_label)
    {
      free (p->selinux_label);
      p->selinux_label = hako_xstrdup (o->process_label);
    }
  if (o->apparmor)
    {
      free (p->apparmor_profile);
      p->apparmor_profile = hako_xstrdup (o->apparmor);
    }
  return 0;
}

struct exec_child
{
  int ns_fds[HAKO_NS_COUNT];
  hako_exec_plan_t *plan;
  int sync_fd;
  int console_fd;
  bool tty;
  bool foreground_tty;
  bool late_pidns; /* the pid and time namespaces are joined by the child */
  const hako_spec_process *p;
};

/* In the child: join the namespaces (user first), become the process.  A
   pid namespace was joined by the parent already.  */
static void __attribute__ ((noreturn)) exec_child_main (struct exec_child *c)
{
  hako_error_t *err = NULL;
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (hako_ns_join_user_last (c->ns_fds, NULL, &err) < 0)
    hako_sync_fail (c->sync_fd, err);
  if (c->late_pidns)
    {
      /* Unprivileged: the pid and time namespaces take CAP_SYS_ADMIN in
         our own user namespace, which we now have; they apply to children,
         so fork once more and report the grandchild (a subreaper's).  */
      for (int t = 0; t < HAKO_NS_COUNT; t++)
        if ((t == HAKO_NS_PID || t == HAKO_NS_TIME) && c->ns_fds[t] >= 0
            && hako_ns_join (c->ns_fds[t], (enum hako_ns) t, NULL, &err) < 0)
          hako_sync_fail (c->sync_fd, err);
      pid_t child = fork ();
      if (child < 0)
        {
          hako_error_sys (&err, "fork into the pid namespace");
          hako_sync_fail (c->sync_fd, err);
        }
      if (child > 0)
        {
          char buf[32];
          int n = snprintf (buf, sizeof buf, "%d", (int) child);
          hako_sync_send (c->sync_fd, SYNC_EXEC_PID, buf, (size_t) n, -1, NULL);
          _exit (0);
        }
    }
  if (chdir ("/") < 0)
    {
      hako_error_sys (&err, "chdir /");
      hako_sync_fail (c->sync_fd, err);
    }
  if (c->tty)
    {
      int master = hako_terminal_setup (c->p->console_size, false, &err);
      if (master < 0)
        hako_sync_fail (c->sync_fd, err);
      int to = c->console_fd >= 0 ? c->console_fd : -1;
      if (to >= 0 ? hako_console_send (to, master, &err) < 0
                  : hako_sync_send (c->sync_fd, SYNC_CONSOLE, NULL, 0, master, &err) < 0)
        hako_sync_fail (c->sync_fd, err);
      close (master);
    }
  cleanup_free char *path = NULL;
  if (hako_exec_chdir (c->p, &err) < 0 || hako_exec_resolve (c->plan, &path, &err) < 0)
    hako_sync_fail (c->sync_fd, err);
  /* Not a step further before the parent has put us in the cgroup.  */
  hako_sync_msg_t go;
  if (hako_sync_expect (c->sync_fd, SYNC_GO, &go, "hako", &err) < 0)
    _exit (1);
  hako_sync_msg_clear (&go);
  hako_exec_finalize (c->plan, path, c->sync_fd, &err);
  hako_sync_fail (c->sync_fd, err);
}

/* The child failed before GO and is gone: its ERROR says why, not the
   EPIPE (or ESRCH) its absence caused here.  Never blocks.  */
static void
child_error_instead (int sock, hako_error_t **err)
{
  struct pollfd pf = { sock, POLLIN, 0 };
  if (poll (&pf, 1, 0) != 1)
    return;
  hako_sync_msg_t msg;
  hako_error_t *e = NULL;
  if (hako_sync_recv (sock, &msg, &e) == 0 && msg.type == SYNC_ERROR)
    {
      hako_error_free (*err);
      *err = NULL;
      hako_error_set (err, 0, "%s", msg.data);
    }
  hako_error_free (e);
  hako_sync_msg_clear (&msg);
}

int
hako_container_exec (hako_context_t *ctx, const struct hako_exec_options *o, int *status, hako_error_t **err)
{
  cleanup_container_dir hako_container_dir_t *d = NULL;
  if (hako_state_open (hako_state_root (ctx), o->id, false, &d, err) < 0)
    return -1;
  hako_st_record *rec = NULL;
  if (hako_state_read (d, &rec, err) < 0)
    return -1;
  int rc = 0;
  enum hako_status st = hako_state_status (d, rec);
  if (st == HAKO_STATUS_PAUSED && ! o->ignore_paused)
    rc = hako_error_set (err, 0, "cannot exec in a paused container (resume it first)");
  else if (st != HAKO_STATUS_RUNNING && st != HAKO_STATUS_CREATED && st != HAKO_STATUS_PAUSED)
    rc = hako_error_set (err, 0, "cannot exec in a container that is %s", hako_status_name (st));
  hako_spec_config *config = rc == 0 ? hako_state_config (d, err) : NULL;
  if (rc == 0 && config == NULL)
    rc = -1;
  /* Before stdin is read or anything joined (cloned-exe.c).  */
  if (rc == 0)
    rc = hako_cloned_exe_ensure (config, NULL, err);
  hako_spec_process *p = NULL;
  if (rc == 0)
    {
      if (o->process_file)
        {
          if (strcmp (o->process_file, "-") == 0)
            {
              size_t len;
              cleanup_free char *data = hako_json_read_fd (0, "stdin", &len, err);
              p = data ? hako_spec_process_parse_data (data, len, "process.json", err) : NULL;
            }
          else
            p = hako_spec_process_parse_file (o->process_file, err);
          if (p == NULL)
            rc = -1;
          else if (o->tty_set)
            {
              p->terminal = o->tty;
              p->has_terminal = true;
            }
        }
      else if (config->process == NULL)
        rc = hako_error_set (err, 0, "exec: the container's config has no process to start from");
      else
        {
          p = config->process;
          config->process = NULL;
          rc = adjust_process (p, o, err);
        }
    }
  bool tty = rc == 0 && p->has_terminal && p->terminal;
  if (rc == 0 && tty && o->detach && o->console_socket == NULL)
    rc = hako_error_set (err, 0, "exec: a terminal with --detach needs --console-socket");
  if (rc == 0 && ! tty && o->console_socket)
    rc = hako_error_set (err, 0, "exec: --console-socket given, but no terminal was asked for");

  struct exec_child c = { .sync_fd = -1, .console_fd = -1, .p = p, .tty = tty };
  for (int i = 0; i < HAKO_NS_COUNT; i++)
    c.ns_fds[i] = -1;
  hako_exec_plan_t plan;
  memset (&plan, 0, sizeof plan);
  c.plan = &plan;
  if (rc == 0)
    rc = hako_exec_plan_init (&plan, p, config->linux, hako_state_root (ctx), true, err);
  if (rc == 0)
    {
      plan.preserve_fds = o->preserve_fds;
      bool userns = false;
      for (size_t i = 0; config->linux && i < config->linux->namespaces_len; i++)
        if (strcmp (config->linux->namespaces[i]->type, "user") == 0)
          userns = true;
      plan.in_userns = userns;
      plan.setgroups_allowed = ! userns || hako_userns_setgroups_allowed ((pid_t) rec->pid);
      rc = hako_preserve_fds_check (o->preserve_fds, &plan, err);
    }
  if (rc == 0 && o->console_socket && (c.console_fd = hako_console_socket_connect (o->console_socket, err)) < 0)
    rc = -1;
  if (rc == 0)
    rc = hako_ns_open_of_pid ((pid_t) rec->pid, c.ns_fds, err);
  /* The pid and time namespaces apply to children: join them here, and
     the child is born inside.  Without privilege (rootless) only the
     child can, from inside the user namespace.  */
  for (int t = 0; t < HAKO_NS_COUNT && rc == 0; t++)
    if ((t == HAKO_NS_PID || t == HAKO_NS_TIME) && c.ns_fds[t] >= 0 && ! c.late_pidns
        && setns (c.ns_fds[t], hako_ns_table[t].flag) < 0)
      {
        if (errno == EPERM && c.ns_fds[HAKO_NS_USER] >= 0 && t == HAKO_NS_PID)
          c.late_pidns = true;
        else
          rc = hako_error_sys (err, "join %s namespace", hako_ns_table[t].spec_name);
      }
  if (rc == 0 && c.late_pidns)
    prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  int pair[2] = { -1, -1 };
  if (rc == 0 && socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
    rc = hako_error_sys (err, "socketpair");

  sigset_t all, old;
  sigfillset (&all);
  sigprocmask (SIG_BLOCK, &all, &old);
  pid_t pid = -1;
  if (rc == 0)
    {
      c.sync_fd = pair[1];
      fflush (NULL);
      pid = fork ();
      if (pid < 0)
        rc = hako_error_sys (err, "fork");
      else if (pid == 0)
        {
          close (pair[0]);
          exec_child_main (&c);
        }
      close (pair[1]);
    }
  int master = -1;
  while (rc == 0 && c.late_pidns)
    {
      /* The grandchild's pid; its pty may come first.  */
      hako_sync_msg_t msg;
      rc = hako_sync_recv (pair[0], &msg, err) != 0 ? -1 : 0;
      if (rc < 0 || msg.type == SYNC_ERROR || msg.type == SYNC_EXEC_PID)
        {
          if (rc == 0 && msg.type == SYNC_ERROR)
            rc = hako_error_set (err, 0, "%s", msg.data);
          else if (rc < 0 && (err == NULL || *err == NULL))
            rc = hako_error_set (err, 0, "exec: the child exited unexpectedly");
          waitpid (pid, NULL, 0);
          pid = rc == 0 ? (pid_t) atoi (msg.data) : -1;
          hako_sync_msg_clear (&msg);
          break;
        }
      if (msg.type == SYNC_CONSOLE)
        master = TAKE_FD (msg.fd);
      hako_sync_msg_clear (&msg);
    }
  /* A terminal hako relays: raw mode and the window size on the pty
     before the process runs (it waits for GO).  */
  if (rc == 0 && tty && c.console_fd < 0 && master < 0)
    {
      hako_sync_msg_t msg;
      rc = hako_sync_expect (pair[0], SYNC_CONSOLE, &msg, "exec", err);
      if (rc == 0)
        master = TAKE_FD (msg.fd);
      hako_sync_msg_clear (&msg);
    }
  struct hako_relay *relay = rc == 0 && master >= 0 && ! o->detach ? hako_relay_new (master) : NULL;
  /* Into the container's cgroup (or the sub-cgroup asked for) before it
     can run anything: the child waits for GO.  execCPUAffinity.initial
     applies before the move.  */
  if (rc == 0)
    rc = hako_exec_affinity_initial (&plan, pid, err);
  if (rc == 0)
    rc = o->cgroup ? hako_cgroup_enter_sub (rec->cgroup, pid, o->cgroup, err)
                   : hako_cgroup_enter (rec->cgroup, pid, err);
  if (rc == 0)
    rc = hako_sync_send (pair[0], SYNC_GO, NULL, 0, -1, err);
  if (rc < 0 && pid > 0)
    child_error_instead (pair[0], err);
  cleanup_free char *state = rc == 0 ? hako_state_json (rec, st, false) : NULL;
  while (rc == 0)
    {
      hako_sync_msg_t msg;
      int rr = hako_sync_recv (pair[0], &msg, err);
      if (rr < 0)
        rc = -1;
      else if (rr == 1)
        break; /* exec'd */
      else if (msg.type == SYNC_ERROR)
        {
          rc = hako_error_set (err, 0, "%s", msg.data);
          hako_sync_msg_clear (&msg);
        }
      else if (msg.type == SYNC_CONSOLE)
        {
          master = msg.fd;
          msg.fd = -1;
          hako_sync_msg_clear (&msg);
        }
      else if (msg.type == SYNC_SECCOMP_FD)
        {
          const hako_spec_seccomp *s = config->linux ? config->linux->seccomp : NULL;
          rc = hako_seccomp_notify_send (s ? s->listener_path : NULL, s ? s->listener_metadata : NULL, state, pid,
                                         msg.fd, err);
          hako_sync_msg_clear (&msg);
        }
      else
        hako_sync_msg_clear (&msg);
    }
  if (pair[0] >= 0)
    close (pair[0]);
  if (rc == 0 && o->pid_file)
    {
      /* Same format and atomicity as create's pid file.  */
      cleanup_free char *tmp = hako_strdup_printf ("%s.tmp%d", o->pid_file, (int) getpid ());
      FILE *f = fopen (tmp, "we");
      if (f == NULL || fprintf (f, "%d", (int) pid) < 0 || fclose (f) != 0 || rename (tmp, o->pid_file) < 0)
        rc = hako_error_sys (err, "pid file `%s`", o->pid_file);
    }
  if (rc < 0 && pid > 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
    }
  if (rc == 0 && ! o->detach)
    {
      cleanup_close int sigfd = signalfd (-1, &all, SFD_CLOEXEC);
      for (;;)
        {
          bool got = false;
          if (relay)
            got = hako_relay_step (relay, sigfd, -1) == 1;
          else
            {
              struct pollfd pf = { sigfd, POLLIN, 0 };
              got = poll (&pf, 1, -1) > 0;
            }
          if (! got)
            continue;
          struct signalfd_siginfo si;
          if (read (sigfd, &si, sizeof si) != sizeof si)
            continue;
          if (si.ssi_signo == SIGCHLD)
            {
              int ws;
              if (waitpid (pid, &ws, WNOHANG) == pid)
                {
                  while (relay && hako_relay_step (relay, -1, 0) > 0)
                    ;
                  *status = WIFEXITED (ws) ? WEXITSTATUS (ws) : 128 + WTERMSIG (ws);
                  break;
                }
              continue;
            }
          if (si.ssi_signo == SIGWINCH && relay)
            hako_relay_resize (relay);
          else
            kill (pid, (int) si.ssi_signo);
        }
    }
  else if (rc == 0)
    *status = 0;
  hako_relay_free (relay);
  if (master >= 0)
    close (master);
  sigprocmask (SIG_SETMASK, &old, NULL);
  for (int i = 0; i < HAKO_NS_COUNT; i++)
    if (c.ns_fds[i] >= 0)
      close (c.ns_fds[i]);
  if (c.console_fd >= 0)
    close (c.console_fd);
  hako_exec_plan_clear (&plan);
  hako_spec_process_free (p);
  hako_spec_config_free (config);
  hako_st_record_free (rec);
  return rc;
}
