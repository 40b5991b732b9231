/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: process.args, env, cwd, user (uid, gid, umask, additionalGids),
   rlimits, noNewPrivileges, oomScoreAdj, scheduler, ioPriority,
   execCPUAffinity, capabilities (through caps.c), seccomp (seccomp.c).  */
#include <config.h>

#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "lsm.h"
#include "spec.h"
#include "sync.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const struct
{
  const char *name;
  int value;
} rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },         { "RLIMIT_CORE", RLIMIT_CORE },       { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },     { "RLIMIT_FSIZE", RLIMIT_FSIZE },     { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE }, { "RLIMIT_NPROC", RLIMIT_NPROC },     { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },   { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

int
hako_rlimit_from_name (const char *name)
{
  for (size_t i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++)
    if (strcmp (rlimit_names[i].name, name) == 0)
      return rlimit_names[i].value;
  return -1;
}

int
hako_exec_plan_init (hako_exec_plan_t *plan, const hako_spec_process *p, const hako_spec_linux *linux,
                     hako_error_t **err)
{
  memset (plan, 0, sizeof (*plan));
  plan->process = p;
  plan->preserve_fds = 0;
  plan->setgroups_allowed = true;
  if (p->args_len == 0)
    return hako_error_set (err, 0, "process.args: must not be empty");
  if (p->cwd == NULL || p->cwd[0] != '/')
    return hako_error_set (err, 0, "process.cwd: `%s` is not an absolute path", p->cwd ? p->cwd : "");
  plan->env = hako_xcalloc (p->env_len + 2, sizeof (char *));
  for (size_t i = 0; i < p->env_len; i++)
    plan->env[i] = hako_xstrdup (p->env[i]);
  plan->env_len = p->env_len;
  if (hako_caps_parse (p->capabilities, &plan->caps, err) < 0)
    return -1;
  plan->rlimits = hako_xcalloc (p->rlimits_len + 1, sizeof (*plan->rlimits));
  for (size_t i = 0; i < p->rlimits_len; i++)
    {
      int r = hako_rlimit_from_name (p->rlimits[i]->type);
      if (r < 0)
        return hako_error_set (err, 0, "process.rlimits[%zu].type: unknown rlimit `%s`", i, p->rlimits[i]->type);
      for (size_t k = 0; k < plan->rlimits_len; k++)
        if (plan->rlimits[k].resource == r)
          return hako_error_set (err, 0, "process.rlimits[%zu].type: `%s` given twice", i, p->rlimits[i]->type);
      if (p->rlimits[i]->soft > p->rlimits[i]->hard)
        return hako_error_set (err, 0, "process.rlimits[%zu]: soft limit above the hard limit", i);
      plan->rlimits[plan->rlimits_len].resource = r;
      plan->rlimits[plan->rlimits_len].value.rlim_cur = p->rlimits[i]->soft;
      plan->rlimits[plan->rlimits_len].value.rlim_max = p->rlimits[i]->hard;
      plan->rlimits_len++;
    }
  if (linux && linux->seccomp)
    {
      if (hako_seccomp_compile (linux->seccomp, &plan->seccomp, err) < 0)
        return -1;
      plan->seccomp_set = plan->seccomp.bpf != NULL;
    }
  plan->no_new_privs = p->has_no_new_privileges && p->no_new_privileges;
  if (p->apparmor_profile && p->apparmor_profile[0])
    plan->apparmor = p->apparmor_profile;
  if (p->selinux_label && p->selinux_label[0])
    plan->selinux = p->selinux_label;
  if (hako_lsm_check (plan->apparmor, plan->selinux, err) < 0)
    return -1;
  return 0;
}

void
hako_exec_plan_clear (hako_exec_plan_t *plan)
{
  if (plan->env)
    {
      for (size_t i = 0; i < plan->env_len; i++)
        free (plan->env[i]);
      free (plan->env);
    }
  free (plan->rlimits);
  hako_seccomp_clear (&plan->seccomp);
  memset (plan, 0, sizeof (*plan));
}

/* HOME from the container's /etc/passwd, as both runc and crun do.  */
static void
set_home (hako_exec_plan_t *plan)
{
  if (hako_env_get (plan->env, plan->env_len, "HOME"))
    return;
  const char *home = "/";
  cleanup_fclose FILE *f = fopen ("/etc/passwd", "re");
  struct passwd pw, *res = NULL;
  char buf[4096];
  if (f)
    while (fgetpwent_r (f, &pw, buf, sizeof buf, &res) == 0)
      if (res && res->pw_uid == plan->process->user->uid)
        {
          home = res->pw_dir;
          break;
        }
  plan->env[plan->env_len++] = hako_strdup_printf ("HOME=%s", home);
  plan->env[plan->env_len] = NULL;
}

int
hako_exec_resolve (hako_exec_plan_t *plan, char **path, hako_error_t **err)
{
  set_home (plan);
  const char *arg0 = plan->process->args[0];
  if (strchr (arg0, '/'))
    {
      struct stat st;
      if (stat (arg0, &st) < 0)
        return hako_error_sys (err, "exec: `%s`", arg0);
      if (S_ISDIR (st.st_mode))
        return hako_error_set (err, EACCES, "exec: `%s` is a directory", arg0);
      *path = hako_xstrdup (arg0);
      return 0;
    }
  const char *pathvar = hako_env_get (plan->env, plan->env_len, "PATH");
  if (pathvar == NULL)
    pathvar = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  cleanup_free char *copy = hako_xstrdup (pathvar);
  char *save = NULL;
  bool denied = false;
  for (char *dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      cleanup_free char *cand = hako_strdup_printf ("%s/%s", dir[0] ? dir : ".", arg0);
      struct stat st;
      if (stat (cand, &st) < 0 || ! S_ISREG (st.st_mode))
        continue;
      if (access (cand, X_OK) < 0 && (st.st_mode & 0111) == 0)
        {
          denied = true;
          continue;
        }
      *path = TAKE_PTR (cand);
      return 0;
    }
  if (denied)
    return hako_error_set (err, EACCES, "exec: `%s`", arg0);
  return hako_error_set (err, ENOENT, "exec: `%s`: executable file not found in $PATH", arg0);
}

int
hako_exec_chdir (const hako_spec_process *p, hako_error_t **err)
{
  if (chdir (p->cwd) < 0)
    {
      if (errno != ENOENT)
        return hako_error_sys (err, "chdir to cwd `%s`", p->cwd);
      /* Make it, as runc does.  */
      cleanup_free char *copy = hako_xstrdup (p->cwd);
      for (char *s = copy + 1;; s++)
        {
          char c = *s;
          if (c == '/' || c == '\0')
            {
              *s = '\0';
              if (mkdir (copy, 0755) < 0 && errno != EEXIST)
                return hako_error_sys (err, "create cwd `%s`", p->cwd);
              *s = c;
            }
          if (c == '\0')
            break;
        }
      if (chdir (p->cwd) < 0)
        return hako_error_sys (err, "chdir to cwd `%s`", p->cwd);
    }
  /* A cwd reached through a descriptor of the host reads as unreachable. */
  char buf[PATH_MAX];
  if (getcwd (buf, sizeof buf) == NULL || buf[0] != '/')
    return hako_error_set (err, EPERM, "cwd `%s` is outside the container root", p->cwd);
  return 0;
}

static int
apply_scheduler (const hako_spec_scheduler *s, hako_error_t **err);
static int
apply_io_priority (const hako_spec_io_priority *io, hako_error_t **err);

static int
apply_ids (hako_exec_plan_t *plan, hako_error_t **err)
{
  const hako_spec_user *u = plan->process->user;
  if (plan->setgroups_allowed)
    {
      gid_t *groups = hako_xcalloc (u->additional_gids_len + 1, sizeof (gid_t));
      for (size_t i = 0; i < u->additional_gids_len; i++)
        groups[i] = u->additional_gids[i];
      int r = setgroups (u->additional_gids_len, groups);
      free (groups);
      if (r < 0)
        return hako_error_sys (err, "setgroups");
    }
  else if (u->additional_gids_len > 0)
    return hako_error_set (err, EPERM, "process.user.additionalGids: setgroups is denied in this user namespace");
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return hako_error_sys (err, "setgid %u", u->gid);
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return hako_error_sys (err, "setuid %u", u->uid);
  if (u->has_umask)
    umask ((mode_t) u->umask);
  return 0;
}

static void
reset_signals (void)
{
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; s++)
    sigaction (s, &sa, NULL);
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
}

int
hako_exec_finalize (hako_exec_plan_t *plan, const char *path, int notify_sock, hako_error_t **err)
{
  const hako_spec_process *p = plan->process;
  for (size_t i = 0; i < plan->rlimits_len; i++)
    if (setrlimit (plan->rlimits[i].resource, &plan->rlimits[i].value) < 0)
      {
        if (errno == EPERM)
          return hako_error_sys (err, "process.rlimits: set %s to %llu/%llu (raising a hard limit needs CAP_SYS_RESOURCE)",
                                 p->rlimits[i]->type, (unsigned long long) plan->rlimits[i].value.rlim_cur,
                                 (unsigned long long) plan->rlimits[i].value.rlim_max);
        return hako_error_sys (err, "process.rlimits: set %s", p->rlimits[i]->type);
      }
  if (p->has_oom_score_adj)
    {
      cleanup_close int fd = open ("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
      char buf[16];
      int n = snprintf (buf, sizeof buf, "%d", p->oom_score_adj);
      if (fd < 0 || write (fd, buf, (size_t) n) != n)
        return hako_error_sys (err, "process.oomScoreAdj: write %d", p->oom_score_adj);
    }
  if (p->scheduler && apply_scheduler (p->scheduler, err) < 0)
    return -1;
  if (p->io_priority && apply_io_priority (p->io_priority, err) < 0)
    return -1;
  if (hako_lsm_apply_exec_label (plan->apparmor, plan->selinux, err) < 0)
    return -1;
  if (hako_caps_apply_bounding (&plan->caps, err) < 0)
    return -1;
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return hako_error_sys (err, "prctl KEEPCAPS");
  if (apply_ids (plan, err) < 0)
    return -1;

  /* seccomp as late as it can be: after everything that needs privilege
     when no_new_privs lets us load it unprivileged (or CAP_SYS_ADMIN stays
     effective); otherwise just before the capabilities drop.  */
  bool load_last = plan->no_new_privs || (plan->caps.present && (plan->caps.effective & (1ULL << 21)))
                   || ! plan->caps.present;
  int notify_fd = -1;
  if (plan->seccomp_set && ! load_last)
    {
      /* Loading needs CAP_SYS_ADMIN effective: setuid to a non-zero uid
         cleared the effective set, but the permitted one still has it.  */
      if (hako_caps_raise_effective (21, err) < 0)
        return -1;
      if (hako_seccomp_load (&plan->seccomp, &notify_fd, err) < 0)
        return -1;
    }
  if (hako_caps_apply_final (&plan->caps, err) < 0)
    return -1;
  if (plan->no_new_privs && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return hako_error_sys (err, "set no_new_privs");
  reset_signals ();
  /* Descriptors: keep 0-2 and the preserved ones; everything else closes
     on execve.  */
  unsigned first = 3 + (unsigned) plan->preserve_fds;
  if (syscall (SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    {
      for (int fd = (int) first; fd < 65536; fd++)
        fcntl (fd, F_SETFD, FD_CLOEXEC);
    }
  if (plan->seccomp_set && load_last)
    {
      if (hako_seccomp_load (&plan->seccomp, &notify_fd, err) < 0)
        return -1;
    }
  if (notify_fd >= 0)
    {
      if (notify_sock < 0 || hako_sync_send (notify_sock, SYNC_SECCOMP_FD, NULL, 0, notify_fd, err) < 0)
        return notify_sock < 0 ? hako_error_set (err, 0, "seccomp notify: no listener to send the descriptor to") : -1;
      close (notify_fd);
    }
  execve (path, p->args, plan->env);
  return hako_error_sys (err, "exec `%s`", path);
}

static int
apply_scheduler (const hako_spec_scheduler *s, hako_error_t **err)
{
  static const struct
  {
    const char *n;
    int v;
  } pol[] = { { "SCHED_OTHER", 0 }, { "SCHED_FIFO", 1 }, { "SCHED_RR", 2 }, { "SCHED_BATCH", 3 },
              { "SCHED_ISO", 4 },   { "SCHED_IDLE", 5 }, { "SCHED_DEADLINE", 6 } };
  static const struct
  {
    const char *n;
    unsigned long long v;
  } fl[] = { { "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },    { "SCHED_FLAG_DL_OVERRUN", 0x04 },
             { "SCHED_FLAG_KEEP_POLICY", 0x08 },   { "SCHED_FLAG_KEEP_PARAMS", 0x10 }, { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
             { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 } };
  struct
  {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
    uint32_t util_min, util_max;
  } attr;
  memset (&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  for (size_t i = 0; i < sizeof pol / sizeof pol[0]; i++)
    if (strcmp (pol[i].n, s->policy) == 0)
      attr.sched_policy = (uint32_t) pol[i].v;
  for (size_t i = 0; i < s->flags_len; i++)
    {
      bool found = false;
      for (size_t k = 0; k < sizeof fl / sizeof fl[0]; k++)
        if (strcmp (fl[k].n, s->flags[i]) == 0)
          {
            attr.sched_flags |= fl[k].v;
            found = true;
          }
      if (! found)
        return hako_error_set (err, 0, "process.scheduler.flags[%zu]: unknown flag `%s`", i, s->flags[i]);
    }
  attr.sched_nice = s->nice;
  attr.sched_priority = (uint32_t) s->priority;
  attr.sched_runtime = s->runtime;
  attr.sched_deadline = s->deadline;
  attr.sched_period = s->period;
  if (syscall (SYS_sched_setattr, 0, &attr, 0) < 0)
    return hako_error_sys (err, "process.scheduler: sched_setattr %s", s->policy);
  return 0;
}

static int
apply_io_priority (const hako_spec_io_priority *io, hako_error_t **err)
{
  int cls = strcmp (io->class, "IOPRIO_CLASS_RT") == 0 ? 1 : strcmp (io->class, "IOPRIO_CLASS_BE") == 0 ? 2 : 3;
  int value = (cls << 13) | io->priority;
  /* IOPRIO_WHO_PGRP: the spec applies it to the whole process group.  */
  if (syscall (SYS_ioprio_set, 2, 0, value) < 0)
    return hako_error_sys (err, "process.ioPriority: ioprio_set %s %d", io->class, io->priority);
  return 0;
}
