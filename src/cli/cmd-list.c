/* SPDX-License-Identifier: Apache-2.0 */
/* list and ps.  */
#include <config.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "json-support.h"

enum
{
  O_FORMAT,
  O_QUIET,
};

static const struct cli_opt list_opts[] = {
  { "format", 'f', OPT_VALUE, O_FORMAT },
  { "quiet", 'q', OPT_FLAG, O_QUIET },
  { NULL, 0, 0, 0 },
};

/* The name of UID, looked up once per uid in a row (each getpwuid reads
   /etc/passwd again; a thousand containers mostly have one owner).  */
static char *
owner_name (uid_t uid)
{
  static uid_t last_uid = (uid_t) -1;
  static char *last_name;
  if (last_name == NULL || uid != last_uid)
    {
      struct passwd *pw = getpwuid (uid);
      free (last_name);
      last_name = pw ? hako_xstrdup (pw->pw_name) : hako_strdup_printf ("#%u", (unsigned) uid);
      last_uid = uid;
    }
  return hako_xstrdup (last_name);
}

int
cmd_list (hako_context_t *ctx, int argc, char **argv)
{
  if (cli_wants_help (argc, argv))
    {
      fputs ("Usage: hako list [options]\n\n"
             "List the containers under --root.\n\n"
             "Options:\n"
             "  -f, --format table|json   output format (default table); json is an array of\n"
             "                            state objects with owner filled, or null when empty\n"
             "  -q, --quiet               print only the ids (wins over --format)\n",
             stdout);
      return 0;
    }
  struct cli_parsed p;
  if (cli_parse ("list", argc, argv, list_opts, 0, &p) < 0)
    return 1;
  const char *format = p.value[O_FORMAT] ? p.value[O_FORMAT] : "table";
  bool quiet = cli_bool (&p, O_QUIET);
  int rc = 0;
  if (p.nargs)
    rc = cli_usage_error ("list", "unexpected argument `%s`", p.args[0]);
  else if (strcmp (format, "table") && strcmp (format, "json"))
    rc = cli_usage_error ("list", "--format `%s`: expected table or json", format);
  cli_parsed_free (&p);
  if (rc)
    return rc;
  struct hako_list_entry *e = NULL;
  size_t n = 0;
  hako_error_t *err = NULL;
  if (hako_container_list (ctx, &e, &n, &err) < 0)
    return cli_fail (err, 1);
  if (quiet)
    for (size_t i = 0; i < n; i++)
      printf ("%s\n", e[i].id);
  else if (strcmp (format, "json") == 0)
    {
      if (n == 0)
        fputs ("null\n", stdout);
      else
        {
          yajl_gen g = hako_json_gen_new (0);
          yajl_gen_array_open (g);
          for (size_t i = 0; i < n; i++)
            {
              yajl_gen_map_open (g);
              const char *kv[][2] = { { "ociVersion", e[i].oci_version }, { "id", e[i].id } };
              for (size_t k = 0; k < 2; k++)
                {
                  hako_json_gen_key (g, kv[k][0]);
                  hako_json_gen_string (g, kv[k][1]);
                }
              hako_json_gen_key (g, "pid");
              yajl_gen_integer (g, e[i].pid);
              hako_json_gen_key (g, "status");
              hako_json_gen_string (g, e[i].status);
              hako_json_gen_key (g, "bundle");
              hako_json_gen_string (g, e[i].bundle);
              hako_json_gen_key (g, "rootfs");
              hako_json_gen_string (g, e[i].rootfs);
              hako_json_gen_key (g, "created");
              hako_json_gen_string (g, e[i].created);
              char *owner = owner_name (e[i].owner);
              hako_json_gen_key (g, "owner");
              hako_json_gen_string (g, owner);
              free (owner);
              if (e[i].annotations_json)
                {
                  hako_error_t *perr = NULL;
                  yajl_val a = hako_json_parse_tree (e[i].annotations_json, strlen (e[i].annotations_json),
                                                     "annotations", &perr);
                  hako_error_free (perr);
                  hako_json_gen_key (g, "annotations");
                  hako_json_gen_tree (g, a);
                  hako_json_free (a);
                }
              yajl_gen_map_close (g);
            }
          yajl_gen_array_close (g);
          char *out = hako_json_gen_finish (g, NULL);
          printf ("%s\n", out);
          free (out);
        }
    }
  else
    {
      printf ("%-12s %-10s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
      for (size_t i = 0; i < n; i++)
        {
          char *owner = owner_name (e[i].owner);
          printf ("%-12s %-10d %-10s %-40s %-30s %s\n", e[i].id, (int) e[i].pid, e[i].status, e[i].bundle, e[i].created,
                  owner);
          free (owner);
        }
    }
  hako_list_entries_free (e, n);
  return 0;
}

static const struct cli_opt ps_opts[] = {
  { "format", 'f', OPT_VALUE, O_FORMAT },
  { NULL, 0, 0, 0 },
};

int
cmd_ps (hako_context_t *ctx, int argc, char **argv)
{
  if (cli_wants_help (argc, argv))
    {
      fputs ("Usage: hako ps [--format table|json] ID [-- PS-ARGUMENTS]\n\n"
             "List the processes of a container.  json: an array of host pids.\n"
             "table: the rows of ps(1) (run with PS-ARGUMENTS, default -ef) that belong\n"
             "to the container.\n",
             stdout);
      return 0;
    }
  struct cli_parsed p;
  if (cli_parse ("ps", argc, argv, ps_opts, 1, &p) < 0)
    return 1;
  const char *format = p.value[O_FORMAT] ? p.value[O_FORMAT] : "table";
  int rc = 0;
  if (p.nargs < 1)
    rc = cli_usage_error ("ps", "a container id is required");
  else if (strcmp (format, "table") && strcmp (format, "json"))
    rc = cli_usage_error ("ps", "--format `%s`: expected table or json", format);
  if (rc)
    {
      cli_parsed_free (&p);
      return rc;
    }
  pid_t *pids = NULL;
  size_t n = 0;
  hako_error_t *err = NULL;
  if (hako_container_pids (ctx, p.args[0], &pids, &n, &err) < 0)
    {
      cli_parsed_free (&p);
      return cli_fail (err, 1);
    }
  if (strcmp (format, "json") == 0)
    {
      putchar ('[');
      for (size_t i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", (int) pids[i]);
      puts ("]");
    }
  else
    {
      /* ps(1) with the caller's arguments; keep the header and our rows. */
      int fds[2];
      if (pipe (fds) < 0)
        rc = 1;
      pid_t child = rc ? -1 : fork ();
      if (child == 0)
        {
          dup2 (fds[1], 1);
          close (fds[0]);
          char **av = calloc ((size_t) p.nargs + 2, sizeof (char *));
          av[0] = (char *) "ps";
          int k = 1;
          if (p.nargs == 1)
            av[k++] = (char *) "-ef";
          for (int i = 1; i < p.nargs; i++)
            av[k++] = p.args[i];
          execvp ("ps", av);
          _exit (127);
        }
      close (fds[1]);
      FILE *f = fdopen (fds[0], "r");
      char *line = NULL;
      size_t cap = 0;
      int pid_col = -1;
      bool header = true;
      while (f && getline (&line, &cap, f) > 0)
        {
          if (header)
            {
              fputs (line, stdout);
              /* Which column is PID?  */
              char *copy = hako_xstrdup (line), *save, *tok;
              int col = 0;
              for (tok = strtok_r (copy, " \t\n", &save); tok; tok = strtok_r (NULL, " \t\n", &save), col++)
                if (strcmp (tok, "PID") == 0)
                  pid_col = col;
              free (copy);
              header = false;
              continue;
            }
          char *copy = hako_xstrdup (line), *save, *tok;
          int col = 0;
          for (tok = strtok_r (copy, " \t\n", &save); tok && col < pid_col; tok = strtok_r (NULL, " \t\n", &save))
            col++;
          int pid = tok ? atoi (tok) : -1;
          free (copy);
          for (size_t i = 0; i < n; i++)
            if (pids[i] == pid)
              fputs (line, stdout);
        }
      free (line);
      if (f)
        fclose (f);
      int ws = 0;
      if (child > 0)
        waitpid (child, &ws, 0);
      if (pid_col < 0)
        rc = cli_usage_error ("ps", "ps(1) printed no PID column");
    }
  free (pids);
  cli_parsed_free (&p);
  return rc;
}
