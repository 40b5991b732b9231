/* SPDX-License-Identifier: Apache-2.0 */
/* kill and delete.  */
#include <config.h>

#include <signal.h>
#include <stdio.h>

#include "cli.h"
#include "process.h"

enum
{
  O_ALL,
  O_FORCE,
  O_REGEX,
};

static const struct cli_opt kill_opts[] = {
  { "all", 'a', OPT_FLAG, O_ALL },
  { NULL, 0, 0, 0 },
};

static const struct cli_opt delete_opts[] = {
  { "force", 'f', OPT_FLAG, O_FORCE },
  { NULL, 0, 0, 0 },
};

int
cmd_kill (hako_context_t *ctx, int argc, char **argv)
{
  if (cli_wants_help (argc, argv))
    {
      fputs ("Usage: hako kill [--all] ID [SIGNAL]\n\n"
             "Send SIGNAL (default SIGTERM) to the container's init.  SIGNAL is a name,\n"
             "with or without SIG (TERM, SIGKILL, RTMIN+1), or a number; 0 sends nothing\n"
             "and only checks that the container's init runs.\n\n"
             "Options:\n"
             "  -a, --all   signal every process of the container (its cgroup)\n",
             stdout);
      return 0;
    }
  struct cli_parsed p;
  if (cli_parse ("kill", argc, argv, kill_opts, 0, &p) < 0)
    return 1;
  int rc;
  if (p.nargs < 1 || p.nargs > 2)
    rc = cli_usage_error ("kill", p.nargs == 0 ? "a container id is required" : "expected ID [SIGNAL]");
  else
    {
      int sig = p.nargs == 2 ? hako_signal_from_name (p.args[1]) : SIGTERM;
      if (sig < 0)
        rc = cli_usage_error ("kill", "unknown signal `%s`", p.args[1]);
      else
        {
          hako_error_t *err = NULL;
          rc = hako_container_kill (ctx, p.args[0], sig, cli_bool (&p, O_ALL), &err) < 0 ? cli_fail (err, 1) : 0;
        }
    }
  cli_parsed_free (&p);
  return rc;
}

int
cmd_delete (hako_context_t *ctx, int argc, char **argv)
{
  if (cli_wants_help (argc, argv))
    {
      fputs ("Usage: hako delete [--force] ID\n\n"
             "Delete a stopped (or created) container: its cgroup, its state, and then\n"
             "its poststop hooks.\n\n"
             "Options:\n"
             "  -f, --force   kill a running container first; remove whatever a failed\n"
             "                create left; succeed when the container does not exist\n",
             stdout);
      return 0;
    }
  struct cli_parsed p;
  if (cli_parse ("delete", argc, argv, delete_opts, 0, &p) < 0)
    return 1;
  int rc;
  if (p.nargs != 1)
    rc = cli_usage_error ("delete",
                          p.nargs == 0 ? "a container id is required" : "exactly one container id is expected");
  else
    {
      hako_error_t *err = NULL;
      rc = hako_container_delete (ctx, p.args[0], cli_bool (&p, O_FORCE), &err) < 0 ? cli_fail (err, 1) : 0;
    }
  cli_parsed_free (&p);
  return rc;
}
