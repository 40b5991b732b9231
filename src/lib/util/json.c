/* SPDX-License-Identifier: Apache-2.0 */
#include <config.h>

#include "json-support.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

#include <yajl/yajl_parse.h>

static bool
simple_key (const char *k)
{
  if (*k == '\0')
    return false;
  for (const char *p = k; *p; p++)
    if (! ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
      return false;
  return true;
}

char *
hako_json_quote (const char *s)
{
  size_t len = strlen (s);
  /* Worst case: every byte becomes \u00XX (or U+FFFD, 3 bytes).  */
  char *out = hako_xmalloc (len * 6 + 3);
  char *w = out;
  *w++ = '"';
  for (size_t i = 0; i < len;)
    {
      unsigned char c = (unsigned char) s[i];
      if (c == '"' || c == '\\')
        {
          *w++ = '\\';
          *w++ = (char) c;
          i++;
        }
      else if (c < 0x20 || c == 0x7f)
        {
          w += sprintf (w, "\\u%04x", c);
          i++;
        }
      else if (c < 0x80)
        *w++ = s[i++];
      else
        {
          size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
          if (i + n <= len && hako_utf8_valid (s + i, n))
            {
              memcpy (w, s + i, n);
              w += n;
              i += n;
            }
          else
            {
              memcpy (w, "\xef\xbf\xbd", 3);
              w += 3;
              i++;
            }
        }
    }
  *w++ = '"';
  *w = '\0';
  return out;
}

char *
hako_jpath_render (const hako_jpath_t *p)
{
  const hako_jpath_t *steps[256];
  size_t n = 0;
  for (; p != NULL && n < 256; p = p->up)
    if (p->key != NULL || p->index != (size_t) -1)
      steps[n++] = p;
  size_t cap = 64, len = 0;
  char *out = hako_xmalloc (cap);
  out[0] = '\0';
  while (n-- > 0)
    {
      const hako_jpath_t *s = steps[n];
      char buf[64];
      const char *piece;
      cleanup_free char *tmp = NULL;
      if (s->key == NULL)
        {
          snprintf (buf, sizeof buf, "[%zu]", s->index);
          piece = buf;
        }
      else if (simple_key (s->key))
        piece = tmp = hako_strdup_printf ("%s%s", len ? "." : "", s->key);
      else
        {
          cleanup_free char *q = hako_json_quote (s->key);
          piece = tmp = hako_strdup_printf ("[%s]", q);
        }
      size_t pl = strlen (piece);
      while (len + pl + 1 > cap)
        cap *= 2;
      out = hako_xrealloc (out, cap);
      memcpy (out + len, piece, pl + 1);
      len += pl;
    }
  if (len == 0)
    {
      free (out);
      return hako_xstrdup ("(top level)");
    }
  return out;
}

static hako_json_sink_t *
jpath_sink (const hako_jpath_t *path)
{
  while (path != NULL && path->up != NULL)
    path = path->up;
  return path ? path->sink : NULL;
}

bool
hako_jpath_collecting (const hako_jpath_t *path)
{
  return jpath_sink (path) != NULL;
}

void
hako_json_sink_clear (hako_json_sink_t *s)
{
  for (size_t i = 0; i < s->len; i++)
    free (s->msgs[i]);
  free (s->msgs);
  s->msgs = NULL;
  s->len = 0;
}

int
hako_json_error (hako_error_t **err, const hako_jpath_t *path, const char *fmt, ...)
{
  cleanup_free char *p = hako_jpath_render (path);
  cleanup_free char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  hako_json_sink_t *sink = jpath_sink (path);
  if (sink != NULL)
    {
      sink->msgs = hako_xrealloc (sink->msgs, (sink->len + 1) * sizeof (char *));
      sink->msgs[sink->len++] = hako_strdup_printf ("%s: %s", p, msg);
      return -1;
    }
  return hako_error_set (err, 0, "%s: %s", p, msg);
}

const char *
hako_json_type_name (yajl_val v)
{
  if (v == NULL || YAJL_IS_NULL (v))
    return "null";
  if (YAJL_IS_STRING (v))
    return "string";
  if (YAJL_IS_INTEGER (v))
    return "integer";
  if (YAJL_IS_NUMBER (v))
    {
      /* An integer too large for int64 still reads as an integer to a user. */
      const char *r = v->u.number.r;
      if (r && strpbrk (r, ".eE") == NULL)
        return "integer";
      return "number";
    }
  if (YAJL_IS_OBJECT (v))
    return "object";
  if (YAJL_IS_ARRAY (v))
    return "array";
  if (YAJL_IS_TRUE (v) || YAJL_IS_FALSE (v))
    return "boolean";
  return "unknown";
}

int
hako_json_type_error (hako_error_t **err, const hako_jpath_t *path, const char *expected, yajl_val got)
{
  return hako_json_error (err, path, "expected %s, got %s", expected, hako_json_type_name (got));
}

int
hako_json_get_bool (yajl_val v, const hako_jpath_t *path, bool *out, hako_error_t **err)
{
  if (YAJL_IS_TRUE (v))
    *out = true;
  else if (YAJL_IS_FALSE (v))
    *out = false;
  else
    return hako_json_type_error (err, path, "boolean", v);
  return 0;
}

int
hako_json_get_string (yajl_val v, const hako_jpath_t *path, char **out, hako_error_t **err)
{
  if (! YAJL_IS_STRING (v))
    return hako_json_type_error (err, path, "string", v);
  free (*out);
  *out = hako_xstrdup (v->u.string);
  return 0;
}

/* Numbers in messages are cut at 40 characters.  */
#define ELLIPSIS(r) (strlen (r) > 40 ? "..." : "")

int
hako_json_get_double (yajl_val v, const hako_jpath_t *path, double *out, hako_error_t **err)
{
  if (! YAJL_IS_NUMBER (v))
    return hako_json_type_error (err, path, "number", v);
  if (! (v->u.number.flags & YAJL_NUMBER_DOUBLE_VALID))
    return hako_json_error (err, path, "%.40s%s is out of range for a number", v->u.number.r, ELLIPSIS (v->u.number.r));
  *out = v->u.number.d;
  return 0;
}

/* The raw text of an integer literal, or NULL when V is not one.  */
static const char *
integer_text (yajl_val v)
{
  if (! YAJL_IS_NUMBER (v) || v->u.number.r == NULL)
    return NULL;
  const char *r = v->u.number.r;
  if (strpbrk (r, ".eE") != NULL)
    return NULL;
  return r;
}

int
hako_json_get_u64 (yajl_val v, const hako_jpath_t *path, uint64_t lo, uint64_t hi, uint64_t *out, hako_error_t **err)
{
  const char *r = integer_text (v);
  if (r == NULL)
    return hako_json_type_error (err, path, "integer", v);
  if (r[0] == '-')
    return hako_json_error (err, path, "%.40s%s is out of range (%" PRIu64 "..%" PRIu64 ")", r, ELLIPSIS (r), lo, hi);
  errno = 0;
  char *end;
  unsigned long long x = strtoull (r, &end, 10);
  if (errno == ERANGE || *end != '\0' || x < lo || x > hi)
    return hako_json_error (err, path, "%.40s%s is out of range (%" PRIu64 "..%" PRIu64 ")", r, ELLIPSIS (r), lo, hi);
  *out = x;
  return 0;
}

int
hako_json_get_i64 (yajl_val v, const hako_jpath_t *path, int64_t lo, int64_t hi, int64_t *out, hako_error_t **err)
{
  const char *r = integer_text (v);
  if (r == NULL)
    return hako_json_type_error (err, path, "integer", v);
  errno = 0;
  char *end;
  long long x = strtoll (r, &end, 10);
  if (errno == ERANGE || *end != '\0' || x < lo || x > hi)
    return hako_json_error (err, path, "%.40s%s is out of range (%" PRId64 "..%" PRId64 ")", r, ELLIPSIS (r), lo, hi);
  *out = x;
  return 0;
}

int
hako_json_check_enum (const char *s, const hako_jpath_t *path, const char *const *allowed, hako_error_t **err)
{
  size_t need = 1;
  for (const char *const *a = allowed; *a; a++)
    {
      if (strcmp (*a, s) == 0)
        return 0;
      need += strlen (*a) + 2;
    }
  cleanup_free char *list = hako_xmalloc (need);
  list[0] = '\0';
  for (const char *const *a = allowed; *a; a++)
    {
      if (a != allowed)
        strcat (list, ", ");
      strcat (list, *a);
    }
  cleanup_free char *q = hako_json_quote (s);
  return hako_json_error (err, path, "unknown value %s (expected one of: %s)", q, list);
}

bool
hako_utf8_valid (const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *) s, *e = p + len;
  while (p < e)
    {
      unsigned c = *p;
      size_t n;
      unsigned min;
      if (c < 0x80)
        {
          p++;
          continue;
        }
      else if ((c & 0xe0) == 0xc0)
        n = 1, min = 0x80, c &= 0x1f;
      else if ((c & 0xf0) == 0xe0)
        n = 2, min = 0x800, c &= 0x0f;
      else if ((c & 0xf8) == 0xf0)
        n = 3, min = 0x10000, c &= 0x07;
      else
        return false;
      if ((size_t) (e - p) <= n)
        return false;
      for (size_t i = 1; i <= n; i++)
        {
          if ((p[i] & 0xc0) != 0x80)
            return false;
          c = (c << 6) | (p[i] & 0x3f);
        }
      if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return false;
      p += n + 1;
    }
  return true;
}

static int
hex4 (const char *p)
{
  int v = 0;
  for (int i = 0; i < 4; i++)
    {
      char c = p[i];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        return -1;
    }
  return v;
}

/* One pass over the text before yajl sees it, for what yajl lets through:
   - NUL bytes, and \u0000 escapes, which yajl would turn into a silently
     truncated C string ("/foo\u0000bar" must not become "/foo");
   - invalid UTF-8 (yajl accepts overlong forms and encoded surrogates)
     and unpaired surrogate escapes (which yajl turns into '?' or into
     invalid UTF-8);
   - comments, which are not JSON (yajl's tree parser always allows them,
     and they would hide strings from this scan);
   - nesting deeper than HAKO_JSON_MAX_DEPTH, so that nothing recurses
     without bound.  Errors give the line and column.  */
static int
prescan (const char *data, size_t len, hako_error_t **err)
{
  int depth = 0;
  bool in_string = false;
  const char *what = NULL;
  size_t i;
  for (i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char) data[i];
      if (c == '\0')
        {
          what = "NUL byte";
          break;
        }
      if (c >= 0x80)
        {
          size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
          if (c < 0xc2 || c > 0xf4 || i + n > len || ! hako_utf8_valid (data + i, n))
            {
              what = "invalid UTF-8";
              break;
            }
          i += n - 1;
          continue;
        }
      if (in_string)
        {
          if (c == '"')
            in_string = false;
          else if (c == '\\' && i + 1 < len)
            {
              i++;
              if (data[i] != 'u' || i + 4 >= len)
                continue;
              int u = hex4 (data + i + 1);
              if (u < 0)
                continue; /* yajl reports it */
              if (u == 0)
                {
                  what = "\\u0000 in a string";
                  i--;
                  break;
                }
              if (u >= 0xdc00 && u <= 0xdfff)
                {
                  what = "unpaired surrogate escape";
                  i--;
                  break;
                }
              if (u >= 0xd800 && u <= 0xdbff)
                {
                  int lo = (i + 10 < len && data[i + 5] == '\\' && data[i + 6] == 'u') ? hex4 (data + i + 7) : -1;
                  if (lo < 0xdc00 || lo > 0xdfff)
                    {
                      what = "unpaired surrogate escape";
                      i--;
                      break;
                    }
                  i += 6;
                }
              i += 4;
            }
          continue;
        }
      if (c == '"')
        in_string = true;
      else if (c == '/')
        {
          what = "comments are not allowed";
          break;
        }
      else if (c == '{' || c == '[')
        {
          if (++depth > HAKO_JSON_MAX_DEPTH)
            return hako_error_set (err, 0, "invalid JSON: nested deeper than %d levels", HAKO_JSON_MAX_DEPTH);
        }
      else if (c == '}' || c == ']')
        depth--;
    }
  if (what == NULL)
    return 0;
  size_t line = 1, col = 1;
  for (size_t k = 0; k < i; k++)
    {
      if (data[k] == '\n')
        line++, col = 1;
      else if (((unsigned char) data[k] & 0xc0) != 0x80)
        col++;
    }
  return hako_error_set (err, 0, "invalid JSON at line %zu, column %zu: %s", line, col, what);
}

/* Duplicate keys: the last one wins, as with Go's encoding/json, so that
   a struct field, a map entry and a free-form value all see the same
   thing.  Objects are compacted in place, keeping document order.  */
struct key_index
{
  const char *key;
  size_t pos;
};

static int
key_index_cmp (const void *a, const void *b)
{
  const struct key_index *x = a, *y = b;
  int c = strcmp (x->key, y->key);
  if (c)
    return c;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void
drop_duplicate_keys (yajl_val v)
{
  size_t n = v->u.object.len;
  if (n < 2)
    return;
  bool *drop = hako_xcalloc (n, sizeof (bool));
  bool any = false;
  if (n <= 16)
    {
      for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
          if (strcmp (v->u.object.keys[i], v->u.object.keys[j]) == 0)
            {
              drop[i] = any = true;
              break;
            }
    }
  else
    {
      struct key_index *idx = hako_xcalloc (n, sizeof (*idx));
      for (size_t i = 0; i < n; i++)
        idx[i] = (struct key_index){ v->u.object.keys[i], i };
      qsort (idx, n, sizeof (*idx), key_index_cmp);
      for (size_t i = 0; i + 1 < n; i++)
        if (strcmp (idx[i].key, idx[i + 1].key) == 0)
          drop[idx[i].pos] = any = true;
      free (idx);
    }
  if (any)
    {
      size_t w = 0;
      for (size_t i = 0; i < n; i++)
        {
          if (drop[i])
            {
              free ((char *) v->u.object.keys[i]);
              yajl_tree_free (v->u.object.values[i]);
              continue;
            }
          v->u.object.keys[w] = v->u.object.keys[i];
          v->u.object.values[w] = v->u.object.values[i];
          w++;
        }
      v->u.object.len = w;
    }
  free (drop);
}

static void
normalize_tree (yajl_val v)
{
  if (YAJL_IS_OBJECT (v))
    {
      drop_duplicate_keys (v);
      for (size_t i = 0; i < v->u.object.len; i++)
        normalize_tree (v->u.object.values[i]);
    }
  else if (YAJL_IS_ARRAY (v))
    for (size_t i = 0; i < v->u.array.len; i++)
      normalize_tree (v->u.array.values[i]);
}

yajl_val
hako_json_copy (yajl_val v)
{
  if (v == NULL)
    return NULL;
  yajl_val c = hako_xcalloc (1, sizeof (*c));
  c->type = v->type;
  switch (v->type)
    {
    case yajl_t_string:
      c->u.string = hako_xstrdup (v->u.string);
      break;
    case yajl_t_number:
      c->u.number = v->u.number;
      c->u.number.r = hako_xstrdup (v->u.number.r);
      break;
    case yajl_t_object:
      c->u.object.keys = hako_xcalloc (v->u.object.len + 1, sizeof (char *));
      c->u.object.values = hako_xcalloc (v->u.object.len + 1, sizeof (yajl_val));
      for (size_t i = 0; i < v->u.object.len; i++)
        {
          c->u.object.keys[i] = hako_xstrdup (v->u.object.keys[i]);
          c->u.object.values[i] = hako_json_copy (v->u.object.values[i]);
          c->u.object.len = i + 1;
        }
      break;
    case yajl_t_array:
      c->u.array.values = hako_xcalloc (v->u.array.len + 1, sizeof (yajl_val));
      for (size_t i = 0; i < v->u.array.len; i++)
        {
          c->u.array.values[i] = hako_json_copy (v->u.array.values[i]);
          c->u.array.len = i + 1;
        }
      break;
    default:
      break;
    }
  return c;
}

/* yajl's messages quote the input over several lines; keep the first
   line, printable ASCII only, so that a hostile document cannot put
   control characters or invalid UTF-8 into our logs.  */
static char *
clean_message (const char *m)
{
  char *out = hako_xstrdup (m);
  char *w = out;
  for (const char *p = m; *p && *p != '\n'; p++)
    {
      unsigned char c = *p;
      *w++ = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
    }
  while (w > out && (w[-1] == ' ' || w[-1] == '.'))
    w--;
  *w = '\0';
  return out;
}

/* Where the parser stopped: run it again without building a tree (only on
   the error path).  yajl counts the offending token as consumed, except
   for errors inside a string, where it stops at the bad character.  */
static void
error_position (const char *data, size_t len, const char *msg, size_t *line, size_t *col)
{
  yajl_handle h = yajl_alloc (NULL, NULL, NULL);
  size_t at = len;
  if (yajl_parse (h, (const unsigned char *) data, len) != yajl_status_ok)
    {
      at = yajl_get_bytes_consumed (h);
      if (at > len)
        at = len;
      if (at > 0 && strstr (msg, "inside string") == NULL)
        at--;
    }
  yajl_free (h);
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < at; i++)
    {
      if (data[i] == '\n')
        {
          (*line)++;
          *col = 1;
        }
      else if (((unsigned char) data[i] & 0xc0) != 0x80)
        (*col)++;
    }
}

yajl_val
hako_json_parse_tree (const char *data, size_t len, const char *source, hako_error_t **err)
{
  if (len > HAKO_JSON_MAX_SIZE)
    {
      hako_error_set (err, 0, "%s: document too large (%zu bytes)", source, len);
      return NULL;
    }
  if (prescan (data, len, err) < 0)
    {
      hako_error_prefix (err, "%s", source);
      return NULL;
    }
  char buf[512];
  buf[0] = '\0';
  yajl_val tree = yajl_tree_parse (data, buf, sizeof buf);
  if (tree == NULL)
    {
      cleanup_free char *m = clean_message (buf[0] ? buf : "parse error");
      size_t line, col;
      error_position (data, len, m, &line, &col);
      if (strspn (data, " \t\r\n") == len)
        hako_error_set (err, 0, "%s: invalid JSON: empty document", source);
      else
        hako_error_set (err, 0, "%s: invalid JSON at line %zu, column %zu: %s", source, line, col, m);
      return NULL;
    }
  normalize_tree (tree);
  return tree;
}

char *
hako_json_read_fd (int fd, const char *name, size_t *len, hako_error_t **err)
{
  size_t cap = 8192, n = 0;
  struct stat st;
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > 0)
    cap = (size_t) st.st_size + 1;
  char *buf = hako_xmalloc (cap);
  for (;;)
    {
      if (n + 1 >= cap)
        {
          if (cap > HAKO_JSON_MAX_SIZE)
            {
              free (buf);
              hako_error_set (err, 0, "%s: document too large", name);
              return NULL;
            }
          cap *= 2;
          buf = hako_xrealloc (buf, cap);
        }
      ssize_t r = read (fd, buf + n, cap - n - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          free (buf);
          hako_error_sys (err, "read `%s`", name);
          return NULL;
        }
      if (r == 0)
        break;
      n += (size_t) r;
    }
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

char *
hako_json_read_file (const char *file, size_t *len, hako_error_t **err)
{
  cleanup_close int fd = open (file, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      hako_error_sys (err, "open `%s`", file);
      return NULL;
    }
  return hako_json_read_fd (fd, file, len, err);
}

void
hako_json_free (yajl_val v)
{
  if (v)
    yajl_tree_free (v);
}

yajl_gen
hako_json_gen_new (int flags)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  if (g == NULL)
    abort ();
  if (flags & HAKO_JSON_PRETTY)
    {
      yajl_gen_config (g, yajl_gen_beautify, 1);
      yajl_gen_config (g, yajl_gen_indent_string, (flags & HAKO_JSON_TABS) ? "\t" : "  ");
    }
  return g;
}

char *
hako_json_gen_finish (yajl_gen g, size_t *len)
{
  const unsigned char *buf;
  size_t n;
  yajl_gen_get_buf (g, &buf, &n);
  while (n > 0 && buf[n - 1] == '\n')
    n--;
  char *out = hako_xstrndup ((const char *) buf, n);
  yajl_gen_free (g);
  if (len)
    *len = n;
  return out;
}

yajl_gen_status
hako_json_gen_key (yajl_gen g, const char *key)
{
  return hako_json_gen_string (g, key);
}

yajl_gen_status
hako_json_gen_string (yajl_gen g, const char *s)
{
  if (s == NULL)
    return yajl_gen_null (g);
  size_t len = strlen (s);
  if (hako_utf8_valid (s, len))
    return yajl_gen_string (g, (const unsigned char *) s, len);
  /* Replace each invalid byte with U+FFFD, as Go's encoder does.  */
  cleanup_free char *fixed = hako_xmalloc (len * 3 + 1);
  size_t w = 0;
  for (size_t i = 0; i < len;)
    {
      size_t n = 1;
      unsigned char c = s[i];
      if (c >= 0xc0 && c < 0xf8)
        n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
      if (c < 0x80 || (i + n <= len && hako_utf8_valid (s + i, n)))
        {
          memcpy (fixed + w, s + i, n);
          w += n;
          i += n;
        }
      else
        {
          memcpy (fixed + w, "\xef\xbf\xbd", 3);
          w += 3;
          i++;
        }
    }
  return yajl_gen_string (g, (const unsigned char *) fixed, w);
}

yajl_gen_status
hako_json_gen_u64 (yajl_gen g, uint64_t v)
{
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%" PRIu64, v);
  return yajl_gen_number (g, buf, (size_t) n);
}

yajl_gen_status
hako_json_gen_tree (yajl_gen g, yajl_val v)
{
  yajl_gen_status s = yajl_gen_status_ok;
  if (v == NULL || YAJL_IS_NULL (v))
    return yajl_gen_null (g);
  if (YAJL_IS_STRING (v))
    return hako_json_gen_string (g, v->u.string);
  if (YAJL_IS_NUMBER (v))
    return yajl_gen_number (g, v->u.number.r, strlen (v->u.number.r));
  if (YAJL_IS_TRUE (v))
    return yajl_gen_bool (g, 1);
  if (YAJL_IS_FALSE (v))
    return yajl_gen_bool (g, 0);
  if (YAJL_IS_OBJECT (v))
    {
      if ((s = yajl_gen_map_open (g)) != yajl_gen_status_ok)
        return s;
      for (size_t i = 0; i < v->u.object.len; i++)
        {
          if ((s = hako_json_gen_string (g, v->u.object.keys[i])) != yajl_gen_status_ok)
            return s;
          if ((s = hako_json_gen_tree (g, v->u.object.values[i])) != yajl_gen_status_ok)
            return s;
        }
      return yajl_gen_map_close (g);
    }
  if (YAJL_IS_ARRAY (v))
    {
      if ((s = yajl_gen_array_open (g)) != yajl_gen_status_ok)
        return s;
      for (size_t i = 0; i < v->u.array.len; i++)
        if ((s = hako_json_gen_tree (g, v->u.array.values[i])) != yajl_gen_status_ok)
          return s;
      return yajl_gen_array_close (g);
    }
  return yajl_gen_null (g);
}
