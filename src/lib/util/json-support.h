/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON layer: what generated parsers and serializers call, and the one
   place besides generated code that touches yajl.  */
#ifndef HAKO_JSON_SUPPORT_H
#define HAKO_JSON_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "error.h"

/* GNU C predefines `linux` as 1; the spec has a property of that name.  */
#undef linux

/* Documents nested deeper than this are rejected before parsing.  */
#define HAKO_JSON_MAX_DEPTH 128
/* Documents larger than this are rejected (a config is a few KiB).  */
#define HAKO_JSON_MAX_SIZE (64u << 20)

#define HAKO_JSON_PRETTY 1
#define HAKO_JSON_TABS 2 /* with PRETTY: indent with tabs */

/* A JSON path, built on the stack while descending and rendered only
   when an error is reported: each step is a key or an array index.  */
typedef struct hako_jpath
{
  const struct hako_jpath *up;
  const char *key; /* NULL for an array element or the root */
  size_t index;    /* (size_t) -1 unless an array element */
  /* At the root only: when set, parse errors are collected here and
     parsing goes on past them (hako validate lists every one).  */
  struct hako_json_sink *sink;
} hako_jpath_t;

typedef struct hako_json_sink
{
  char **msgs; /* "path: what was expected" */
  size_t len;
} hako_json_sink_t;
void hako_json_sink_clear (hako_json_sink_t *s);

/* Whether the root of PATH collects errors instead of stopping at one.  */
bool hako_jpath_collecting (const hako_jpath_t *path);

char *hako_jpath_render (const hako_jpath_t *p);
/* S as a JSON string literal with its quotes (malloc'd): control bytes
   escaped, invalid UTF-8 replaced by U+FFFD; safe to put in a message.  */
char *hako_json_quote (const char *s);

/* Parse text into a tree, rejecting NUL bytes, \u0000 escapes, invalid
   UTF-8, unpaired surrogates, comments, excessive nesting and size.  Of
   duplicate keys in an object only the last is kept.  Returns NULL and
   fills ERR on failure.  */
yajl_val hako_json_parse_tree (const char *data, size_t len, const char *source, hako_error_t **err);
char *hako_json_read_file (const char *file, size_t *len, hako_error_t **err);
char *hako_json_read_fd (int fd, const char *name, size_t *len, hako_error_t **err);

static inline yajl_val
hako_json_take (yajl_val *slot)
{
  yajl_val v = *slot;
  *slot = NULL;
  return v;
}
void hako_json_free (yajl_val v);
/* A deep copy of V (NULL for NULL), freed with hako_json_free.  */
yajl_val hako_json_copy (yajl_val v);

/* Typed getters: on a type or range error they fill ERR with
   "<path>: expected X, got Y" (or add it to the root's sink) and return
   -1.  */
int hako_json_error (hako_error_t **err, const hako_jpath_t *path, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
int hako_json_type_error (hako_error_t **err, const hako_jpath_t *path, const char *expected, yajl_val got);
int hako_json_get_bool (yajl_val v, const hako_jpath_t *path, bool *out, hako_error_t **err);
int hako_json_get_string (yajl_val v, const hako_jpath_t *path, char **out, hako_error_t **err);
int hako_json_get_double (yajl_val v, const hako_jpath_t *path, double *out, hako_error_t **err);
int hako_json_get_u64 (yajl_val v, const hako_jpath_t *path, uint64_t lo, uint64_t hi, uint64_t *out,
                       hako_error_t **err);
int hako_json_get_i64 (yajl_val v, const hako_jpath_t *path, int64_t lo, int64_t hi, int64_t *out, hako_error_t **err);
int hako_json_check_enum (const char *s, const hako_jpath_t *path, const char *const *allowed, hako_error_t **err);
const char *hako_json_type_name (yajl_val v);

/* Serializing.  */
yajl_gen hako_json_gen_new (int flags);
/* Finish G, free it, and return its text as a malloc'd NUL-terminated
   string; *LEN (if not NULL) receives the length without trailing newline. */
char *hako_json_gen_finish (yajl_gen g, size_t *len);
yajl_gen_status hako_json_gen_key (yajl_gen g, const char *key);
/* Invalid UTF-8 is replaced by U+FFFD so that the output is always JSON.  */
yajl_gen_status hako_json_gen_string (yajl_gen g, const char *s);
yajl_gen_status hako_json_gen_u64 (yajl_gen g, uint64_t v);
yajl_gen_status hako_json_gen_tree (yajl_gen g, yajl_val v);
bool hako_utf8_valid (const char *s, size_t len);

#endif
