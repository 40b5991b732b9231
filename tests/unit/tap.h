/* SPDX-License-Identifier: Apache-2.0 */
/* A tiny TAP producer that counts its own plan.  */
#ifndef HAKO_TAP_H
#define HAKO_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static void __attribute__ ((format (printf, 2, 3))) tap_ok (int cond, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  printf ("%sok %d - ", cond ? "" : "not ", ++tap_n);
  vprintf (fmt, ap);
  printf ("\n");
  va_end (ap);
  if (! cond)
    tap_failed++;
  fflush (stdout);
}

#define tap_is_str(got, want, ...)                                                                                     \
  do                                                                                                                   \
    {                                                                                                                  \
      const char *g_ = (got), *w_ = (want);                                                                            \
      int ok_ = g_ && w_ && strcmp (g_, w_) == 0;                                                                      \
      tap_ok (ok_, __VA_ARGS__);                                                                                       \
      if (! ok_)                                                                                                       \
        printf ("#   got:  %s\n#   want: %s\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)");                               \
    }                                                                                                                  \
  while (0)

static int
tap_done (void)
{
  printf ("1..%d\n", tap_n);
  return tap_failed ? 1 : 0;
}

#endif
