/* SPDX-License-Identifier: Apache-2.0 */
/* create and run share their options.  */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum
{
  O_BUNDLE,
  O_CONFIG,
  O_CONSOLE,
  O_PIDFILE,
  O_NOPIVOT,
  O_NOKEYRING,
  O_PRESERVE,
  O_DETACH,
  O_KEEP,
  O_NOSUBREAPER,
};

static const struct cli_opt create_opts[] = {
  { "bundle", 'b', OPT_VALUE, O_BUNDLE },
  { "config", 'f', OPT_VALUE, O_CONFIG },
  { "console-socket", 0, OPT_VALUE, O_CONSOLE },
  { "pid-file", 0, OPT_VALUE, O_PIDFILE },
  { "no-pivot", 0, OPT_FLAG, O_NOPIVOT },
  { "no-new-keyring", 0, OPT_FLAG, O_NOKEYRING },
  { "preserve-fds", 0, OPT_VALUE, O_PRESERVE },
  { "no-subreaper", 0, OPT_FLAG, O_NOSUBREAPER },
  { NULL, 0, 0, 0 },
};

static const struct cli_opt run_opts[] = {
  { "bundle", 'b', OPT_VALUE, O_BUNDLE },
  { "config", 'f', OPT_VALUE, O_CONFIG },
  { "console-socket", 0, OPT_VALUE, O_CONSOLE },
  { "pid-file", 0, OPT_VALUE, O_PIDFILE },
  { "no-pivot", 0, OPT_FLAG, O_NOPIVOT },
  { "no-new-keyring", 0, OPT_FLAG, O_NOKEYRING },
  { "preserve-fds", 0, OPT_VALUE, O_PRESERVE },
  { "detach", 'd', OPT_FLAG, O_DETACH },
  { "keep", 0, OPT_FLAG, O_KEEP },
  { "no-subreaper", 0, OPT_FLAG, O_NOSUBREAPER },
  { NULL, 0, 0, 0 },
};

static const char create_help[]
    = "Usage: hako create [options] ID\n\n"
      "Create a container from a bundle: everything is set up and the init waits,\n"
      "before the user process, until `hako start ID`.\n\n"
      "Options:\n"
      "  -b, --bundle DIR          the bundle (default: the current directory)\n"
      "  -f, --config FILE         the config file, relative to the bundle (default: config.json)\n"
      "  --console-socket PATH     send the pty master of a terminal over this unix socket\n"
      "  --pid-file FILE           write the init's host pid to FILE (no trailing newline)\n"
      "  --no-pivot                move the root and chroot instead of pivot_root (ramdisk roots)\n"
      "  --no-new-keyring          keep the caller's session keyring\n"
      "  --preserve-fds N          pass descriptors 3 .. 3+N-1 to the process (plus LISTEN_FDS)\n"
      "  --no-subreaper            accepted for compatibility; meaningful only for run\n";

static const char run_help[]
    = "Usage: hako run [options] ID\n\n"
      "Create and start a container.  In the foreground (the default) hako forwards\n"
      "signals, relays a terminal, waits, deletes the container and exits with its\n"
      "status (128+N when killed by signal N).\n\n"
      "Options:\n"
      "  -b, --bundle DIR          the bundle (default: the current directory)\n"
      "  -f, --config FILE         the config file, relative to the bundle (default: config.json)\n"
      "  -d, --detach              return once the process has started\n"
      "  --keep                    do not delete the container when it exits\n"
      "  --console-socket PATH     send the pty master of a terminal over this unix socket (with -d)\n"
      "  --pid-file FILE           write the init's host pid to FILE\n"
      "  --no-pivot                move the root and chroot instead of pivot_root\n"
      "  --no-new-keyring          keep the caller's session keyring\n"
      "  --preserve-fds N          pass descriptors 3 .. 3+N-1 to the process\n"
      "  --no-subreaper            do not make hako a child subreaper while it waits\n";

static int
common (hako_context_t *ctx, int argc, char **argv, bool run)
{
  const char *cmd = run ? "run" : "create";
  if (cli_wants_help (argc, argv))
    {
      fputs (run ? run_help : create_help, stdout);
      return 0;
    }
  struct cli_parsed p;
  if (cli_parse (cmd, argc, argv, run ? run_opts : create_opts, 0, &p) < 0)
    return 1;
  int rc = 1;
  if (p.nargs != 1)
    {
      rc = cli_usage_error (cmd, p.nargs == 0 ? "a container id is required" : "exactly one container id is expected");
      goto out;
    }
  struct hako_create_options o = {
    .id = p.args[0],
    .bundle = p.value[O_BUNDLE],
    .config_file = p.value[O_CONFIG],
    .pid_file = p.value[O_PIDFILE],
    .console_socket = p.value[O_CONSOLE],
    .no_pivot = cli_bool (&p, O_NOPIVOT),
    .no_new_keyring = cli_bool (&p, O_NOKEYRING),
    .detach = cli_bool (&p, O_DETACH),
    .keep = cli_bool (&p, O_KEEP),
    .no_subreaper = cli_bool (&p, O_NOSUBREAPER),
  };
  if (p.value[O_PRESERVE])
    {
      char *end;
      long n = strtol (p.value[O_PRESERVE], &end, 10);
      if (*end || n < 0 || n > 65535)
        {
          rc = cli_usage_error (cmd, "--preserve-fds `%s`: expected a count", p.value[O_PRESERVE]);
          goto out;
        }
      o.preserve_fds = (int) n;
    }
  hako_error_t *err = NULL;
  if (run)
    {
      int status = 0;
      if (hako_container_run (ctx, &o, &status, &err) < 0)
        rc = cli_fail (err, 1);
      else
        rc = status;
    }
  else
    rc = hako_container_create (ctx, &o, &err) < 0 ? cli_fail (err, 1) : 0;
out:
  cli_parsed_free (&p);
  return rc;
}

int
cmd_create (hako_context_t *ctx, int argc, char **argv)
{
  return common (ctx, argc, argv, false);
}

int
cmd_run (hako_context_t *ctx, int argc, char **argv)
{
  return common (ctx, argc, argv, true);
}
