/* SPDX-License-Identifier: Apache-2.0 */
#include <config.h>

#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

static void __attribute__ ((noreturn)) oom (void)
{
  static const char msg[] = "hako: out of memory\n";
  if (write (2, msg, sizeof msg - 1) < 0)
    abort ();
  abort ();
}

void *
hako_xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
hako_xcalloc (size_t n, size_t size)
{
  void *p = calloc (n ? n : 1, size ? size : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
hako_xrealloc (void *p, size_t n)
{
  p = realloc (p, n ? n : 1);
  if (p == NULL)
    oom ();
  return p;
}

char *
hako_xstrdup (const char *s)
{
  char *r = strdup (s ? s : "");
  if (r == NULL)
    oom ();
  return r;
}

char *
hako_xstrndup (const char *s, size_t n)
{
  char *r = strndup (s, n);
  if (r == NULL)
    oom ();
  return r;
}

int
hako_xasprintf (char **out, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  int r = vasprintf (out, fmt, ap);
  va_end (ap);
  if (r < 0)
    oom ();
  return r;
}

char *
hako_strdup_printf (const char *fmt, ...)
{
  char *out;
  va_list ap;
  va_start (ap, fmt);
  int r = vasprintf (&out, fmt, ap);
  va_end (ap);
  if (r < 0)
    oom ();
  return out;
}

int
hako_error_setv (hako_error_t **err, int errnum, const char *fmt, va_list ap)
{
  if (err == NULL)
    return -1;
  /* A second error must not leak the first: keep the first, it is the cause.  */
  if (*err != NULL)
    return -1;
  hako_error_t *e = hako_xcalloc (1, sizeof (*e));
  e->status = errnum;
  if (vasprintf (&e->msg, fmt, ap) < 0)
    oom ();
  *err = e;
  return -1;
}

int
hako_error_set (hako_error_t **err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  hako_error_setv (err, errnum, fmt, ap);
  va_end (ap);
  return -1;
}

void
hako_error_prefix (hako_error_t **err, const char *fmt, ...)
{
  if (err == NULL || *err == NULL)
    return;
  char *prefix;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&prefix, fmt, ap) < 0)
    oom ();
  va_end (ap);
  char *msg;
  hako_xasprintf (&msg, "%s: %s", prefix, (*err)->msg);
  free (prefix);
  free ((*err)->msg);
  (*err)->msg = msg;
}

char *
hako_error_text (const hako_error_t *err)
{
  if (err == NULL)
    return hako_xstrdup ("unknown error");
  if (err->status == 0)
    return hako_xstrdup (err->msg);
  return hako_strdup_printf ("%s: %s", err->msg, strerror (err->status));
}

void
hako_error_free (hako_error_t *err)
{
  if (err == NULL)
    return;
  free (err->msg);
  free (err);
}
