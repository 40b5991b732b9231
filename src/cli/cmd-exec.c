/* SPDX-License-Identifier: Apache-2.0 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum
{
  O_PROCESS,
  O_TTY,
  O_CONSOLE,
  O_DETACH,
  O_PIDFILE,
  O_ENV,
  O_CWD,
  O_USER,
  O_GIDS,
  O_CAP,
  O_NNP,
  O_PRESERVE,
  O_LABEL,
  O_APPARMOR,
  O_CGROUP,
  O_IGNORE_PAUSED,
};

static const struct cli_opt exec_opts[] = {
  { "process", 'p', OPT_VALUE, O_PROCESS },
  { "tty", 't', OPT_FLAG, O_TTY },
  { "console-socket", 0, OPT_VALUE, O_CONSOLE },
  { "detach", 'd', OPT_FLAG, O_DETACH },
  { "pid-file", 0, OPT_VALUE, O_PIDFILE },
  { "env", 'e', OPT_LIST, O_ENV },
  { "cwd", 0, OPT_VALUE, O_CWD },
  { "user", 'u', OPT_VALUE, O_USER },
  { "additional-gids", 'g', OPT_LIST, O_GIDS },
  { "cap", 'c', OPT_LIST, O_CAP },
  { "no-new-privs", 0, OPT_FLAG, O_NNP },
  { "preserve-fds", 0, OPT_VALUE, O_PRESERVE },
  { "process-label", 0, OPT_VALUE, O_LABEL },
  { "apparmor", 0, OPT_VALUE, O_APPARMOR },
  { "cgroup", 0, OPT_VALUE, O_CGROUP },
  { "ignore-paused", 0, OPT_FLAG, O_IGNORE_PAUSED },
  { NULL, 0, 0, 0 },
};

static const char help[] = "Usage: hako exec [options] ID COMMAND [ARG...]\n"
                           "       hako exec [options] --process process.json ID\n\n"
                           "Run a new process inside a running container: it joins the container's\n"
                           "namespaces and cgroup and gets the container's process profile (user,\n"
                           "capabilities, rlimits, no_new_privs, seccomp, LSM labels, environment)\n"
                           "adjusted by the options below.  Exits with the process's status, or 255\n"
                           "when hako itself fails.\n\n"
                           "Options:\n"
                           "  -p, --process FILE        the process as runtime-spec JSON (\"-\" for stdin)\n"
                           "  -t, --tty                 allocate a pseudo-terminal\n"
                           "  --console-socket PATH     send the pty master over this unix socket (with -d)\n"
                           "  -d, --detach              return once the process has started\n"
                           "  --pid-file FILE           write the process's host pid to FILE\n"
                           "  -e, --env K=V             set an environment variable (repeatable)\n"
                           "  --cwd DIR                 the working directory in the container\n"
                           "  -u, --user UID[:GID]      the user and group ids\n"
                           "  -g, --additional-gids G   a supplementary group (repeatable)\n"
                           "  -c, --cap CAP             add a capability to every set (repeatable)\n"
                           "  --no-new-privs            set no_new_privs\n"
                           "  --preserve-fds N          pass descriptors 3 .. 3+N-1\n"
                           "  --process-label LABEL     the SELinux label of the process\n"
                           "  --apparmor PROFILE        the AppArmor profile of the process\n"
                           "  --cgroup [CTRL:]PATH      join this sub-cgroup of the container's\n"
                           "  --ignore-paused           exec even into a paused container\n";

int
cmd_exec (hako_context_t *ctx, int argc, char **argv)
{
  /* Options stop at the id: what follows is the command.  */
  int id_at = -1;
  for (int i = 0; i < argc; i++)
    {
      if (argv[i][0] != '-')
        {
          /* Skip the value of a value-taking option.  */
          if (i > 0 && argv[i - 1][0] == '-' && strchr (argv[i - 1], '=') == NULL)
            {
              const char *n = argv[i - 1] + 1 + (argv[i - 1][1] == '-');
              bool takes = false;
              for (const struct cli_opt *o = exec_opts; o->name; o++)
                if (o->kind != OPT_FLAG
                    && (strcmp (o->name, n) == 0 || (o->short_name && n[0] == o->short_name && n[1] == 0)))
                  takes = true;
              if (takes)
                continue;
            }
          id_at = i;
          break;
        }
      if (strcmp (argv[i], "--") == 0)
        break;
    }
  if (cli_wants_help (id_at >= 0 ? id_at : argc, argv))
    {
      fputs (help, stdout);
      return 0;
    }
  struct cli_parsed p;
  /* Usage errors exit 1 as runc's do; 255 is for an exec that failed.  */
  if (cli_parse ("exec", argc, argv, exec_opts, 1, &p) < 0)
    return 1;
  int rc = 0;
  if (p.nargs < 1)
    rc = cli_usage_error ("exec", "a container id is required");
  else if (p.value[O_PROCESS] && p.nargs > 1)
    rc = cli_usage_error ("exec", "give either --process or a command, not both");
  else if (! p.value[O_PROCESS] && p.nargs < 2)
    rc = cli_usage_error ("exec", "a command is required (or --process)");
  if (rc)
    {
      cli_parsed_free (&p);
      return rc;
    }
  struct hako_exec_options o = {
    .id = p.args[0],
    .process_file = p.value[O_PROCESS],
    .args = p.args + 1,
    .tty = cli_bool (&p, O_TTY),
    .tty_set = p.set[O_TTY],
    .console_socket = p.value[O_CONSOLE],
    .detach = cli_bool (&p, O_DETACH),
    .pid_file = p.value[O_PIDFILE],
    .env = p.list[O_ENV],
    .cwd = p.value[O_CWD],
    .user = p.value[O_USER],
    .additional_gids = p.list[O_GIDS],
    .caps = p.list[O_CAP],
    .no_new_privs = cli_bool (&p, O_NNP),
    .process_label = p.value[O_LABEL],
    .apparmor = p.value[O_APPARMOR],
    .cgroup = p.value[O_CGROUP],
    .ignore_paused = cli_bool (&p, O_IGNORE_PAUSED),
  };
  if (p.value[O_PRESERVE])
    o.preserve_fds = atoi (p.value[O_PRESERVE]);
  hako_error_t *err = NULL;
  int status = 0;
  if (hako_container_exec (ctx, &o, &status, &err) < 0)
    rc = cli_fail (err, 255);
  else
    rc = status;
  cli_parsed_free (&p);
  return rc;
}
