/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: linux.resources.devices on cgroup v2, where there is no
   devices controller: a BPF_PROG_TYPE_CGROUP_DEVICE program, written here
   instruction by instruction, attached with BPF_F_ALLOW_MULTI.  */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "cleanup.h"
#include "log.h"

/* The default rules: /dev/null, zero, full, random, urandom, tty,
   console, ptmx, the pty slaves, tun; and mknod of any device.  */
const struct hako_cgroup_dev_rule hako_cgroup_default_devices[] = {
  { 'c', -1, -1, "m" },    { 'b', -1, -1, "m" },    { 'c', 1, 3, "rwm" }, { 'c', 1, 5, "rwm" }, { 'c', 1, 7, "rwm" },
  { 'c', 1, 8, "rwm" },    { 'c', 1, 9, "rwm" },    { 'c', 5, 0, "rwm" }, { 'c', 5, 1, "rwm" }, { 'c', 5, 2, "rwm" },
  { 'c', 136, -1, "rwm" }, { 'c', 10, 200, "rwm" }, { 0, 0, 0, NULL },
};

struct prog
{
  struct bpf_insn *insn;
  size_t len, cap;
};

static size_t
emit (struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
  if (p->len == p->cap)
    p->insn = hako_xrealloc (p->insn, (p->cap = p->cap * 2 + 64) * sizeof (struct bpf_insn));
  struct bpf_insn *i = &p->insn[p->len];
  memset (i, 0, sizeof *i);
  i->code = code;
  i->dst_reg = dst & 0xf;
  i->src_reg = src & 0xf;
  i->off = off;
  i->imm = imm;
  return p->len++;
}

static unsigned
access_mask (const char *a)
{
  unsigned m = 0;
  for (; a && *a; a++)
    m |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE : *a == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
  return m;
}

struct rule
{
  char type;
  int64_t major, minor;
  unsigned access;
  bool allow;
};

/* One rule: fall through to the next block unless it matches; a match
   returns its verdict.  An allow rule must cover the whole request (as
   v1's exceptions), a deny rule matches any overlap.  */
static void
emit_rule (struct prog *p, const struct rule *r)
{
  size_t jumps[4], nj = 0;
  if (r->type != 'a')
    jumps[nj++]
        = emit (p, BPF_JMP | BPF_JNE | BPF_K, 2, 0, 0, r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
  if (r->access != 7)
    {
      emit (p, BPF_ALU | BPF_MOV | BPF_X, 6, 3, 0, 0);
      if (r->allow)
        {
          emit (p, BPF_ALU | BPF_AND | BPF_K, 6, 0, 0, (int32_t) (~r->access & 7));
          jumps[nj++] = emit (p, BPF_JMP | BPF_JNE | BPF_K, 6, 0, 0, 0);
        }
      else
        {
          emit (p, BPF_ALU | BPF_AND | BPF_K, 6, 0, 0, (int32_t) r->access);
          jumps[nj++] = emit (p, BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 0, 0);
        }
    }
  if (r->type != 'a' && r->major >= 0)
    jumps[nj++] = emit (p, BPF_JMP | BPF_JNE | BPF_K, 4, 0, 0, (int32_t) r->major);
  if (r->type != 'a' && r->minor >= 0)
    jumps[nj++] = emit (p, BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, (int32_t) r->minor);
  emit (p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, r->allow ? 1 : 0);
  emit (p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  for (size_t i = 0; i < nj; i++)
    p->insn[jumps[i]].off = (int16_t) (p->len - jumps[i] - 1);
}

static void
build (struct prog *p, const hako_spec_linux_resources *r)
{
  size_t ndef = 0;
  while (hako_cgroup_default_devices[ndef].type)
    ndef++;
  size_t n = r->devices_len + ndef;
  cleanup_free struct rule *rules = hako_xcalloc (n, sizeof (struct rule));
  for (size_t i = 0; i < r->devices_len; i++)
    {
      const hako_spec_device_cgroup *d = r->devices[i];
      rules[i].type = d->type && d->type[0] ? d->type[0] : 'a';
      rules[i].major = d->has_major ? d->major : -1;
      rules[i].minor = d->has_minor ? d->minor : -1;
      rules[i].access = access_mask (d->access && d->access[0] ? d->access : "rwm");
      rules[i].allow = d->allow;
    }
  for (size_t i = 0; i < ndef; i++)
    {
      struct rule *x = &rules[r->devices_len + i];
      x->type = hako_cgroup_default_devices[i].type;
      x->major = hako_cgroup_default_devices[i].major;
      x->minor = hako_cgroup_default_devices[i].minor;
      x->access = access_mask (hako_cgroup_default_devices[i].access);
      x->allow = true;
    }
  /* A rule for every device and access replaces all before it, as on v1
     where `a` resets the list; without one, everything is allowed.  */
  size_t first = 0;
  bool dflt = true;
  for (size_t i = 0; i < n; i++)
    if (rules[i].type == 'a' && rules[i].access == 7)
      {
        first = i + 1;
        dflt = rules[i].allow;
      }
  /* ctx: u32 access_type (type | access << 16), u32 major, u32 minor.  */
  emit (p, BPF_LDX | BPF_W | BPF_MEM, 2, 1, 0, 0);
  emit (p, BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff);
  emit (p, BPF_LDX | BPF_W | BPF_MEM, 3, 1, 0, 0);
  emit (p, BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16);
  emit (p, BPF_LDX | BPF_W | BPF_MEM, 4, 1, 4, 0);
  emit (p, BPF_LDX | BPF_W | BPF_MEM, 5, 1, 8, 0);
  /* The last matching rule wins: test them from the end.  */
  for (size_t i = n; i > first; i--)
    emit_rule (p, &rules[i - 1]);
  emit (p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, dflt ? 1 : 0);
  emit (p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static int
bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (SYS_bpf, cmd, attr, sizeof (*attr));
}

int
hako_cgroup_bpf_devices (const char *dir, const hako_spec_linux_resources *r, hako_error_t **err)
{
  struct prog p = { 0 };
  build (&p, r);
  cleanup_free struct bpf_insn *insns = p.insn;
  cleanup_close int dfd = open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dfd < 0)
    return hako_error_sys (err, "linux.resources.devices: open `%s`", dir);

  static char log[4096];
  union bpf_attr attr;
  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) insns;
  attr.insn_cnt = (uint32_t) p.len;
  attr.license = (uint64_t) (uintptr_t) "Apache-2.0";
  cleanup_close int prog = bpf (BPF_PROG_LOAD, &attr);
  if (prog < 0)
    {
      int e = errno;
      memset (&attr, 0, sizeof attr);
      attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
      attr.insns = (uint64_t) (uintptr_t) insns;
      attr.insn_cnt = (uint32_t) p.len;
      attr.license = (uint64_t) (uintptr_t) "Apache-2.0";
      attr.log_buf = (uint64_t) (uintptr_t) log;
      attr.log_size = sizeof log;
      attr.log_level = 1;
      log[0] = '\0';
      bpf (BPF_PROG_LOAD, &attr);
      return hako_error_set (err, e, "linux.resources.devices: load the BPF device program (%zu instructions)%s%s",
                             p.len, log[0] ? ": " : "", log);
    }

  /* The programs attached before (an update replaces ours).  */
  uint32_t ids[64];
  memset (&attr, 0, sizeof attr);
  attr.query.target_fd = (uint32_t) dfd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t) (uintptr_t) ids;
  attr.query.prog_cnt = 64;
  uint32_t nold = bpf (BPF_PROG_QUERY, &attr) == 0 ? attr.query.prog_cnt : 0;

  memset (&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t) dfd;
  attr.attach_bpf_fd = (uint32_t) prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf (BPF_PROG_ATTACH, &attr) < 0)
    return hako_error_sys (err, "linux.resources.devices: attach the BPF device program to `%s`", dir);

  for (uint32_t i = 0; i < nold && i < 64; i++)
    {
      memset (&attr, 0, sizeof attr);
      attr.prog_id = ids[i];
      cleanup_close int old = bpf (BPF_PROG_GET_FD_BY_ID, &attr);
      if (old < 0)
        continue;
      memset (&attr, 0, sizeof attr);
      attr.target_fd = (uint32_t) dfd;
      attr.attach_bpf_fd = (uint32_t) old;
      attr.attach_type = BPF_CGROUP_DEVICE;
      if (bpf (BPF_PROG_DETACH, &attr) < 0)
        hako_warn ("linux.resources.devices: cannot detach the previous device program %u: %s", ids[i],
                   strerror (errno));
    }
  return 0;
}
