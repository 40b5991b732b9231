/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_SECCOMP_H
#define HAKO_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "runtime-spec.h"

/* A filter compiled before forking: the child only loads it.  */
typedef struct hako_seccomp
{
  void *bpf;          /* struct sock_filter[] */
  size_t bpf_len;     /* bytes */
  unsigned flags;     /* SECCOMP_FILTER_FLAG_* */
  bool notify;        /* some rule uses SCMP_ACT_NOTIFY */
} hako_seccomp_t;

int hako_seccomp_compile (const hako_spec_seccomp *s, hako_seccomp_t *out, hako_error_t **err);
void hako_seccomp_clear (hako_seccomp_t *s);
/* In the child: load it.  Returns the notify descriptor when the filter
   has a NOTIFY rule (else -1 on success too), or < -1 on failure. */
int hako_seccomp_load (const hako_seccomp_t *s, int *notify_fd, hako_error_t **err);

/* For features: names libseccomp knows.  */
extern const char *const hako_seccomp_actions[];
extern const char *const hako_seccomp_operators[];
extern const char *const hako_seccomp_archs[];
extern const char *const hako_seccomp_flags[];
/* Whether the running kernel supports a SECCOMP_FILTER_FLAG_ name.  */
bool hako_seccomp_flag_supported (const char *name);

#endif
