/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: linux.seccomp.  */
#include <config.h>

#include "seccomp-filter.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

const char *const hako_seccomp_actions[] = {
  "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_LOG",   "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP", NULL,
};
const char *const hako_seccomp_operators[] = {
  "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL,
};
const char *const hako_seccomp_archs[] = {
  "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",       "SCMP_ARCH_MIPS",    "SCMP_ARCH_MIPS64",  "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64",  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64",   "SCMP_ARCH_S390",    "SCMP_ARCH_S390X",   "SCMP_ARCH_X32",
  "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", NULL,
};
const char *const hako_seccomp_flags[] = {
  "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL,
};

static unsigned
flag_value (const char *name)
{
  if (strcmp (name, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
    return SECCOMP_FILTER_FLAG_TSYNC;
  if (strcmp (name, "SECCOMP_FILTER_FLAG_LOG") == 0)
    return SECCOMP_FILTER_FLAG_LOG;
  if (strcmp (name, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
    return SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  if (strcmp (name, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
    return SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  return 0;
}

bool
hako_seccomp_flag_supported (const char *name)
{
  unsigned f = flag_value (name);
  if (f == 0)
    return false;
  /* An invalid program with a supported flag fails with EFAULT, with an
     unsupported one EINVAL: the kernel's documented probe.  */
  long r = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, f, NULL);
  return r < 0 && errno == EFAULT;
}

static int
action_value (const char *name, unsigned errno_ret, bool has_errno, uint32_t *out, const char *where, hako_error_t **err)
{
  if (has_errno && strcmp (name, "SCMP_ACT_ERRNO") != 0 && strcmp (name, "SCMP_ACT_TRACE") != 0)
    return hako_error_set (err, 0, "%s: an errno return is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE", where);
  if (strcmp (name, "SCMP_ACT_ALLOW") == 0)
    *out = SCMP_ACT_ALLOW;
  else if (strcmp (name, "SCMP_ACT_ERRNO") == 0)
    *out = SCMP_ACT_ERRNO (has_errno ? errno_ret : EPERM);
  else if (strcmp (name, "SCMP_ACT_KILL") == 0 || strcmp (name, "SCMP_ACT_KILL_THREAD") == 0)
    *out = SCMP_ACT_KILL_THREAD;
  else if (strcmp (name, "SCMP_ACT_KILL_PROCESS") == 0)
    *out = SCMP_ACT_KILL_PROCESS;
  else if (strcmp (name, "SCMP_ACT_LOG") == 0)
    *out = SCMP_ACT_LOG;
  else if (strcmp (name, "SCMP_ACT_NOTIFY") == 0)
    *out = SCMP_ACT_NOTIFY;
  else if (strcmp (name, "SCMP_ACT_TRACE") == 0)
    *out = SCMP_ACT_TRACE (has_errno ? errno_ret : EPERM);
  else if (strcmp (name, "SCMP_ACT_TRAP") == 0)
    *out = SCMP_ACT_TRAP;
  else
    return hako_error_set (err, 0, "%s: unknown action `%s`", where, name);
  return 0;
}

static int
op_value (const char *name, enum scmp_compare *out)
{
  static const struct
  {
    const char *n;
    enum scmp_compare v;
  } ops[] = { { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
              { "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
              { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ } };
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (strcmp (ops[i].n, name) == 0)
      {
        *out = ops[i].v;
        return 0;
      }
  return -1;
}

static int
arch_value (const char *name, uint32_t *out)
{
  if (strncmp (name, "SCMP_ARCH_", 10) != 0)
    return -1;
  cleanup_free char *lower = hako_xstrdup (name + 10);
  for (char *p = lower; *p; p++)
    if (*p >= 'A' && *p <= 'Z')
      *p = (char) (*p - 'A' + 'a');
  uint32_t a = seccomp_arch_resolve_name (lower);
  if (a == 0)
    return -1;
  *out = a;
  return 0;
}

static int
add_rule (scmp_filter_ctx ctx, const hako_spec_seccomp_syscall *sc, size_t i, uint32_t def, bool *notify,
          hako_error_t **err)
{
  char where[64];
  snprintf (where, sizeof where, "linux.seccomp.syscalls[%zu]", i);
  uint32_t action;
  if (action_value (sc->action, sc->errno_ret, sc->has_errno_ret, &action, where, err) < 0)
    return -1;
  if (action == SCMP_ACT_NOTIFY)
    *notify = true;
  if (action == def)
    return 0; /* libseccomp refuses rules equal to the default */
  struct scmp_arg_cmp args[6];
  size_t nargs = sc->args_len;
  if (nargs > 6)
    return hako_error_set (err, 0, "%s.args: at most 6 arguments", where);
  for (size_t k = 0; k < nargs; k++)
    {
      enum scmp_compare op;
      if (op_value (sc->args[k]->op, &op) < 0)
        return hako_error_set (err, 0, "%s.args[%zu].op: unknown operator `%s`", where, k, sc->args[k]->op);
      args[k].arg = sc->args[k]->index;
      args[k].op = op;
      args[k].datum_a = sc->args[k]->value;
      args[k].datum_b = sc->args[k]->value_two;
    }
  for (size_t n = 0; n < sc->names_len; n++)
    {
      int nr = seccomp_syscall_resolve_name (sc->names[n]);
      if (nr == __NR_SCMP_ERROR)
        {
          hako_debug ("seccomp: syscall `%s` unknown to libseccomp %u.%u: skipped", sc->names[n],
                      seccomp_version ()->major, seccomp_version ()->minor);
          continue;
        }
      /* Rules comparing one argument several times must go in one call
         (libseccomp ANDs them); that is what the spec means.  */
      int r = seccomp_rule_add_array (ctx, action, nr, (unsigned) nargs, args);
      if (r < 0 && r != -EEXIST)
        return hako_error_set (err, -r, "%s: add rule for `%s`", where, sc->names[n]);
    }
  return 0;
}

int
hako_seccomp_compile (const hako_spec_seccomp *s, hako_seccomp_t *out, hako_error_t **err)
{
  memset (out, 0, sizeof (*out));
  if (s == NULL)
    return 0;
  uint32_t def;
  if (action_value (s->default_action, s->default_errno_ret, s->has_default_errno_ret, &def,
                    "linux.seccomp.defaultAction", err) < 0)
    return -1;
  if (def == SCMP_ACT_NOTIFY)
    return hako_error_set (err, 0, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default");
  if (s->listener_metadata && ! s->listener_path)
    return hako_error_set (err, 0, "linux.seccomp.listenerMetadata: set without listenerPath");
  scmp_filter_ctx ctx = seccomp_init (def);
  if (ctx == NULL)
    return hako_error_set (err, 0, "linux.seccomp: cannot initialise libseccomp");
  int rc = 0;
  /* The filter itself is loaded by us, not libseccomp: no NNP, no TSYNC here. */
  seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  for (size_t i = 0; i < s->architectures_len && rc == 0; i++)
    {
      uint32_t a;
      if (arch_value (s->architectures[i], &a) < 0)
        rc = hako_error_set (err, 0, "linux.seccomp.architectures[%zu]: unknown architecture `%s`", i, s->architectures[i]);
      else
        {
          int r = seccomp_arch_add (ctx, a);
          if (r < 0 && r != -EEXIST)
            rc = hako_error_set (err, -r, "linux.seccomp.architectures[%zu]: `%s`", i, s->architectures[i]);
        }
    }
  for (size_t i = 0; i < s->syscalls_len && rc == 0; i++)
    rc = add_rule (ctx, s->syscalls[i], i, def, &out->notify, err);
  /* Unset flags mean SPEC_ALLOW, as runc and crun do; [] means none.  */
  if (! s->has_flags)
    out->flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  for (size_t i = 0; i < s->flags_len && rc == 0; i++)
    {
      unsigned f = flag_value (s->flags[i]);
      if (f == 0)
        rc = hako_error_set (err, 0, "linux.seccomp.flags[%zu]: unknown flag `%s`", i, s->flags[i]);
      else if (! hako_seccomp_flag_supported (s->flags[i]))
        hako_warn ("seccomp flag %s is not supported by this kernel: skipped", s->flags[i]);
      else
        out->flags |= f;
    }
  if (out->notify && s->listener_path == NULL && rc == 0)
    rc = hako_error_set (err, 0, "linux.seccomp: SCMP_ACT_NOTIFY needs listenerPath");
  if (rc == 0)
    {
      int mfd = memfd_create ("hako-seccomp", MFD_CLOEXEC);
      if (mfd < 0)
        rc = hako_error_sys (err, "memfd_create");
      else
        {
          int r = seccomp_export_bpf (ctx, mfd);
          off_t len = lseek (mfd, 0, SEEK_END);
          if (r < 0 || len <= 0)
            rc = hako_error_set (err, r < 0 ? -r : 0, "linux.seccomp: cannot compile the filter");
          else
            {
              out->bpf = hako_xmalloc ((size_t) len);
              out->bpf_len = (size_t) len;
              if (pread (mfd, out->bpf, (size_t) len, 0) != len)
                rc = hako_error_sys (err, "linux.seccomp: read the compiled filter");
            }
          close (mfd);
        }
    }
  seccomp_release (ctx);
  if (rc < 0)
    hako_seccomp_clear (out);
  return rc;
}

void
hako_seccomp_clear (hako_seccomp_t *s)
{
  free (s->bpf);
  s->bpf = NULL;
  s->bpf_len = 0;
}

int
hako_seccomp_load (const hako_seccomp_t *s, int *notify_fd, hako_error_t **err)
{
  *notify_fd = -1;
  if (s->bpf == NULL)
    return 0;
  struct sock_fprog prog = { .len = (unsigned short) (s->bpf_len / sizeof (struct sock_filter)),
                             .filter = (struct sock_filter *) s->bpf };
  unsigned flags = s->flags | (s->notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
  long r = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (r < 0)
    return hako_error_sys (err, "load the seccomp filter");
  if (s->notify)
    *notify_fd = (int) r;
  return 0;
}
