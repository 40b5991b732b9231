/* SPDX-License-Identifier: Apache-2.0 */
/* hako: global options, the command table, and the only place that
   exits.  */
#include <config.h>

#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"

static const struct cli_command commands[] = {
  { "checkpoint", cmd_checkpoint, "checkpoint a running container (needs criu)" },
  { "create", cmd_create, "create a container" },
  { "delete", cmd_delete, "delete a container and what it holds" },
  { "events", cmd_events, "show resource statistics of a container" },
  { "exec", cmd_exec, "run a new process inside a container" },
  { "features", cmd_features, "show what this build of hako supports" },
  { "kill", cmd_kill, "send a signal to a container's init" },
  { "list", cmd_list, "list containers" },
  { "pause", cmd_pause, "freeze every process of a container" },
  { "ps", cmd_ps, "list the processes of a container" },
  { "restore", cmd_restore, "restore a checkpointed container (needs criu)" },
  { "resume", cmd_resume, "thaw a paused container" },
  { "run", cmd_run, "create and start a container" },
  { "spec", cmd_spec, "write a default config.json" },
  { "start", cmd_start, "start the process of a created container" },
  { "state", cmd_state, "show the state of a container" },
  { "update", cmd_update, "change the resource limits of a container" },
  { "validate", cmd_validate, "check a bundle against the spec and this host" },
  { NULL, NULL, NULL },
};

static void
usage (FILE *out)
{
  fprintf (out,
           "Usage: hako [global options] COMMAND [options] [arguments]\n\n"
           "An OCI container runtime (runtime-spec %s), compatible with runc's command line.\n\n"
           "Commands:\n",
           HAKO_SPEC_VERSION);
  for (const struct cli_command *c = commands; c->name; c++)
    fprintf (out, "  %-11s %s\n", c->name, c->summary);
  fprintf (out,
           "\nGlobal options:\n"
           "  --root DIR            state directory (default /run/hako; $XDG_RUNTIME_DIR/hako when not root)\n"
           "  --log FILE            write log messages to FILE (default: stderr)\n"
           "  --log-format FORMAT   text or json (json lines as runc writes them)\n"
           "  --log-level LEVEL     error, warning, info or debug\n"
           "  --debug               log debug messages\n"
           "  --systemd-cgroup      manage cgroups through systemd (cgroupsPath is slice:prefix:name)\n"
           "  --cgroup-manager M    cgroupfs (the default), systemd (as --systemd-cgroup) or disabled (no cgroup)\n"
           "  --rootless VALUE      true, false or auto: whether cgroup errors are tolerated\n"
           "  --criu PATH           accepted for old callers and ignored (criu is not used this way)\n"
           "  -v, --version         print the version\n"
           "  -h, --help            print this help\n\n"
           "Run `hako COMMAND --help` for the options of a command.\n");
}

static void
version (void)
{
  const struct scmp_version *v = seccomp_version ();
  printf ("hako version %s\ncommit: %s\nspec: %s\nlibseccomp: %u.%u.%u\n", PACKAGE_VERSION, HAKO_COMMIT,
          HAKO_SPEC_VERSION, v->major, v->minor, v->micro);
}

enum
{
  G_ROOT,
  G_LOG,
  G_LOG_FORMAT,
  G_LOG_LEVEL,
  G_DEBUG,
  G_SYSTEMD,
  G_CGROUP_MANAGER,
  G_ROOTLESS,
  G_CRIU,
  G_VERSION,
  G_HELP,
};

static const struct cli_opt global_opts[] = {
  { "root", 0, OPT_VALUE, G_ROOT },
  { "log", 0, OPT_VALUE, G_LOG },
  { "log-format", 0, OPT_VALUE, G_LOG_FORMAT },
  { "log-level", 0, OPT_VALUE, G_LOG_LEVEL },
  { "debug", 0, OPT_FLAG, G_DEBUG },
  { "systemd-cgroup", 0, OPT_FLAG, G_SYSTEMD },
  { "cgroup-manager", 0, OPT_VALUE, G_CGROUP_MANAGER },
  { "rootless", 0, OPT_VALUE, G_ROOTLESS },
  { "criu", 0, OPT_VALUE, G_CRIU },
  { "version", 'v', OPT_FLAG, G_VERSION },
  { "help", 'h', OPT_FLAG, G_HELP },
  { NULL, 0, 0, 0 },
};

/* Whether the global option NAME (no dashes) takes a value.  */
static bool
global_takes_value (const char *name)
{
  for (const struct cli_opt *o = global_opts; o->name; o++)
    if (o->kind == OPT_VALUE && strcmp (o->name, name) == 0)
      return true;
  return false;
}

int
main (int argc, char **argv)
{
  /* Global options come before the command (runc and crun agree).  */
  int i = 1;
  while (i < argc && argv[i][0] == '-' && argv[i][1] != '\0')
    {
      i++;
      /* Value-taking globals given as two words.  */
      const char *a = argv[i - 1];
      const char *n = a + 1 + (a[1] == '-');
      if (strchr (n, '=') == NULL && global_takes_value (n) && i < argc)
        {
          /* --rootless may also stand alone (meaning true).  */
          if (strcmp (n, "rootless") == 0 && strcmp (argv[i], "true") && strcmp (argv[i], "false")
              && strcmp (argv[i], "auto"))
            continue;
          i++;
        }
    }
  /* Freed on every return (cli_parsed_free may run twice).  */
  __attribute__ ((cleanup (cli_parsed_free))) struct cli_parsed g;
  /* --rootless alone: treat as --rootless=true.  */
  for (int k = 1; k < i; k++)
    if (strcmp (argv[k], "--rootless") == 0
        && (k + 1 >= i
            || (strcmp (argv[k + 1], "true") && strcmp (argv[k + 1], "false") && strcmp (argv[k + 1], "auto"))))
      argv[k] = (char *) "--rootless=true";
  if (cli_parse (NULL, i - 1, argv + 1, global_opts, 0, &g) < 0)
    return 1;
  hako_error_t *err = NULL;
  if (hako_log_init (g.value[G_LOG], g.value[G_LOG_FORMAT], &err) < 0)
    return cli_fail (err, 1);
  if (g.nargs > 0)
    return cli_usage_error (NULL, "unexpected argument `%s` before the command", g.args[0]);
  if (cli_bool (&g, G_DEBUG))
    hako_log_set_level (HAKO_LOG_DEBUG);
  if (g.value[G_LOG_LEVEL])
    {
      const char *l = g.value[G_LOG_LEVEL];
      if (strcmp (l, "error") == 0)
        hako_log_set_level (HAKO_LOG_ERROR);
      else if (strcmp (l, "warning") == 0 || strcmp (l, "warn") == 0)
        hako_log_set_level (HAKO_LOG_WARNING);
      else if (strcmp (l, "info") == 0)
        hako_log_set_level (HAKO_LOG_INFO);
      else if (strcmp (l, "debug") == 0)
        hako_log_set_level (HAKO_LOG_DEBUG);
      else
        return cli_usage_error (NULL, "--log-level `%s`: expected error, warning, info or debug", l);
    }
  if (cli_bool (&g, G_VERSION))
    {
      version ();
      return 0;
    }
  if (cli_bool (&g, G_HELP) || i >= argc)
    {
      usage (i >= argc && ! cli_bool (&g, G_HELP) ? stderr : stdout);
      return i >= argc && ! cli_bool (&g, G_HELP) ? 1 : 0;
    }
  hako_context_t ctx = { .state_root = g.value[G_ROOT], .rootless = -1 };
  ctx.systemd_cgroup = cli_bool (&g, G_SYSTEMD);
  ctx.debug = cli_bool (&g, G_DEBUG);
  if (g.value[G_CGROUP_MANAGER])
    {
      const char *m = g.value[G_CGROUP_MANAGER];
      if (strcmp (m, "systemd") != 0 && strcmp (m, "cgroupfs") != 0 && strcmp (m, "disabled") != 0)
        return cli_usage_error (NULL, "--cgroup-manager `%s`: expected cgroupfs, systemd or disabled", m);
      if (ctx.systemd_cgroup && strcmp (m, "systemd") != 0)
        return cli_usage_error (NULL, "--systemd-cgroup and --cgroup-manager %s contradict each other", m);
      ctx.systemd_cgroup = strcmp (m, "systemd") == 0;
      ctx.no_cgroups = strcmp (m, "disabled") == 0;
    }
  if (g.value[G_ROOTLESS])
    {
      const char *r = g.value[G_ROOTLESS];
      if (strcmp (r, "true") == 0)
        ctx.rootless = 1;
      else if (strcmp (r, "false") == 0)
        ctx.rootless = 0;
      else if (strcmp (r, "auto") != 0)
        return cli_usage_error (NULL, "--rootless `%s`: expected true, false or auto", r);
    }
  if (ctx.state_root && strcmp (ctx.state_root, "/") == 0)
    return cli_usage_error (NULL, "--root may not be `/`");
  const char *name = argv[i];
  if (strcmp (name, "help") == 0)
    {
      usage (stdout);
      return 0;
    }
  for (const struct cli_command *c = commands; c->name; c++)
    if (strcmp (c->name, name) == 0)
      {
        int rc = c->fn (&ctx, argc - i - 1, argv + i + 1);
        cli_parsed_free (&g);
        return rc;
      }
  return cli_usage_error (NULL, "unknown command `%s`", name);
}
