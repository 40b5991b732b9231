/* SPDX-License-Identifier: Apache-2.0 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"

int
cli_usage_error (const char *cmd, const char *fmt, ...)
{
  char *msg;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  hako_error_t *e = NULL;
  if (cmd)
    hako_error_set (&e, 0, "%s: %s (see `hako %s --help`)", cmd, msg, cmd);
  else
    hako_error_set (&e, 0, "%s (see `hako --help`)", msg);
  free (msg);
  hako_log_error (e);
  hako_error_free (e);
  return 1;
}

int
cli_fail (hako_error_t *err, int code)
{
  hako_log_error (err);
  hako_error_free (err);
  return code;
}

bool
cli_wants_help (int argc, char **argv)
{
  for (int i = 0; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        return false;
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "-help") == 0)
        return true;
    }
  return false;
}

static const struct cli_opt *
find_long (const struct cli_opt *opts, const char *name, size_t len)
{
  for (const struct cli_opt *o = opts; o->name; o++)
    if (strlen (o->name) == len && strncmp (o->name, name, len) == 0)
      return o;
  return NULL;
}

static const struct cli_opt *
find_short (const struct cli_opt *opts, char c)
{
  for (const struct cli_opt *o = opts; o->name; o++)
    if (o->short_name == c)
      return o;
  return NULL;
}

static void
store (struct cli_parsed *out, const struct cli_opt *o, const char *value)
{
  out->set[o->id] = true;
  if (o->kind == OPT_LIST)
    {
      out->list[o->id] = realloc (out->list[o->id], (size_t) (out->list_len[o->id] + 2) * sizeof (char *));
      out->list[o->id][out->list_len[o->id]++] = (char *) value;
      out->list[o->id][out->list_len[o->id]] = NULL;
    }
  out->value[o->id] = value;
}

static int parse_args (const char *cmd, int argc, char **argv, const struct cli_opt *opts, int stop_at,
                       struct cli_parsed *out);

/* On a usage error nothing is left for the caller to free.  */
int
cli_parse (const char *cmd, int argc, char **argv, const struct cli_opt *opts, int stop_at, struct cli_parsed *out)
{
  int r = parse_args (cmd, argc, argv, opts, stop_at, out);
  if (r < 0)
    cli_parsed_free (out);
  return r;
}

static int
parse_args (const char *cmd, int argc, char **argv, const struct cli_opt *opts, int stop_at, struct cli_parsed *out)
{
  memset (out, 0, sizeof (*out));
  out->args = calloc ((size_t) argc + 1, sizeof (char *));
  bool options_done = false;
  for (int i = 0; i < argc; i++)
    {
      char *a = argv[i];
      if (options_done || a[0] != '-' || a[1] == '\0')
        {
          out->args[out->nargs++] = a;
          if (stop_at > 0 && out->nargs == stop_at && ! options_done)
            {
              options_done = true;
              /* `exec ID -- CMD`, `ps ID -- PS-ARGS`: the separator is ours. */
              if (i + 1 < argc && strcmp (argv[i + 1], "--") == 0)
                i++;
            }
          continue;
        }
      if (strcmp (a, "--") == 0)
        {
          options_done = true;
          continue;
        }
      const struct cli_opt *o = NULL;
      const char *inline_value = NULL;
      const char *name = a + 1 + (a[1] == '-');
      const char *eq = strchr (name, '=');
      size_t nl = eq ? (size_t) (eq - name) : strlen (name);
      o = find_long (opts, name, nl);
      if (o)
        inline_value = eq ? eq + 1 : NULL;
      else if (a[1] != '-')
        {
          /* -x, -xVALUE, or a cluster of short flags -dt.  */
          for (const char *s = a + 1; *s; s++)
            {
              const struct cli_opt *so = find_short (opts, *s);
              if (so == NULL)
                return cli_usage_error (cmd, "unknown option `-%c`", *s), -1;
              if (so->kind == OPT_FLAG)
                {
                  store (out, so, "true");
                  continue;
                }
              if (s[1])
                store (out, so, s[1] == '=' ? s + 2 : s + 1);
              else if (i + 1 < argc)
                store (out, so, argv[++i]);
              else
                return cli_usage_error (cmd, "option `-%c` needs a value", *s), -1;
              break;
            }
          continue;
        }
      if (o == NULL)
        return cli_usage_error (cmd, "unknown option `%s`", a), -1;
      if (o->kind == OPT_FLAG)
        {
          const char *v = inline_value ? inline_value : "true";
          if (strcmp (v, "true") && strcmp (v, "false") && strcmp (v, "1") && strcmp (v, "0"))
            return cli_usage_error (cmd, "option `--%s` takes true or false, not `%s`", o->name, v), -1;
          store (out, o, (strcmp (v, "true") == 0 || strcmp (v, "1") == 0) ? "true" : "false");
          continue;
        }
      if (inline_value)
        store (out, o, inline_value);
      else if (i + 1 < argc)
        store (out, o, argv[++i]);
      else
        return cli_usage_error (cmd, "option `--%s` needs a value", o->name), -1;
    }
  return 0;
}

bool
cli_bool (const struct cli_parsed *p, int id)
{
  return p->set[id] && p->value[id] && strcmp (p->value[id], "true") == 0;
}

void
cli_parsed_free (struct cli_parsed *p)
{
  free (p->args);
  p->args = NULL;
  for (int i = 0; i < 64; i++)
    {
      free (p->list[i]);
      p->list[i] = NULL;
    }
}
