/* SPDX-License-Identifier: Apache-2.0 */
/* The commands that take an id and nothing else: start, state, pause,
   resume.  */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const struct cli_opt no_opts[] = { { NULL, 0, 0, 0 } };

static int
one_id (const char *cmd, const char *help, int argc, char **argv, const char **id)
{
  if (cli_wants_help (argc, argv))
    {
      fputs (help, stdout);
      return 0;
    }
  struct cli_parsed p;
  if (cli_parse (cmd, argc, argv, no_opts, 0, &p) < 0)
    return 1;
  int rc = -1;
  if (p.nargs != 1)
    rc = cli_usage_error (cmd, p.nargs == 0 ? "a container id is required" : "exactly one container id is expected");
  else
    *id = p.args[0];
  cli_parsed_free (&p);
  return rc;
}

int
cmd_start (hako_context_t *ctx, int argc, char **argv)
{
  const char *id;
  int r = one_id ("start", "Usage: hako start ID\n\nStart the process of a created container.\n", argc, argv, &id);
  if (r >= 0)
    return r;
  hako_error_t *err = NULL;
  return hako_container_start (ctx, id, &err) < 0 ? cli_fail (err, 1) : 0;
}

int
cmd_state (hako_context_t *ctx, int argc, char **argv)
{
  const char *id;
  int r = one_id ("state",
                  "Usage: hako state ID\n\nPrint the state of a container as JSON (runtime-spec state plus\n"
                  "rootfs, created and owner, as runc prints them).\n",
                  argc, argv, &id);
  if (r >= 0)
    return r;
  hako_error_t *err = NULL;
  char *json = NULL;
  if (hako_container_state (ctx, id, &json, &err) < 0)
    return cli_fail (err, 1);
  fputs (json, stdout);
  free (json);
  return 0;
}

int
cmd_pause (hako_context_t *ctx, int argc, char **argv)
{
  const char *id;
  int r = one_id ("pause",
                  "Usage: hako pause ID\n\nFreeze every process of a container (freezer v1, cgroup.freeze v2).\n", argc,
                  argv, &id);
  if (r >= 0)
    return r;
  hako_error_t *err = NULL;
  return hako_container_pause (ctx, id, &err) < 0 ? cli_fail (err, 1) : 0;
}

int
cmd_resume (hako_context_t *ctx, int argc, char **argv)
{
  const char *id;
  int r = one_id ("resume", "Usage: hako resume ID\n\nThaw a paused container.\n", argc, argv, &id);
  if (r >= 0)
    return r;
  hako_error_t *err = NULL;
  return hako_container_resume (ctx, id, &err) < 0 ? cli_fail (err, 1) : 0;
}
