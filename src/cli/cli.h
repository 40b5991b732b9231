/* SPDX-License-Identifier: Apache-2.0 */
/* The command line: global options, the command table, and an option
   parser that takes what runc's callers pass (--flag value, --flag=value,
   single-dash long flags, bool flags with =true/false).  */
#ifndef HAKO_CLI_H
#define HAKO_CLI_H

#include <stdbool.h>

#include "hako.h"

enum opt_kind
{
  OPT_FLAG,  /* bool; accepts =true/false */
  OPT_VALUE, /* takes a value */
  OPT_LIST,  /* takes a value, repeatable */
};

struct cli_opt
{
  const char *name; /* long name without dashes */
  char short_name;  /* 0 if none */
  enum opt_kind kind;
  int id;
};

struct cli_parsed
{
  /* values by id (the last one for OPT_VALUE, all for OPT_LIST) */
  const char *value[64];
  bool set[64];
  char **list[64];
  int list_len[64];
  char **args; /* positional arguments */
  int nargs;
};

/* Parse ARGV[0..ARGC) (without the command name).  STOP_AT: stop taking
   options after this many positional arguments (0: interleave freely; the
   rest after `--` is positional anyway).  Returns 0, or -1 after printing
   a usage error.  */
int cli_parse (const char *cmd, int argc, char **argv, const struct cli_opt *opts, int stop_at, struct cli_parsed *out);
void cli_parsed_free (struct cli_parsed *p);
bool cli_bool (const struct cli_parsed *p, int id);

/* Report a usage error for CMD and return the exit code (1).  */
int cli_usage_error (const char *cmd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Log ERR and return exit code 1 (or CODE).  */
int cli_fail (hako_error_t *err, int code);
bool cli_wants_help (int argc, char **argv);

typedef int (*cli_command_fn) (hako_context_t *ctx, int argc, char **argv);

struct cli_command
{
  const char *name;
  cli_command_fn fn;
  const char *summary;
};

#define DECLARE_CMD(n) int cmd_##n (hako_context_t *ctx, int argc, char **argv)
DECLARE_CMD (create);
DECLARE_CMD (start);
DECLARE_CMD (run);
DECLARE_CMD (state);
DECLARE_CMD (kill);
DECLARE_CMD (delete);
DECLARE_CMD (exec);
DECLARE_CMD (list);
DECLARE_CMD (ps);
DECLARE_CMD (pause);
DECLARE_CMD (resume);
DECLARE_CMD (update);
DECLARE_CMD (events);
DECLARE_CMD (spec);
DECLARE_CMD (features);
DECLARE_CMD (validate);
DECLARE_CMD (checkpoint);
DECLARE_CMD (restore);

#endif
