/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: linux.seccomp (defaultAction, defaultErrnoRet, architectures,
   flags, syscalls[].names/action/errnoRet/args).  listenerPath and
   listenerMetadata are checked here and used by seccomp-notify.c.  */
#include <config.h>

#include "seccomp-filter.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

const char *const hako_seccomp_actions[] = {
  "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO",  "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_LOG",   "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",         NULL,
};
const char *const hako_seccomp_operators[] = {
  "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL,
};
const char *const hako_seccomp_archs[] = {
  "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",      "SCMP_ARCH_MIPS",        "SCMP_ARCH_MIPS64",   "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",      "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",    "SCMP_ARCH_X32",
  "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_PARISC",      "SCMP_ARCH_PARISC64", NULL,
};
const char *const hako_seccomp_flags[] = {
  "SECCOMP_FILTER_FLAG_TSYNC",
  "SECCOMP_FILTER_FLAG_LOG",
  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
  NULL,
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
  /* The kernel checks the flags before it reads the program: with a NULL
     program a known flag fails with EFAULT, an unknown one with EINVAL.
     WAIT_KILLABLE_RECV is only valid along with NEW_LISTENER.  */
  if (f == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    f |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  long r = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, f, NULL);
  return r < 0 && errno == EFAULT;
}

static bool
action_takes_errno (const char *name)
{
  return strcmp (name, "SCMP_ACT_ERRNO") == 0 || strcmp (name, "SCMP_ACT_TRACE") == 0;
}

static int
action_value (const char *name, uint32_t errno_ret, bool has_errno, uint32_t *out, const char *where,
              hako_error_t **err)
{
  if (name == NULL)
    return hako_error_set (err, 0, "%s: required", where);
  if (has_errno && ! action_takes_errno (name))
    return hako_error_set (err, 0, "%s: `%s` takes no errno return (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)", where,
                           name);
  /* The kernel keeps 16 bits of SECCOMP_RET_DATA; more would be cut. */
  if (has_errno && errno_ret > 0xffff)
    return hako_error_set (err, 0, "%s: errno return %u is out of range (0-65535)", where, errno_ret);
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
    return hako_error_set (err, 0,
                           "%s: unknown action `%s` (expected one of SCMP_ACT_ALLOW, ERRNO, KILL, "
                           "KILL_PROCESS, KILL_THREAD, LOG, NOTIFY, TRACE, TRAP)",
                           where, name);
  return 0;
}

static int
op_value (const char *name, enum scmp_compare *out)
{
  static const struct
  {
    const char *n;
    enum scmp_compare v;
  } ops[] = { { "SCMP_CMP_NE", SCMP_CMP_NE },
              { "SCMP_CMP_LT", SCMP_CMP_LT },
              { "SCMP_CMP_LE", SCMP_CMP_LE },
              { "SCMP_CMP_EQ", SCMP_CMP_EQ },
              { "SCMP_CMP_GE", SCMP_CMP_GE },
              { "SCMP_CMP_GT", SCMP_CMP_GT },
              { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ } };
  for (size_t i = 0; name && i < sizeof ops / sizeof ops[0]; i++)
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
  if (name == NULL || strncmp (name, "SCMP_ARCH_", 10) != 0 || strlen (name) > 40)
    return -1;
  char lower[32];
  size_t i = 0;
  for (const char *p = name + 10; *p; p++)
    lower[i++] = (char) ((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
  lower[i] = '\0';
  uint32_t a = seccomp_arch_resolve_name (lower);
  if (a == 0)
    return -1;
  *out = a;
  return 0;
}

/* What the checks find out, for the compile and the load.  */
struct profile
{
  uint32_t def;
  bool notify;
};

/* The syscalls the child makes itself after the filter is in and before
   the notify descriptor is in the parent's hands: a NOTIFY rule on them
   would wait for an agent that can never have the descriptor.  */
static const char *const notify_forbidden[] = { "sendmsg", "socketcall", NULL };

static int
check_rule (const hako_spec_seccomp_syscall *sc, size_t i, struct profile *pr, hako_error_t **err)
{
  char where[96];
  snprintf (where, sizeof where, "linux.seccomp.syscalls[%zu].action", i);
  uint32_t action;
  if (action_value (sc->action, sc->errno_ret, sc->has_errno_ret, &action, where, err) < 0)
    return -1;
  if (sc->names_len == 0)
    return hako_error_set (err, 0, "linux.seccomp.syscalls[%zu].names: at least one syscall name is required", i);
  for (size_t n = 0; n < sc->names_len; n++)
    {
      if (sc->names[n] == NULL || sc->names[n][0] == '\0')
        return hako_error_set (err, 0, "linux.seccomp.syscalls[%zu].names[%zu]: empty syscall name", i, n);
      if (action == SCMP_ACT_NOTIFY)
        for (size_t k = 0; notify_forbidden[k]; k++)
          if (strcmp (sc->names[n], notify_forbidden[k]) == 0)
            return hako_error_set (err, 0,
                                   "linux.seccomp.syscalls[%zu].names[%zu]: SCMP_ACT_NOTIFY cannot be used for `%s`: "
                                   "hako needs it to pass the notify descriptor on",
                                   i, n, sc->names[n]);
    }
  if (action == SCMP_ACT_NOTIFY)
    pr->notify = true;
  for (size_t k = 0; k < sc->args_len; k++)
    {
      enum scmp_compare op;
      if (op_value (sc->args[k]->op, &op) < 0)
        return hako_error_set (err, 0,
                               "linux.seccomp.syscalls[%zu].args[%zu].op: unknown operator `%s` (expected "
                               "SCMP_CMP_NE, LT, LE, EQ, GE, GT or MASKED_EQ)",
                               i, k, sc->args[k]->op ? sc->args[k]->op : "");
      if (sc->args[k]->index > 5)
        return hako_error_set (err, 0,
                               "linux.seccomp.syscalls[%zu].args[%zu].index: %u is not a syscall argument (0-5)", i, k,
                               sc->args[k]->index);
    }
  return 0;
}

static int
check_profile (const hako_spec_seccomp *s, struct profile *pr, hako_seccomp_t *out, hako_error_t **err)
{
  memset (pr, 0, sizeof (*pr));
  if (action_value (s->default_action, s->default_errno_ret, s->has_default_errno_ret, &pr->def,
                    "linux.seccomp.defaultAction", err)
      < 0)
    return -1;
  /* Every syscall of the child, execve included, would wait for an agent
     that has no descriptor yet.  */
  if (pr->def == SCMP_ACT_NOTIFY)
    return hako_error_set (err, 0, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  if (s->listener_metadata && ! s->listener_path)
    return hako_error_set (err, 0, "linux.seccomp.listenerMetadata: set without listenerPath");
  if (s->listener_path && s->listener_path[0] != '/')
    return hako_error_set (err, 0, "linux.seccomp.listenerPath: `%s` is not an absolute path", s->listener_path);
  for (size_t i = 0; i < s->architectures_len; i++)
    {
      uint32_t a;
      if (arch_value (s->architectures[i], &a) < 0)
        return hako_error_set (err, 0, "linux.seccomp.architectures[%zu]: unknown architecture `%s`", i,
                               s->architectures[i] ? s->architectures[i] : "");
    }
  for (size_t i = 0; i < s->syscalls_len; i++)
    if (check_rule (s->syscalls[i], i, pr, err) < 0)
      return -1;
  if (pr->notify && s->listener_path == NULL)
    return hako_error_set (err, 0, "linux.seccomp: SCMP_ACT_NOTIFY is used but listenerPath is not set");

  /* Flags unset mean SPEC_ALLOW, as in runc and crun; [] means none.  */
  if (! s->has_flags)
    out->implied = SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  for (size_t i = 0; i < s->flags_len; i++)
    {
      unsigned f = flag_value (s->flags[i]);
      if (f == 0)
        return hako_error_set (err, 0, "linux.seccomp.flags[%zu]: unknown flag `%s`", i, s->flags[i]);
      if (! hako_seccomp_flag_supported (s->flags[i]))
        hako_warn ("linux.seccomp.flags[%zu]: %s is not supported by this kernel: not used", i, s->flags[i]);
      else if (f == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && ! pr->notify)
        hako_debug ("seccomp: %s has no effect without a NOTIFY rule: not used", s->flags[i]);
      else
        out->flags |= f;
    }
  /* TSYNC with a listener is refused unless the kernel may report a
     failed sync as ESRCH; the child is single-threaded anyway.  */
  if ((out->flags & SECCOMP_FILTER_FLAG_TSYNC) && pr->notify)
    out->flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  out->notify = pr->notify;
  return 0;
}

/* ------------------------------------------------------------------ compile */

/* Conditions on distinct arguments are ANDed in one rule.  When one
   argument is compared more than once, each condition becomes a rule of
   its own (ORed), as runc does, so that profiles written for it keep
   their meaning.  */
static int
add_rule (scmp_filter_ctx ctx, const hako_spec_seccomp_syscall *sc, size_t i, uint32_t def, hako_error_t **err)
{
  uint32_t action;
  if (action_value (sc->action, sc->errno_ret, sc->has_errno_ret, &action, "", err) < 0)
    return -1;
  if (action == def)
    return 0; /* libseccomp refuses rules equal to the default */
  struct scmp_arg_cmp args[6];
  size_t nargs = sc->args_len > 6 ? 6 : sc->args_len;
  bool repeated = sc->args_len > 6;
  unsigned seen = 0;
  for (size_t k = 0; k < sc->args_len; k++)
    {
      enum scmp_compare op = SCMP_CMP_EQ;
      op_value (sc->args[k]->op, &op);
      if (seen & (1U << sc->args[k]->index))
        repeated = true;
      seen |= 1U << sc->args[k]->index;
      if (k < 6)
        args[k] = (struct scmp_arg_cmp){
          .arg = sc->args[k]->index, .op = op, .datum_a = sc->args[k]->value, .datum_b = sc->args[k]->value_two
        };
    }
  for (size_t n = 0; n < sc->names_len; n++)
    {
      int nr = seccomp_syscall_resolve_name (sc->names[n]);
      if (nr == __NR_SCMP_ERROR)
        {
          const struct scmp_version *v = seccomp_version ();
          hako_debug ("linux.seccomp.syscalls[%zu]: syscall `%s` is unknown to libseccomp %u.%u.%u: skipped", i,
                      sc->names[n], v->major, v->minor, v->micro);
          continue;
        }
      int r = 0;
      if (! repeated)
        r = seccomp_rule_add_array (ctx, action, nr, (unsigned) nargs, args);
      else
        for (size_t k = 0; k < sc->args_len && (r == 0 || r == -EEXIST); k++)
          {
            enum scmp_compare op = SCMP_CMP_EQ;
            op_value (sc->args[k]->op, &op);
            struct scmp_arg_cmp one = {
              .arg = sc->args[k]->index, .op = op, .datum_a = sc->args[k]->value, .datum_b = sc->args[k]->value_two
            };
            r = seccomp_rule_add_array (ctx, action, nr, 1, &one);
          }
      if (r < 0 && r != -EEXIST)
        return hako_error_set (err, -r, "linux.seccomp.syscalls[%zu]: cannot add the rule for `%s`", i, sc->names[n]);
    }
  return 0;
}

static int
export_bpf (scmp_filter_ctx ctx, hako_seccomp_t *out, hako_error_t **err)
{
  cleanup_close int mfd = memfd_create ("hako-seccomp", MFD_CLOEXEC);
  if (mfd < 0)
    return hako_error_sys (err, "linux.seccomp: memfd_create");
  int r = seccomp_export_bpf (ctx, mfd);
  if (r < 0)
    return hako_error_set (err, -r, "linux.seccomp: cannot export the compiled filter");
  off_t len = lseek (mfd, 0, SEEK_END);
  if (len <= 0 || len % (off_t) sizeof (struct sock_filter) != 0 || len / 8 > BPF_MAXINSNS)
    return hako_error_set (err, 0, "linux.seccomp: the compiled filter has %lld instructions (at most %d are allowed)",
                           (long long) (len / 8), BPF_MAXINSNS);
  out->bpf = hako_xmalloc ((size_t) len);
  out->bpf_len = (size_t) len;
  if (pread (mfd, out->bpf, (size_t) len, 0) != len)
    return hako_error_sys (err, "linux.seccomp: read the compiled filter");
  return 0;
}

static int
build (const hako_spec_seccomp *s, const struct profile *pr, hako_seccomp_t *out, hako_error_t **err)
{
  scmp_filter_ctx ctx = seccomp_init (pr->def);
  if (ctx == NULL)
    return hako_error_set (err, 0, "linux.seccomp: cannot initialise libseccomp with `%s`", s->default_action);
  int rc = 0;
  /* We load the program ourselves: libseccomp must not set NNP.  */
  seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  /* A binary tree over the syscall numbers makes a long allow-list cost
     a few comparisons per syscall instead of hundreds.  */
  if (s->syscalls_len > 32 && seccomp_attr_set (ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0)
    hako_debug ("seccomp: libseccomp has no binary tree optimisation");
  for (size_t i = 0; i < s->architectures_len && rc == 0; i++)
    {
      uint32_t a = 0;
      arch_value (s->architectures[i], &a);
      int r = seccomp_arch_add (ctx, a);
      if (r < 0 && r != -EEXIST)
        rc = hako_error_set (err, -r, "linux.seccomp.architectures[%zu]: cannot add `%s`", i, s->architectures[i]);
    }
  for (size_t i = 0; i < s->syscalls_len && rc == 0; i++)
    rc = add_rule (ctx, s->syscalls[i], i, pr->def, err);
  if (rc == 0)
    rc = export_bpf (ctx, out, err);
  seccomp_release (ctx);
  return rc;
}

/* ------------------------------------------------------------------ SHA-256 */

/* A small SHA-256 (FIPS 180-4) for the cache keys: libhako links no
   crypto library, and a key collision would load the wrong filter.  */
struct sha256
{
  uint32_t h[8];
  uint64_t len;
  uint8_t buf[64];
  size_t n;
};

static const uint32_t sha256_k[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
sha256_block (struct sha256 *c, const uint8_t *p)
{
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t) p[4 * i] << 24 | (uint32_t) p[4 * i + 1] << 16 | (uint32_t) p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++)
    {
      uint32_t s0 = ROR32 (w[i - 15], 7) ^ ROR32 (w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = ROR32 (w[i - 2], 17) ^ ROR32 (w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
  uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4], f = c->h[5], g = c->h[6], h = c->h[7];
  for (int i = 0; i < 64; i++)
    {
      uint32_t t1 = h + (ROR32 (e, 6) ^ ROR32 (e, 11) ^ ROR32 (e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
      uint32_t t2 = (ROR32 (a, 2) ^ ROR32 (a, 13) ^ ROR32 (a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = cc;
      cc = b;
      b = a;
      a = t1 + t2;
    }
  c->h[0] += a;
  c->h[1] += b;
  c->h[2] += cc;
  c->h[3] += d;
  c->h[4] += e;
  c->h[5] += f;
  c->h[6] += g;
  c->h[7] += h;
}

static void
sha256_init (struct sha256 *c)
{
  static const uint32_t h0[8]
      = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
  memcpy (c->h, h0, sizeof h0);
  c->len = 0;
  c->n = 0;
}

static void
sha256_update (struct sha256 *c, const void *data, size_t len)
{
  const uint8_t *p = data;
  c->len += len;
  while (len > 0)
    {
      if (c->n == 0 && len >= 64)
        {
          sha256_block (c, p);
          p += 64;
          len -= 64;
          continue;
        }
      size_t take = 64 - c->n < len ? 64 - c->n : len;
      memcpy (c->buf + c->n, p, take);
      c->n += take;
      p += take;
      len -= take;
      if (c->n == 64)
        {
          sha256_block (c, c->buf);
          c->n = 0;
        }
    }
}

static void
sha256_final (struct sha256 *c, uint8_t out[32])
{
  uint64_t bits = c->len * 8;
  uint8_t pad = 0x80;
  sha256_update (c, &pad, 1);
  pad = 0;
  while (c->n != 56)
    sha256_update (c, &pad, 1);
  uint8_t l[8];
  for (int i = 0; i < 8; i++)
    l[i] = (uint8_t) (bits >> (56 - 8 * i));
  sha256_update (c, l, 8);
  for (int i = 0; i < 8; i++)
    for (int k = 0; k < 4; k++)
      out[4 * i + k] = (uint8_t) (c->h[i] >> (24 - 8 * k));
}

/* ------------------------------------------------------------------ cache */

/* Everything that shapes the program goes into the key, each item
   length-prefixed so that no two profiles encode alike: a format version,
   libseccomp's version, the native architecture, the kernel release (it
   decides libseccomp's API level) and the profile's rules.  */
static void
key_str (struct sha256 *c, const char *s)
{
  uint32_t n = s ? (uint32_t) strlen (s) : UINT32_MAX;
  sha256_update (c, &n, sizeof n);
  if (s)
    sha256_update (c, s, n);
}

static void
key_u64 (struct sha256 *c, uint64_t v)
{
  sha256_update (c, &v, sizeof v);
}

static void
cache_key (const hako_spec_seccomp *s, char hex[65])
{
  struct sha256 c;
  sha256_init (&c);
  key_str (&c, "hako seccomp cache 1");
  const struct scmp_version *v = seccomp_version ();
  key_u64 (&c, v->major);
  key_u64 (&c, v->minor);
  key_u64 (&c, v->micro);
  key_u64 (&c, seccomp_arch_native ());
  struct utsname u;
  key_str (&c, uname (&u) == 0 ? u.release : "");
  key_str (&c, s->default_action);
  key_u64 (&c, s->has_default_errno_ret ? s->default_errno_ret : UINT64_MAX);
  key_u64 (&c, s->architectures_len);
  for (size_t i = 0; i < s->architectures_len; i++)
    key_str (&c, s->architectures[i]);
  key_u64 (&c, s->syscalls_len);
  for (size_t i = 0; i < s->syscalls_len; i++)
    {
      const hako_spec_seccomp_syscall *sc = s->syscalls[i];
      key_str (&c, sc->action);
      key_u64 (&c, sc->has_errno_ret ? sc->errno_ret : UINT64_MAX);
      key_u64 (&c, sc->names_len);
      for (size_t n = 0; n < sc->names_len; n++)
        key_str (&c, sc->names[n]);
      key_u64 (&c, sc->args_len);
      for (size_t k = 0; k < sc->args_len; k++)
        {
          key_u64 (&c, sc->args[k]->index);
          key_u64 (&c, sc->args[k]->value);
          key_u64 (&c, sc->args[k]->value_two);
          key_str (&c, sc->args[k]->op);
        }
    }
  uint8_t d[32];
  sha256_final (&c, d);
  for (int i = 0; i < 32; i++)
    snprintf (hex + 2 * i, 3, "%02x", d[i]);
}

/* A cache file: magic, payload length, the key it was stored under (a
   file copied to another name does not match), the program.  The kernel
   checks the program's form when it is loaded.  */
#define CACHE_MAGIC "HAKOBPF1"
struct cache_header
{
  char magic[8];
  uint64_t len;
  char key[64];
};

static int
cache_open_dir (const char *root, bool create)
{
  cleanup_free char *path = hako_strdup_printf ("%s/" HAKO_SECCOMP_CACHE_DIR, root);
  if (create && mkdir (path, 0700) < 0 && errno != EEXIST)
    return -1;
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  /* Only a directory of our own, closed to others, is trusted: what is
     in it becomes a container's filter.  */
  struct stat st;
  if (fstat (fd, &st) < 0 || st.st_uid != geteuid () || (st.st_mode & 022))
    {
      close (fd);
      return -1;
    }
  return fd;
}

static bool
cache_read (const char *root, const char *key, hako_seccomp_t *out)
{
  cleanup_close int dfd = cache_open_dir (root, false);
  if (dfd < 0)
    return false;
  cleanup_close int fd = openat (dfd, key, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  struct cache_header h;
  if (fd < 0 || fstat (fd, &st) < 0 || ! S_ISREG (st.st_mode) || st.st_uid != geteuid ()
      || st.st_size < (off_t) sizeof h || read (fd, &h, sizeof h) != (ssize_t) sizeof h
      || memcmp (h.magic, CACHE_MAGIC, 8) != 0 || memcmp (h.key, key, 64) != 0 || h.len == 0
      || h.len % sizeof (struct sock_filter) != 0 || h.len > BPF_MAXINSNS * sizeof (struct sock_filter)
      || (uint64_t) st.st_size != sizeof h + h.len)
    return false;
  void *bpf = hako_xmalloc (h.len);
  if (read (fd, bpf, h.len) != (ssize_t) h.len)
    {
      hako_debug ("seccomp cache: `%s` is damaged: compiling again", key);
      free (bpf);
      return false;
    }
  out->bpf = bpf;
  out->bpf_len = h.len;
  return true;
}

/* Keep the cache bounded: past this many profiles, start it afresh.  */
#define CACHE_MAX_ENTRIES 256

static void
cache_prune (int dfd)
{
  int dup_fd = dup (dfd);
  if (dup_fd < 0)
    return;
  DIR *d = fdopendir (dup_fd);
  if (d == NULL)
    {
      close (dup_fd);
      return;
    }
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    n += de->d_name[0] != '.';
  if (n >= CACHE_MAX_ENTRIES)
    {
      rewinddir (d);
      while ((de = readdir (d)) != NULL)
        if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
          unlinkat (dfd, de->d_name, 0);
    }
  closedir (d);
}

/* Best effort: a cache that cannot be written costs speed, not
   correctness.  Written to a temporary name and renamed, so a reader sees
   a whole file or none.  */
static void
cache_write (const char *root, const char *key, const hako_seccomp_t *s)
{
  cleanup_close int dfd = cache_open_dir (root, true);
  if (dfd < 0)
    {
      hako_debug ("seccomp cache: cannot use `%s/" HAKO_SECCOMP_CACHE_DIR "`: %s", root, strerror (errno));
      return;
    }
  cache_prune (dfd);
  char tmp[128];
  snprintf (tmp, sizeof tmp, ".tmp-%d-%.16s", (int) getpid (), key);
  cleanup_close int fd = openat (dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  struct cache_header h;
  memcpy (h.magic, CACHE_MAGIC, 8);
  h.len = s->bpf_len;
  memcpy (h.key, key, 64);
  struct iovec iov[2] = { { &h, sizeof h }, { s->bpf, s->bpf_len } };
  if (writev (fd, iov, 2) != (ssize_t) (sizeof h + s->bpf_len) || renameat (dfd, tmp, dfd, key) < 0)
    {
      hako_debug ("seccomp cache: cannot write `%s`: %s", key, strerror (errno));
      unlinkat (dfd, tmp, 0);
    }
}

/* ------------------------------------------------------------------ API */

int
hako_seccomp_compile (const hako_spec_seccomp *s, const char *cache_dir, hako_seccomp_t *out, hako_error_t **err)
{
  memset (out, 0, sizeof (*out));
  if (s == NULL)
    return 0;
  struct profile pr;
  if (check_profile (s, &pr, out, err) < 0)
    return -1;
  char key[65];
  if (cache_dir)
    {
      cache_key (s, key);
      if (cache_read (cache_dir, key, out))
        {
          out->from_cache = true;
          hako_debug ("seccomp: %zu instructions from the cache (%s)", out->bpf_len / sizeof (struct sock_filter), key);
          return 0;
        }
    }
  struct timespec t0, t1;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  if (build (s, &pr, out, err) < 0)
    {
      hako_seccomp_clear (out);
      return -1;
    }
  clock_gettime (CLOCK_MONOTONIC, &t1);
  hako_debug ("seccomp: %zu instructions compiled by libseccomp in %.1f ms", out->bpf_len / sizeof (struct sock_filter),
              (double) (t1.tv_sec - t0.tv_sec) * 1e3 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e6);
  if (cache_dir)
    cache_write (cache_dir, key, out);
  return 0;
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
  struct sock_fprog prog
      = { .len = (unsigned short) (s->bpf_len / sizeof (struct sock_filter)), .filter = (struct sock_filter *) s->bpf };
  unsigned flags = s->flags | s->implied | (s->notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
  long r = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  /* A default flag this kernel does not know is not worth failing for. */
  if (r < 0 && errno == EINVAL && s->implied)
    r = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags & ~s->implied, &prog);
  if (r < 0)
    {
      if (errno == EACCES)
        return hako_error_sys (err, "load the seccomp filter (needs noNewPrivileges or CAP_SYS_ADMIN)");
      return hako_error_sys (err, "load the seccomp filter");
    }
  if (s->notify)
    *notify_fd = (int) r;
  return 0;
}
