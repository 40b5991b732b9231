/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: process.args, env, cwd, user (uid, gid, umask, additionalGids),
   rlimits, noNewPrivileges, oomScoreAdj, scheduler, ioPriority,
   execCPUAffinity, capabilities (through caps.c), apparmorProfile and
   selinuxLabel (lsm.c), linux.seccomp (seccomp-filter.c).

   Everything that can be checked is checked before forking, so that a bad
   value fails `create` with the JSON path.  The child then applies the
   process in the order of hako_exec_finalize, commented there.  */
#include <config.h>

#include "process.h"

#include <errno.h>
#include <linux/magic.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "lsm.h"
#include "spec.h"
#include "sync.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#define CAP_BIT_SYS_ADMIN HAKO_CAP_BIT (21)
#define CAP_BIT_SYS_RESOURCE HAKO_CAP_BIT (24)

static const struct
{
  const char *name;
  int value;
} rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
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

/* ------------------------------------------------------------ checks */

static const struct
{
  const char *name;
  uint32_t value;
} sched_policies[] = {
  { "SCHED_OTHER", 0 }, { "SCHED_FIFO", 1 }, { "SCHED_RR", 2 },       { "SCHED_BATCH", 3 },
  { "SCHED_ISO", 4 },   { "SCHED_IDLE", 5 }, { "SCHED_DEADLINE", 6 },
};

static const struct
{
  const char *name;
  uint64_t value;
} sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 },  { "SCHED_FLAG_RECLAIM", 0x02 },     { "SCHED_FLAG_DL_OVERRUN", 0x04 },
  { "SCHED_FLAG_KEEP_POLICY", 0x08 },    { "SCHED_FLAG_KEEP_PARAMS", 0x10 }, { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

/* process.scheduler to a sched_attr, with the combinations sched(7)
   allows: nice for the normal policies, a priority of 1-99 for the
   real-time ones, runtime <= deadline <= period for SCHED_DEADLINE.  */
static int
sched_plan (const hako_spec_scheduler *s, struct hako_sched_attr *a, hako_error_t **err)
{
  memset (a, 0, sizeof (*a));
  a->size = sizeof (*a);
  bool found = false;
  for (size_t i = 0; s->policy && i < sizeof sched_policies / sizeof sched_policies[0]; i++)
    if (strcmp (sched_policies[i].name, s->policy) == 0)
      {
        a->sched_policy = sched_policies[i].value;
        found = true;
      }
  if (! found)
    return hako_error_set (err, 0,
                           "process.scheduler.policy: unknown policy `%s` (expected SCHED_OTHER, SCHED_FIFO, "
                           "SCHED_RR, SCHED_BATCH, SCHED_IDLE or SCHED_DEADLINE)",
                           s->policy ? s->policy : "");
  if (a->sched_policy == 4)
    return hako_error_set (err, EINVAL, "process.scheduler.policy: SCHED_ISO is not implemented by Linux");
  bool normal = a->sched_policy == 0 || a->sched_policy == 3;
  bool rt = a->sched_policy == 1 || a->sched_policy == 2;
  bool dl = a->sched_policy == 6;
  if (s->has_nice && s->nice != 0 && ! normal)
    return hako_error_set (err, 0, "process.scheduler.nice: only valid with SCHED_OTHER or SCHED_BATCH");
  if (s->nice < -20 || s->nice > 19)
    return hako_error_set (err, 0, "process.scheduler.nice: %d is out of range (-20 to 19)", s->nice);
  if (rt && (s->priority < 1 || s->priority > 99))
    return hako_error_set (err, 0, "process.scheduler.priority: %d is out of range for %s (1 to 99)", s->priority,
                           s->policy);
  if (! rt && s->priority != 0)
    return hako_error_set (err, 0, "process.scheduler.priority: only valid with SCHED_FIFO or SCHED_RR");
  if (! dl && (s->runtime || s->deadline || s->period))
    return hako_error_set (err, 0,
                           "process.scheduler: runtime, deadline and period are only valid with SCHED_DEADLINE");
  if (dl)
    {
      if (s->runtime == 0)
        return hako_error_set (err, 0, "process.scheduler.runtime: SCHED_DEADLINE needs a runtime above 0");
      if (s->deadline < s->runtime)
        return hako_error_set (err, 0, "process.scheduler.deadline: must be at least the runtime (%llu)",
                               (unsigned long long) s->runtime);
      if (s->period && s->period < s->deadline)
        return hako_error_set (err, 0, "process.scheduler.period: must be at least the deadline (%llu)",
                               (unsigned long long) s->deadline);
    }
  for (size_t i = 0; i < s->flags_len; i++)
    {
      bool known = false;
      for (size_t k = 0; k < sizeof sched_flags / sizeof sched_flags[0]; k++)
        if (strcmp (sched_flags[k].name, s->flags[i]) == 0)
          {
            a->sched_flags |= sched_flags[k].value;
            known = true;
          }
      if (! known)
        return hako_error_set (err, 0, "process.scheduler.flags[%zu]: unknown flag `%s`", i, s->flags[i]);
    }
  a->sched_nice = s->nice;
  a->sched_priority = (uint32_t) s->priority;
  a->sched_runtime = s->runtime;
  a->sched_deadline = s->deadline;
  a->sched_period = s->period;
  /* UTIL_CLAMP without values would clamp to 0: keep the current ones. */
  a->sched_util_min = a->sched_util_max = UINT32_MAX;
  return 0;
}

static int
ioprio_plan (const hako_spec_io_priority *io, int *out, hako_error_t **err)
{
  static const char *const classes[] = { NULL, "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE" };
  int cls = 0;
  for (int i = 1; i < 4; i++)
    if (io->class && strcmp (io->class, classes[i]) == 0)
      cls = i;
  if (cls == 0)
    return hako_error_set (err, 0,
                           "process.ioPriority.class: unknown class `%s` (expected IOPRIO_CLASS_RT, "
                           "IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE)",
                           io->class ? io->class : "");
  if (io->priority < 0 || io->priority > 7)
    return hako_error_set (err, 0, "process.ioPriority.priority: %d is out of range (0 to 7)", io->priority);
  *out = (cls << 13) | io->priority;
  return 0;
}

/* "0-3,7" to a CPU set.  Empty means "not given".  */
static int
cpus_parse (const char *list, const char *where, struct hako_cpus *out, hako_error_t **err)
{
  memset (out, 0, sizeof (*out));
  if (list == NULL || list[0] == '\0')
    return 0;
  enum
  {
    MAX_CPU = 65535
  };
  long max = -1;
  for (int pass = 0; pass < 2; pass++)
    {
      const char *p = list;
      for (;;)
        {
          char *end;
          if (*p < '0' || *p > '9')
            goto bad;
          long a = strtol (p, &end, 10), b = a;
          p = end;
          if (*p == '-')
            {
              p++;
              if (*p < '0' || *p > '9')
                goto bad;
              b = strtol (p, &end, 10);
              p = end;
            }
          if (b < a || b > MAX_CPU)
            goto bad;
          for (long c = a; c <= b; c++)
            if (pass == 0)
              max = c > max ? c : max;
            else
              CPU_SET_S ((size_t) c, out->size, out->set);
          if (*p == '\0')
            break;
          if (*p++ != ',')
            goto bad;
        }
      if (pass == 0)
        {
          out->set = CPU_ALLOC ((size_t) max + 1);
          out->size = CPU_ALLOC_SIZE ((size_t) max + 1);
          CPU_ZERO_S (out->size, out->set);
        }
    }
  return 0;
bad:
  CPU_FREE (out->set);
  memset (out, 0, sizeof (*out));
  return hako_error_set (err, 0, "%s: `%s` is not a CPU list like `0-3,7`", where, list);
}

/* Whether the child will hold CAP_SYS_RESOURCE where it counts: rlimit
   hard limits and oom_score_adj are checked against the initial user
   namespace, so a process in a new one never does.  */
static bool
can_use_sys_resource (bool userns)
{
  uint64_t eff = 0;
  return ! userns && hako_caps_get_own (&eff, NULL, NULL) == 0 && (eff & CAP_BIT_SYS_RESOURCE);
}

static int
rlimits_plan (hako_exec_plan_t *plan, const hako_spec_process *p, bool userns, hako_error_t **err)
{
  plan->rlimits = hako_xcalloc (p->rlimits_len + 1, sizeof (*plan->rlimits));
  int can_raise = -1;
  for (size_t i = 0; i < p->rlimits_len; i++)
    {
      const hako_spec_rlimit *rl = p->rlimits[i];
      int r = hako_rlimit_from_name (rl->type);
      if (r < 0)
        return hako_error_set (err, 0, "process.rlimits[%zu].type: unknown rlimit `%s`", i, rl->type ? rl->type : "");
      for (size_t k = 0; k < plan->rlimits_len; k++)
        if (plan->rlimits[k].resource == r)
          return hako_error_set (err, 0, "process.rlimits[%zu].type: `%s` is given twice", i, rl->type);
      if (rl->soft > rl->hard)
        return hako_error_set (err, 0,
                               "process.rlimits[%zu]: the soft limit of %s (%llu) is above its hard limit (%llu)", i,
                               rl->type, (unsigned long long) rl->soft, (unsigned long long) rl->hard);
      struct rlimit cur;
      if (getrlimit (r, &cur) == 0 && rl->hard > cur.rlim_max)
        {
          if (can_raise < 0)
            can_raise = can_use_sys_resource (userns);
          if (! can_raise)
            return hako_error_set (err, EPERM,
                                   "process.rlimits[%zu]: cannot raise the hard limit of %s to %llu (hako's is %llu): "
                                   "that needs CAP_SYS_RESOURCE in the initial user namespace, which %s",
                                   i, rl->type, (unsigned long long) rl->hard, (unsigned long long) cur.rlim_max,
                                   userns ? "a process in a new user namespace never has" : "hako does not have");
        }
      plan->rlimits[plan->rlimits_len].resource = r;
      plan->rlimits[plan->rlimits_len].value.rlim_cur = rl->soft;
      plan->rlimits[plan->rlimits_len].value.rlim_max = rl->hard;
      plan->rlimits_len++;
    }
  return 0;
}

static int
read_own_oom_score_adj (void)
{
  char buf[16] = "";
  cleanup_close int fd = open ("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read (fd, buf, sizeof buf - 1) <= 0)
    return 0;
  return atoi (buf);
}

static int
oom_plan (const hako_spec_process *p, bool userns, hako_error_t **err)
{
  if (! p->has_oom_score_adj)
    return 0;
  if (p->oom_score_adj < -1000 || p->oom_score_adj > 1000)
    return hako_error_set (err, 0, "process.oomScoreAdj: %d is out of range (-1000 to 1000)", p->oom_score_adj);
  int own = read_own_oom_score_adj ();
  if (p->oom_score_adj < own && ! can_use_sys_resource (userns))
    return hako_error_set (err, EACCES,
                           "process.oomScoreAdj: cannot lower it to %d (hako runs with %d): that needs "
                           "CAP_SYS_RESOURCE in the initial user namespace, which %s",
                           p->oom_score_adj, own,
                           userns ? "a process in a new user namespace never has" : "hako does not have");
  return 0;
}

static bool
has_user_namespace (const hako_spec_linux *linux)
{
  for (size_t i = 0; linux && i < linux->namespaces_len; i++)
    if (linux->namespaces[i]->type && strcmp (linux->namespaces[i]->type, "user") == 0)
      return true;
  return false;
}

int
hako_exec_plan_init (hako_exec_plan_t *plan, const hako_spec_process *p, const hako_spec_linux *linux,
                     const char *state_root, bool for_exec, hako_error_t **err)
{
  memset (plan, 0, sizeof (*plan));
  plan->process = p;
  plan->setgroups_allowed = true;
  plan->ioprio = -1;
  plan->for_exec = for_exec;
  if (p->args_len == 0)
    return hako_error_set (err, 0, "process.args: must not be empty");
  if (p->cwd == NULL || p->cwd[0] != '/')
    return hako_error_set (err, 0, "process.cwd: `%s` is not an absolute path", p->cwd ? p->cwd : "");
  if (p->user == NULL)
    return hako_error_set (err, 0, "process.user: required");
  plan->env = hako_xcalloc (p->env_len + 2, sizeof (char *));
  for (size_t i = 0; i < p->env_len; i++)
    plan->env[i] = hako_xstrdup (p->env[i]);
  plan->env_len = p->env_len;
  bool userns = has_user_namespace (linux);
  if (hako_caps_parse (p->capabilities, &plan->caps, err) < 0 || rlimits_plan (plan, p, userns, err) < 0
      || oom_plan (p, userns, err) < 0)
    return -1;
  if (p->scheduler)
    {
      if (sched_plan (p->scheduler, &plan->sched, err) < 0)
        return -1;
      plan->has_sched = true;
    }
  if (p->io_priority && ioprio_plan (p->io_priority, &plan->ioprio, err) < 0)
    return -1;
  if (p->exec_cpu_affinity)
    {
      if (cpus_parse (p->exec_cpu_affinity->initial, "process.execCPUAffinity.initial", &plan->cpus_initial, err) < 0
          || cpus_parse (p->exec_cpu_affinity->final, "process.execCPUAffinity.final", &plan->cpus_final, err) < 0)
        return -1;
    }
  plan->no_new_privs = p->has_no_new_privileges && p->no_new_privileges;
  if (p->apparmor_profile && p->apparmor_profile[0])
    plan->apparmor = p->apparmor_profile;
  if (p->selinux_label && p->selinux_label[0])
    plan->selinux = p->selinux_label;
  if (hako_lsm_check (plan->apparmor, plan->selinux, linux ? linux->mount_label : NULL, err) < 0)
    return -1;
  if (linux && linux->seccomp)
    {
      if (hako_seccomp_compile (linux->seccomp, state_root, &plan->seccomp, err) < 0)
        return -1;
      plan->seccomp_set = plan->seccomp.bpf != NULL;
    }
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
  CPU_FREE (plan->cpus_initial.set);
  CPU_FREE (plan->cpus_final.set);
  memset (plan, 0, sizeof (*plan));
}

int
hako_exec_affinity_initial (const hako_exec_plan_t *plan, pid_t pid, hako_error_t **err)
{
  if (! plan->for_exec || plan->cpus_initial.set == NULL)
    return 0;
  if (sched_setaffinity (pid, plan->cpus_initial.size, plan->cpus_initial.set) < 0)
    return hako_error_sys (err, "process.execCPUAffinity.initial: `%s`", plan->process->exec_cpu_affinity->initial);
  return 0;
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
      /* As runc: a file nobody may execute fails here, at create, rather
         than at start with nothing to show for it.  */
      if (S_ISREG (st.st_mode) && (st.st_mode & 0111) == 0)
        return hako_error_set (err, EACCES, "exec: `%s`", arg0);
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

/* ------------------------------------------------------------ the child */

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
        return hako_error_sys (err, "process.user.additionalGids: setgroups");
    }
  else if (u->additional_gids_len > 0)
    return hako_error_set (err, EPERM, "process.user.additionalGids: setgroups is denied in this user namespace");
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return hako_error_sys (err, "process.user.gid: setgid %u", u->gid);
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return hako_error_sys (err, "process.user.uid: setuid %u", u->uid);
  if (u->has_umask)
    umask ((mode_t) (u->umask & 0777));
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

static int
apply_oom_score_adj (int value, hako_error_t **err)
{
  cleanup_close int fd = open ("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  char buf[16];
  int n = snprintf (buf, sizeof buf, "%d", value);
  /* A mount over /proc inside the container must not take the write.  */
  struct statfs sf;
  if (fd >= 0 && (fstatfs (fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC))
    return hako_error_set (err, EPERM, "process.oomScoreAdj: /proc/self/oom_score_adj is not on procfs");
  if (fd >= 0 && write (fd, buf, (size_t) n) == n)
    return 0;
  if (errno == EACCES)
    return hako_error_sys (err, "process.oomScoreAdj: set %d (lowering it needs CAP_SYS_RESOURCE)", value);
  return hako_error_sys (err, "process.oomScoreAdj: set %d", value);
}

static int
apply_scheduler (const hako_exec_plan_t *plan, hako_error_t **err)
{
  if (syscall (SYS_sched_setattr, 0, &plan->sched, 0) == 0)
    return 0;
  const char *policy = plan->process->scheduler->policy;
  if (errno == EPERM && (plan->sched.sched_policy == 1 || plan->sched.sched_policy == 2))
    return hako_error_sys (err,
                           "process.scheduler: set %s priority %u (a real-time policy needs CAP_SYS_NICE, "
                           "RLIMIT_RTPRIO, and real-time runtime in the cgroup)",
                           policy, plan->sched.sched_priority);
  return hako_error_sys (err, "process.scheduler: set %s", policy);
}

static int
apply_limits (hako_exec_plan_t *plan, hako_error_t **err)
{
  const hako_spec_process *p = plan->process;
  for (size_t i = 0; i < plan->rlimits_len; i++)
    if (setrlimit (plan->rlimits[i].resource, &plan->rlimits[i].value) < 0)
      return hako_error_sys (err, "process.rlimits[%zu]: set %s to %llu/%llu%s", i, p->rlimits[i]->type,
                             (unsigned long long) plan->rlimits[i].value.rlim_cur,
                             (unsigned long long) plan->rlimits[i].value.rlim_max,
                             errno == EPERM ? " (raising a hard limit needs CAP_SYS_RESOURCE)" : "");
  if (p->has_oom_score_adj && apply_oom_score_adj (p->oom_score_adj, err) < 0)
    return -1;
  if (plan->has_sched && apply_scheduler (plan, err) < 0)
    return -1;
  /* Children inherit the I/O priority: setting it on ourselves covers
     every process of the container, and only them (IOPRIO_WHO_PROCESS;
     the process group would include the caller of `hako exec`).  */
  if (plan->ioprio >= 0 && syscall (SYS_ioprio_set, 1, 0, plan->ioprio) < 0)
    return hako_error_sys (err, "process.ioPriority: set %s %d", p->io_priority->class, p->io_priority->priority);
  /* exec: we are in the container's cgroup by now.  */
  if (plan->for_exec && plan->cpus_final.set && sched_setaffinity (0, plan->cpus_final.size, plan->cpus_final.set) < 0)
    return hako_error_sys (err, "process.execCPUAffinity.final: `%s`", p->exec_cpu_affinity->final);
  return 0;
}

/* Load the filter and hand the notify descriptor to hako (which passes it
   on to listenerPath).  */
static int
load_seccomp (hako_exec_plan_t *plan, int notify_sock, hako_error_t **err)
{
  int notify_fd = -1;
  if (hako_seccomp_load (&plan->seccomp, &notify_fd, err) < 0)
    return -1;
  if (notify_fd < 0)
    return 0;
  int r = notify_sock < 0 ? hako_error_set (err, 0, "linux.seccomp: no way to pass the notify descriptor on")
                          : hako_sync_send (notify_sock, SYNC_SECCOMP_FD, NULL, 0, notify_fd, err);
  close (notify_fd);
  return r;
}

/* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN in the
   effective set.  When the process keeps it, the filter goes in last; if
   not, it goes in while we still hold it: after the uid change, with the
   effective set raised back to the permitted one for the load, and before
   the final capabilities (so the profile must allow capset and prctl, as
   with runc).  */
static int
load_seccomp_privileged (hako_exec_plan_t *plan, int notify_sock, hako_error_t **err)
{
  uint64_t eff, prm, inh;
  if (hako_caps_get_own (&eff, &prm, &inh) < 0)
    return hako_error_sys (err, "capget");
  if (! (prm & CAP_BIT_SYS_ADMIN))
    return hako_error_set (err, EPERM,
                           "linux.seccomp: loading the filter needs noNewPrivileges or CAP_SYS_ADMIN, "
                           "and hako has neither");
  if (hako_caps_set (prm, prm, inh, err) < 0 || load_seccomp (plan, notify_sock, err) < 0)
    return -1;
  /* Back to what the uid change left, for the capabilities step.  */
  return hako_caps_set (eff, prm, inh, err);
}

/* The sets really in force are the ones asked for.  The buffer starts as
   their complement, so that a capget answered without running cannot
   pass for a real one.  */
static int
verify_caps (const hako_caps_t *c, hako_error_t **err)
{
  struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2];
  for (int i = 0; i < 2; i++)
    {
      data[i].effective = ~(uint32_t) (c->effective >> (32 * i));
      data[i].permitted = ~(uint32_t) (c->permitted >> (32 * i));
      data[i].inheritable = ~(uint32_t) (c->inheritable >> (32 * i));
    }
  syscall (SYS_capget, &hdr, data);
  for (int i = 0; i < 2; i++)
    if (data[i].effective != (uint32_t) (c->effective >> (32 * i))
        || data[i].permitted != (uint32_t) (c->permitted >> (32 * i))
        || data[i].inheritable != (uint32_t) (c->inheritable >> (32 * i)))
      return hako_error_set (err, EPERM,
                             "process.capabilities: not in force after capset (the seccomp profile "
                             "answers capset or capget without running them)");
  return 0;
}

int
hako_exec_finalize (hako_exec_plan_t *plan, const char *path, int notify_sock, hako_error_t **err)
{
  const hako_spec_process *p = plan->process;
  /* 1. What needs privilege and no longer changes: limits, priorities,
     the LSM label for the execve.  */
  if (apply_limits (plan, err) < 0)
    return -1;
  if (hako_lsm_apply_exec_label (plan->apparmor, plan->selinux, err) < 0)
    return -1;
  /* 2. Capabilities we cannot grant are warned about and left out; the
     bounding set shrinks while we still have CAP_SETPCAP.  */
  hako_caps_restrict_to_own (&plan->caps);
  if (hako_caps_apply_bounding (&plan->caps, err) < 0)
    return -1;
  /* 3. The ids, keeping the permitted set across the uid change.  */
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return hako_error_sys (err, "prctl PR_SET_KEEPCAPS");
  if (apply_ids (plan, err) < 0)
    return -1;
  /* 4. Unprivileged housekeeping, before the filter so that a profile
     need not allow it: default signal dispositions, and every descriptor
     beyond 0-2 and the preserved ones closes on execve.  */
  reset_signals ();
  unsigned first = 3 + (unsigned) plan->preserve_fds;
  if (syscall (SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    for (int fd = (int) first; fd < 65536; fd++)
      fcntl (fd, F_SETFD, FD_CLOEXEC);
  /* 5. seccomp, as late as it can be (see load_seccomp_privileged).  */
  bool late = false;
  if (plan->seccomp_set)
    {
      uint64_t eff = 0;
      if (plan->caps.present)
        eff = plan->caps.effective;
      else if (hako_caps_get_own (&eff, NULL, NULL) < 0)
        eff = 0;
      late = plan->no_new_privs || (eff & CAP_BIT_SYS_ADMIN);
      if (! late && load_seccomp_privileged (plan, notify_sock, err) < 0)
        return -1;
    }
  /* 6. The capability sets, then no_new_privs.  */
  if (hako_caps_apply_final (&plan->caps, err) < 0)
    return -1;
  /* Under the filter already, capset may have been answered without
     running (SCMP_ACT_ERRNO with errnoRet 0, an agent): make sure.  */
  if (plan->seccomp_set && ! late && plan->caps.present && verify_caps (&plan->caps, err) < 0)
    return -1;
  if (plan->no_new_privs && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return hako_error_sys (err, "process.noNewPrivileges: prctl PR_SET_NO_NEW_PRIVS");
  /* 7. The filter, when nothing but execve follows.  */
  if (late && load_seccomp (plan, notify_sock, err) < 0)
    return -1;
  execve (path, p->args, plan->env);
  return hako_error_sys (err, "exec `%s`", path);
}
