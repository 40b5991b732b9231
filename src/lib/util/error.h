/* SPDX-License-Identifier: Apache-2.0 */
/* The one error type.

   A fallible function returns an int, negative on failure, and fills *ERR,
   which must be NULL on entry.  The error belongs to whoever passed ERR; it
   is released with hako_error_free.  Callers may add context on the way up
   with hako_error_prefix.  Only the CLI prints errors and exits.  Running
   out of memory aborts, so errors are about the system and the input.  */
#ifndef HAKO_ERROR_H
#define HAKO_ERROR_H

#include <stdarg.h>
#include <stddef.h>

typedef struct hako_error
{
  int status; /* an errno value, or 0 when the failure is not a system error */
  char *msg;
} hako_error_t;

/* Record an error and return -1.  ERRNUM is usually errno; 0 for none.  */
int hako_error_set (hako_error_t **err, int errnum, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
int hako_error_setv (hako_error_t **err, int errnum, const char *fmt, va_list ap);
/* Shorthand for hako_error_set (err, errno, ...).  */
#define hako_error_sys(err, ...) hako_error_set ((err), errno, __VA_ARGS__)

/* Prepend "<prefix>: " to the message of *ERR (when there is one).  */
void hako_error_prefix (hako_error_t **err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* The message with ": strerror(status)" appended when status != 0.
   Returns a malloc'd string.  */
char *hako_error_text (const hako_error_t *err);

void hako_error_free (hako_error_t *err);
static inline void
hako_error_freep (hako_error_t **err)
{
  hako_error_free (*err);
}
#define cleanup_error __attribute__ ((cleanup (hako_error_freep)))

/* Memory: abort on exhaustion.  */
void *hako_xmalloc (size_t n);
void *hako_xcalloc (size_t n, size_t size);
void *hako_xrealloc (void *p, size_t n);
char *hako_xstrdup (const char *s);
char *hako_xstrndup (const char *s, size_t n);
int hako_xasprintf (char **out, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
char *hako_strdup_printf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

#endif
