/* SPDX-License-Identifier: Apache-2.0 */
/* update, events, spec, features, validate, checkpoint, restore.  */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cleanup.h"
#include "json-support.h"

enum
{
  O_BUNDLE,
  O_ROOTLESS,
  O_CONFIG,
  O_STATS,
  O_INTERVAL,
};

int
cmd_spec (hako_context_t *ctx, int argc, char **argv)
{
  (void) ctx;
  static const struct cli_opt opts[] = {
    { "bundle", 'b', OPT_VALUE, O_BUNDLE },
    { "rootless", 0, OPT_FLAG, O_ROOTLESS },
    { NULL, 0, 0, 0 },
  };
  if (cli_wants_help (argc, argv))
    {
      fputs ("Usage: hako spec [--bundle DIR] [--rootless]\n\n"
             "Write a default config.json (the defaults runc and crun users expect) into\n"
             "the bundle directory; an existing config.json is an error.\n\n"
             "Options:\n"
             "  -b, --bundle DIR   where to write it (default: the current directory)\n"
             "  --rootless         a config for a non-root user: a user namespace mapping\n"
             "                     only the caller, no network namespace, no resources\n",
             stdout);
      return 0;
    }
  struct cli_parsed p;
  if (cli_parse ("spec", argc, argv, opts, 0, &p) < 0)
    return 1;
  int rc = 0;
  if (p.nargs)
    rc = cli_usage_error ("spec", "unexpected argument `%s`", p.args[0]);
  cleanup_free char *path = hako_strdup_printf ("%s/config.json", p.value[O_BUNDLE] ? p.value[O_BUNDLE] : ".");
  bool rootless = cli_bool (&p, O_ROOTLESS);
  cli_parsed_free (&p);
  if (rc)
    return rc;
  hako_error_t *err = NULL;
  char *json = NULL;
  if (hako_spec_default_json (rootless, &json, &err) < 0)
    return cli_fail (err, 1);
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      hako_error_sys (&err, errno == EEXIST ? "`%s` exists already" : "write `%s`", path);
      free (json);
      return cli_fail (err, 1);
    }
  size_t len = strlen (json);
  bool ok = write (fd, json, len) == (ssize_t) len && close (fd) == 0;
  free (json);
  if (! ok)
    {
      hako_error_sys (&err, "write `%s`", path);
      return cli_fail (err, 1);
    }
  return 0;
}

int
cmd_features (hako_context_t *ctx, int argc, char **argv)
{
  (void) ctx;
  if (cli_wants_help (argc, argv))
    {
      fputs ("Usage: hako features\n\nPrint the runtime-spec features document of this build and host.\n", stdout);
      return 0;
    }
  if (argc > 0)
    return cli_usage_error ("features", "unexpected argument `%s`", argv[0]);
  hako_error_t *err = NULL;
  char *json = NULL;
  if (hako_features_json (&json, &err) < 0)
    return cli_fail (err, 1);
  puts (json);
  free (json);
  return 0;
}

int
cmd_validate (hako_context_t *ctx, int argc, char **argv)
{
  (void) ctx;
  static const struct cli_opt opts[] = {
    { "bundle", 'b', OPT_VALUE, O_BUNDLE },
    { "config", 'f', OPT_VALUE, O_CONFIG },
    { NULL, 0, 0, 0 },
  };
  if (cli_wants_help (argc, argv))
    {
      fputs ("Usage: hako validate [--bundle DIR] [--config FILE]\n\n"
             "Check a bundle's config against the runtime-spec and this host (the rootfs\n"
             "exists, the namespaces and cgroup features are available, mount sources\n"
             "exist) and report every problem found, one per line, with its JSON path.\n"
             "Exits 0 when there is none, 1 otherwise.\n",
             stdout);
      return 0;
    }
  struct cli_parsed p;
  if (cli_parse ("validate", argc, argv, opts, 0, &p) < 0)
    return 1;
  if (p.nargs)
    {
      cli_parsed_free (&p);
      return cli_usage_error ("validate", "unexpected argument `%s`", p.args[0]);
    }
  hako_error_t *err = NULL;
  char *report = NULL;
  int n = hako_validate_bundle (p.value[O_BUNDLE], p.value[O_CONFIG], &report, &err);
  cli_parsed_free (&p);
  if (n < 0)
    return cli_fail (err, 1);
  if (n > 0)
    fputs (report, stderr);
  free (report);
  if (n == 0)
    puts ("config.json: valid");
  return n == 0 ? 0 : 1;
}

static int
no_criu (const char *cmd, int argc, char **argv)
{
  if (cli_wants_help (argc, argv))
    {
      printf ("Usage: hako %s [options] ID\n\n%s a container through criu.  This build of hako has no\n"
              "criu support (configure --with-criu); the command fails with that message.\n",
              cmd, strcmp (cmd, "checkpoint") == 0 ? "Checkpoint" : "Restore");
      return 0;
    }
  hako_error_t *err = NULL;
  hako_error_set (&err, 0, "%s: this build of hako has no criu support (configure --with-criu)", cmd);
  return cli_fail (err, 1);
}

int
cmd_checkpoint (hako_context_t *ctx, int argc, char **argv)
{
  (void) ctx;
  return no_criu ("checkpoint", argc, argv);
}

int
cmd_restore (hako_context_t *ctx, int argc, char **argv)
{
  (void) ctx;
  return no_criu ("restore", argc, argv);
}
