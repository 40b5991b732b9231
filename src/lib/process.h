/* SPDX-License-Identifier: Apache-2.0 */
/* A container process, from its spec to execve: what is converted before
   forking (names to numbers, the seccomp program, the executable found on
   PATH) and what the child applies just before execve.  Shared by the
   init and by exec.  */
#ifndef HAKO_PROCESS_H
#define HAKO_PROCESS_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "caps.h"
#include "error.h"
#include "runtime-spec.h"
#include "seccomp-filter.h"

struct hako_rlimit
{
  int resource;
  struct rlimit value;
};

/* struct sched_attr of sched_setattr(2), which glibc does not declare. */
struct hako_sched_attr
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  uint32_t sched_util_min, sched_util_max;
};

/* A CPU list ("0-3,7") as a set for sched_setaffinity.  */
struct hako_cpus
{
  cpu_set_t *set; /* NULL: not given, or empty */
  size_t size;    /* bytes */
};

typedef struct hako_exec_plan
{
  const hako_spec_process *process;
  char **env; /* process.env plus HOME when missing */
  size_t env_len;
  hako_caps_t caps;
  struct hako_rlimit *rlimits;
  size_t rlimits_len;
  hako_seccomp_t seccomp;
  bool seccomp_set;
  const char *apparmor; /* NULL unless set and non-empty */
  const char *selinux;
  bool no_new_privs;
  bool has_sched;
  struct hako_sched_attr sched;
  int ioprio;    /* -1: not set */
  bool for_exec; /* exec (not the init): execCPUAffinity applies */
  struct hako_cpus cpus_initial, cpus_final;
  int preserve_fds;       /* beyond 0, 1, 2 */
  bool setgroups_allowed; /* false in a user namespace with setgroups denied */
  bool in_userns;
} hako_exec_plan_t;

/* Before forking: convert and check everything that can be.  STATE_ROOT
   (may be NULL) holds the cache of compiled seccomp filters.  FOR_EXEC:
   the plan is for `exec`, not for the container's init.  */
int hako_exec_plan_init (hako_exec_plan_t *plan, const hako_spec_process *p, const hako_spec_linux *linux,
                         const char *state_root, bool for_exec, hako_error_t **err);
void hako_exec_plan_clear (hako_exec_plan_t *plan);

/* exec, in the parent: put the forked child PID on
   process.execCPUAffinity.initial, before it joins the container's
   cgroup.  The child applies `final` itself in hako_exec_finalize, which
   must therefore run after the cgroup join.  */
int hako_exec_affinity_initial (const hako_exec_plan_t *plan, pid_t pid, hako_error_t **err);

/* In the child, inside the container's root: find the executable (PATH of
   the process env) and set HOME from /etc/passwd when missing.  The result
   is kept in *PATH.  Fails like execvp would.  */
int hako_exec_resolve (hako_exec_plan_t *plan, char **path, hako_error_t **err);
/* chdir to process.cwd (created when missing, as runc does) and check
   that the result is inside the root (CVE-2024-21626).  */
int hako_exec_chdir (const hako_spec_process *p, hako_error_t **err);

/* In the child, last: rlimits, oomScoreAdj, scheduler, ioPriority, CPU
   affinity, LSM label, ids, capabilities, no_new_privs, seccomp (as late as
   it can be), descriptors, execve.  On failure returns -1 with ERR; never
   returns on success.  NOTIFY_SOCK, when >= 0, receives the seccomp notify
   descriptor (SYNC_SECCOMP_FD) before execve.  */
int hako_exec_finalize (hako_exec_plan_t *plan, const char *path, int notify_sock, hako_error_t **err);

/* Names.  */
int hako_rlimit_from_name (const char *name);
int hako_signal_from_name (const char *name);
const char *hako_signal_name (int sig);

#endif
