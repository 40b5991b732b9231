/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: the OCI state a hook receives (id, status, pid) and hako-net
   hook's options.  createRuntime sees status "creating" and gets ADD for
   /proc/<pid>/ns/net; poststop sees "stopped" and gets DEL by container
   id (the namespace is gone by then).  An explicit `add` or `del`
   argument overrides the status.  */
#include <config.h>

#include "hook.h"

#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json-support.h"
#include "plugin.h"
#include "runtime-spec.h"

#define DEFAULT_CONFIG "/etc/hako/net.json"

static int
parse_port (const char *s, const char *what, const char *spec, uint16_t *out, hako_error_t **err)
{
  char *end;
  errno = 0;
  unsigned long v = strtoul (s, &end, 10);
  if (*s < '0' || *s > '9' || *end != '\0' || errno || v == 0 || v > 65535)
    return hako_error_set (err, 0, "--publish `%s`: %s port `%s` is not a number from 1 to 65535", spec, what, s);
  *out = (uint16_t) v;
  return 0;
}

int
net_config_add_publish (net_config_t *c, const char *spec, hako_error_t **err)
{
  net_port_t p = { .proto = IPPROTO_TCP };
  cleanup_free char *s = hako_xstrdup (spec);
  char *slash = strchr (s, '/');
  if (slash)
    {
      *slash = '\0';
      const char *proto = slash + 1;
      if (strcmp (proto, "tcp") == 0)
        p.proto = IPPROTO_TCP;
      else if (strcmp (proto, "udp") == 0)
        p.proto = IPPROTO_UDP;
      else if (strcmp (proto, "sctp") == 0)
        p.proto = IPPROTO_SCTP;
      else
        return hako_error_set (err, 0, "--publish `%s`: protocol `%s` is not tcp, udp or sctp", spec, proto);
    }
  /* [IP:]HOST:CONTAINER, the IP in brackets when IPv6.  */
  char *cport = strrchr (s, ':');
  if (cport == NULL)
    return hako_error_set (err, 0, "--publish `%s`: expected [IP:]HOST:CONTAINER[/PROTO]", spec);
  *cport++ = '\0';
  char *hport = strrchr (s, ':');
  char *ip = NULL;
  if (hport)
    {
      *hport++ = '\0';
      ip = s;
      size_t n = strlen (ip);
      if (n >= 2 && ip[0] == '[' && ip[n - 1] == ']')
        {
          ip[n - 1] = '\0';
          ip++;
        }
    }
  else
    hport = s;
  if (parse_port (hport, "host", spec, &p.host, err) < 0
      || parse_port (cport, "container", spec, &p.container, err) < 0)
    return -1;
  if (ip && *ip && net_addr_parse (ip, &p.host_ip) < 0)
    return hako_error_set (err, 0, "--publish `%s`: `%s` is not an IP address", spec, ip);
  for (size_t i = 0; i < c->nports; i++)
    if (c->ports[i].proto == p.proto && c->ports[i].host == p.host)
      return hako_error_set (err, 0, "--publish `%s`: host port %s/%u is published twice", spec,
                             net_proto_name (p.proto), p.host);
  c->ports = hako_xrealloc (c->ports, (c->nports + 1) * sizeof (*c->ports));
  c->ports[c->nports++] = p;
  return 0;
}

static int
hook_fail (hako_error_t *err)
{
  cleanup_free char *text = hako_error_text (err);
  fprintf (stderr, "hako-net hook: %s\n", text);
  return 1;
}

int
net_hook_main (int argc, char **argv)
{
  static const struct option opts[] = { { "config", required_argument, NULL, 'c' },
                                        { "publish", required_argument, NULL, 'p' },
                                        { "ifname", required_argument, NULL, 'i' },
                                        { "help", no_argument, NULL, 'h' },
                                        { NULL, 0, NULL, 0 } };
  const char *config = DEFAULT_CONFIG, *ifname = "eth0";
  cleanup_free const char **publish = hako_xcalloc ((size_t) argc + 1, sizeof (char *));
  size_t npublish = 0;
  int o;
  while ((o = getopt_long (argc, argv, "+c:p:i:h", opts, NULL)) != -1)
    switch (o)
      {
      case 'c':
        config = optarg;
        break;
      case 'p':
        publish[npublish++] = optarg;
        break;
      case 'i':
        ifname = optarg;
        break;
      case 'h':
        printf ("Usage: hako-net hook [--config FILE] [--publish [IP:]HOST:CONTAINER[/PROTO]]... "
                "[--ifname NAME] [add|del]\nSee hako-net --help and hako-net(1).\n");
        return 0;
      default:
        return 2;
      }
  cleanup_error hako_error_t *err = NULL;
  const char *op = NULL;
  if (optind < argc)
    {
      op = argv[optind++];
      if (strcmp (op, "add") != 0 && strcmp (op, "del") != 0)
        {
          fprintf (stderr, "hako-net hook: unknown operation `%s` (add or del)\n", op);
          return 2;
        }
    }
  if (optind < argc)
    {
      fprintf (stderr, "hako-net hook: unexpected argument `%s`\n", argv[optind]);
      return 2;
    }
  if (! net_ifname_valid (ifname))
    {
      fprintf (stderr, "hako-net hook: --ifname `%s` is not a valid interface name\n", ifname);
      return 2;
    }

  size_t len = 0;
  cleanup_free char *in = hako_json_read_fd (0, "the state on stdin", &len, &err);
  if (in == NULL)
    return hook_fail (err);
  hako_spec_state *state = hako_spec_state_parse_data (in, len, "the state on stdin", &err);
  if (state == NULL)
    return hook_fail (err);
  int ret = 1;
  net_config_t *c = NULL;
  cleanup_free char *netns = NULL, *data = NULL;
  if (op == NULL)
    {
      if (strcmp (state->status, "creating") == 0 || strcmp (state->status, "created") == 0)
        op = "add";
      else if (strcmp (state->status, "stopped") == 0)
        op = "del";
      else
        {
          hako_error_set (&err, 0, "state .status `%s`: expected creating or created (ADD) or stopped (DEL)",
                          state->status);
          goto out;
        }
    }
  if (! net_id_valid (state->id))
    {
      hako_error_set (&err, 0, "state .id `%s` is not usable as a CNI container id", state->id);
      goto out;
    }
  if (strcmp (op, "add") == 0)
    {
      if (! state->has_pid || state->pid <= 0)
        {
          hako_error_set (&err, 0, "state .pid: ADD needs the container's pid");
          goto out;
        }
      netns = hako_strdup_printf ("/proc/%lld/ns/net", (long long) state->pid);
    }
  data = hako_json_read_file (config, &len, &err);
  if (data == NULL || net_config_load (data, len, config, true, &c, &err) < 0)
    goto out;
  for (size_t i = 0; i < npublish; i++)
    if (net_config_add_publish (c, publish[i], &err) < 0)
      goto out;
  net_request_t req = { state->id, netns, ifname };
  sigset_t block;
  sigemptyset (&block);
  sigaddset (&block, SIGINT);
  sigaddset (&block, SIGTERM);
  sigaddset (&block, SIGHUP);
  sigprocmask (SIG_BLOCK, &block, NULL);
  if (strcmp (op, "add") == 0)
    {
      hako_cni_result *result = NULL;
      if (net_add (c, &req, &result, &err) == 0)
        ret = 0;
      hako_cni_result_free (result);
    }
  else if (net_del (c, &req, &err) == 0)
    ret = 0;
out:
  if (ret != 0)
    hook_fail (err);
  net_config_free (c);
  hako_spec_state_free (state);
  return ret;
}
