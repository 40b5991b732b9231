/* SPDX-License-Identifier: Apache-2.0 */
/* hako-net: a CNI plugin (bridge + host-local + port mapping in one
   binary) when CNI_COMMAND is set, and an OCI hook (`hako-net hook`)
   otherwise.  This file speaks the protocols: environment, stdin, stdout,
   error replies and exit status.  */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cni.h"
#include "config.h"
#include "hook.h"
#include "json-support.h"
#include "plugin.h"

#define DEFAULT_VERSION "1.1.0"

static void
usage (FILE *f)
{
  fputs ("Usage: hako-net                 (as a CNI plugin: CNI_COMMAND and the rest in the environment)\n"
         "       hako-net hook [OPTION]... [add|del]\n"
         "\n"
         "A CNI plugin that attaches containers to a bridge: veth pair, host-local\n"
         "address allocation, routes, IP masquerade and published ports (nftables).\n"
         "As an OCI createRuntime/poststop hook it reads the container state on\n"
         "stdin and attaches the container's network namespace (ADD, status\n"
         "\"creating\") or detaches it (DEL, status \"stopped\").\n"
         "\n"
         "Hook options:\n"
         "  -c, --config FILE        network configuration (default /etc/hako/net.json):\n"
         "                           a CNI plugin configuration or configuration list\n"
         "  -p, --publish [IP:]HOST:CONTAINER[/PROTO]\n"
         "                           publish a port (tcp, udp or sctp); repeatable\n"
         "  -i, --ifname NAME        interface in the container (default eth0)\n"
         "  -h, --help               this help\n"
         "  -v, --version            print the version\n"
         "\n"
         "See hako-net(1).\n",
         f);
}

/* Print a CNI error reply on stdout and return the exit status.  */
static int
reply_error (const char *version, int code, hako_error_t *err)
{
  static const struct
  {
    int code;
    const char *what;
  } names[] = {
    { CNI_ERR_VERSION, "Incompatible CNI version" },
    { CNI_ERR_UNSUPPORTED_FIELD, "Unsupported field in network configuration" },
    { CNI_ERR_UNKNOWN_CONTAINER, "Container unknown or does not exist" },
    { CNI_ERR_ENV, "Invalid necessary environment variables" },
    { CNI_ERR_IO, "I/O failure" },
    { CNI_ERR_DECODE, "Failed to decode content" },
    { CNI_ERR_INVALID_CONFIG, "Invalid network config" },
    { CNI_ERR_NOT_AVAILABLE, "The plugin is not available" },
    { CNI_ERR_LINK, "Failed to set up the container's link" },
    { CNI_ERR_IPAM, "Address allocation failed" },
    { CNI_ERR_FIREWALL, "nftables failed" },
    { CNI_ERR_PORT_BUSY, "Host port already published" },
    { CNI_ERR_CHECK, "The attachment is not as ADD left it" },
  };
  cleanup_free char *text = err ? hako_error_text (err) : hako_xstrdup ("unknown error");
  hako_cni_error_result e = { 0 };
  e.cni_version = (char *) (version ? version : DEFAULT_VERSION);
  e.code = (uint32_t) code;
  e.msg = text;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (names[i].code == code)
      e.details = (char *) names[i].what;
  cleanup_error hako_error_t *jerr = NULL;
  cleanup_free char *json = hako_cni_error_to_json (&e, 0, NULL, &jerr);
  if (json)
    printf ("%s\n", json);
  fflush (stdout);
  return 1;
}

static int
reply_version (void)
{
  cleanup_error hako_error_t *err = NULL;
  size_t len = 0;
  cleanup_free char *in = hako_json_read_fd (0, "stdin", &len, &err);
  if (in == NULL)
    return reply_error (NULL, CNI_ERR_IO, err);
  const char *version = DEFAULT_VERSION;
  hako_cni_version_request *req = NULL;
  if (len > 0 && strspn (in, " \t\r\n") < len)
    {
      req = hako_cni_version_request_parse_data (in, len, "stdin", &err);
      if (req == NULL)
        return reply_error (NULL, CNI_ERR_DECODE, err);
      if (req->cni_version)
        version = req->cni_version;
    }
  hako_cni_version_result v = { 0 };
  v.cni_version = (char *) version;
  v.supported_versions = (char **) net_cni_versions;
  while (net_cni_versions[v.supported_versions_len])
    v.supported_versions_len++;
  cleanup_free char *json = hako_cni_version_to_json (&v, 0, NULL, &err);
  hako_cni_version_request_free (req);
  if (json == NULL)
    return reply_error (NULL, CNI_ERR_IO, err);
  printf ("%s\n", json);
  return 0;
}

static const char *
env_required (const char *name, bool *bad, char **which)
{
  const char *v = getenv (name);
  if (v == NULL || *v == '\0')
    {
      *bad = true;
      char *w = *which ? hako_strdup_printf ("%s, %s", *which, name) : hako_xstrdup (name);
      free (*which);
      *which = w;
    }
  return v;
}

static int
cni_main (const char *command)
{
  if (strcmp (command, "VERSION") == 0)
    return reply_version ();
  bool add = strcmp (command, "ADD") == 0, del = strcmp (command, "DEL") == 0;
  bool check = strcmp (command, "CHECK") == 0, gc = strcmp (command, "GC") == 0;
  bool status = strcmp (command, "STATUS") == 0;
  cleanup_error hako_error_t *err = NULL;
  if (! (add || del || check || gc || status))
    {
      hako_error_set (&err, 0, "CNI_COMMAND: unknown command `%s` (ADD, DEL, CHECK, GC, STATUS, VERSION)", command);
      return reply_error (NULL, CNI_ERR_ENV, err);
    }
  net_request_t req = { 0 };
  bool bad = false;
  cleanup_free char *missing = NULL;
  if (add || del || check)
    {
      req.container_id = env_required ("CNI_CONTAINERID", &bad, &missing);
      req.ifname = env_required ("CNI_IFNAME", &bad, &missing);
      req.netns = del ? getenv ("CNI_NETNS") : env_required ("CNI_NETNS", &bad, &missing);
    }
  if (bad)
    {
      hako_error_set (&err, 0, "missing environment variables: %s", missing);
      return reply_error (NULL, CNI_ERR_ENV, err);
    }
  if (req.container_id && ! net_id_valid (req.container_id))
    {
      hako_error_set (&err, 0,
                      "CNI_CONTAINERID: `%s` must start with a letter or digit, followed by letters, digits, `_`, "
                      "`.` or `-`",
                      req.container_id);
      return reply_error (NULL, CNI_ERR_ENV, err);
    }
  if (req.ifname && ! net_ifname_valid (req.ifname))
    {
      hako_error_set (&err, 0, "CNI_IFNAME: `%s` is not a valid interface name", req.ifname);
      return reply_error (NULL, CNI_ERR_ENV, err);
    }

  size_t len = 0;
  cleanup_free char *in = hako_json_read_fd (0, "stdin", &len, &err);
  if (in == NULL)
    return reply_error (NULL, CNI_ERR_IO, err);
  net_config_t *c = NULL;
  int r = net_config_load (in, len, "stdin", false, &c, &err);
  if (r == 0)
    r = net_config_apply_args (c, getenv ("CNI_ARGS"), &err);
  const char *version = c ? c->cni_version : NULL;
  if (r == 0 && check && net_version_cmp (version, "0.4.0") < 0)
    {
      hako_error_set (&err, 0, "CHECK needs cniVersion 0.4.0 or later, not %s", version);
      r = -CNI_ERR_VERSION;
    }
  if (r == 0 && (gc || status) && net_version_cmp (version, "1.1.0") < 0)
    {
      hako_error_set (&err, 0, "%s needs cniVersion 1.1.0 or later, not %s", command, version);
      r = -CNI_ERR_VERSION;
    }
  hako_cni_result *result = NULL;
  if (r == 0)
    {
      /* An operation runs to its end, or undoes itself, whatever signal
         comes; only SIGKILL cuts it short (and DEL cleans up after).  */
      sigset_t block, old;
      sigemptyset (&block);
      sigaddset (&block, SIGINT);
      sigaddset (&block, SIGTERM);
      sigaddset (&block, SIGHUP);
      sigaddset (&block, SIGQUIT);
      sigprocmask (SIG_BLOCK, &block, &old);
      if (add)
        r = net_add (c, &req, &result, &err);
      else if (del)
        r = net_del (c, &req, &err);
      else if (check)
        r = net_check (c, &req, &err);
      else if (gc)
        r = net_gc (c, &err);
      else
        r = net_status (c, &err);
    }
  int status_code = 0;
  if (r < 0)
    status_code = reply_error (version, -r, err);
  else if (result)
    {
      cleanup_free char *json = hako_cni_result_to_json (result, 0, NULL, &err);
      if (json == NULL)
        status_code = reply_error (version, CNI_ERR_IO, err);
      else
        printf ("%s\n", json);
    }
  hako_cni_result_free (result);
  net_config_free (c);
  if (fflush (stdout) != 0)
    status_code = 1;
  return status_code;
}

int
main (int argc, char **argv)
{
  const char *command = getenv ("CNI_COMMAND");
  if (argc >= 2 && strcmp (argv[1], "hook") == 0)
    return net_hook_main (argc - 1, argv + 1);
  if (argc >= 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      usage (stdout);
      return 0;
    }
  if (argc >= 2 && (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "-v") == 0))
    {
      printf ("hako-net version %s (commit %s), CNI spec %s\n", PACKAGE_VERSION, HAKO_COMMIT, DEFAULT_VERSION);
      return 0;
    }
  if (argc >= 2)
    {
      fprintf (stderr, "hako-net: unknown argument `%s`\n", argv[1]);
      usage (stderr);
      return 2;
    }
  if (command == NULL || *command == '\0')
    {
      /* What CNI plugins do when run by hand.  */
      fprintf (stderr, "hako-net %s: a CNI plugin; CNI_COMMAND is not set (see hako-net --help)\n", PACKAGE_VERSION);
      return 2;
    }
  return cni_main (command);
}
