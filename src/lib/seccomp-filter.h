/* SPDX-License-Identifier: Apache-2.0 */
/* linux.seccomp: checked and compiled to BPF before forking (libseccomp,
   or a cached copy of an earlier compile), loaded by the child with
   seccomp(2) as the last thing before execve.  */
#ifndef HAKO_SECCOMP_H
#define HAKO_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "runtime-spec.h"

/* A filter compiled before forking: the child only loads it.  */
typedef struct hako_seccomp
{
  void *bpf;        /* struct sock_filter[] */
  size_t bpf_len;   /* bytes */
  unsigned flags;   /* SECCOMP_FILTER_FLAG_* */
  unsigned implied; /* flags set by default (flags unset), dropped if the kernel refuses them */
  bool notify;      /* some rule uses SCMP_ACT_NOTIFY */
  bool from_cache;  /* the program came from the cache */
} hako_seccomp_t;

/* Check S completely (errors name the JSON path) and compile it.  With
   CACHE_DIR (the state root), the program is looked up under
   CACHE_DIR/.seccomp-cache by a SHA-256 of everything that shapes it, and
   stored there after a compile, so that the next container with the same
   profile skips libseccomp.  */
int hako_seccomp_compile (const hako_spec_seccomp *s, const char *cache_dir, hako_seccomp_t *out, hako_error_t **err);
void hako_seccomp_clear (hako_seccomp_t *s);
/* In the child: load it.  *NOTIFY_FD is the listener descriptor when the
   filter has a NOTIFY rule, else -1.  */
int hako_seccomp_load (const hako_seccomp_t *s, int *notify_fd, hako_error_t **err);

/* For features: names hako knows.  */
extern const char *const hako_seccomp_actions[];
extern const char *const hako_seccomp_operators[];
extern const char *const hako_seccomp_archs[];
extern const char *const hako_seccomp_flags[];
/* Whether the running kernel supports a SECCOMP_FILTER_FLAG_ name.  */
bool hako_seccomp_flag_supported (const char *name);

/* The cache's subdirectory of the state root.  */
#define HAKO_SECCOMP_CACHE_DIR ".seccomp-cache"

#endif
