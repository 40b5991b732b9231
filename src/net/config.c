/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: the network configuration's cniVersion, name, bridge, isGateway,
   isDefaultGateway, ipMasq, mtu, hairpinMode, mac, ipam (type, subnet,
   rangeStart, rangeEnd, gateway, ranges, routes, dataDir),
   runtimeConfig.{portMappings,mac,ips}, and CNI_ARGS (checks only; the
   work is in add.c).  */
#include <config.h>

#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json-support.h"

const char *const net_cni_versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", NULL };

#define DEFAULT_DATA_DIR "/var/lib/cni/networks"
#define DEFAULT_BRIDGE "cni0"

bool
net_version_supported (const char *v)
{
  for (size_t i = 0; net_cni_versions[i]; i++)
    if (strcmp (v, net_cni_versions[i]) == 0)
      return true;
  return false;
}

int
net_version_cmp (const char *a, const char *b)
{
  for (int i = 0; i < 3; i++)
    {
      long x = strtol (a, (char **) &a, 10), y = strtol (b, (char **) &b, 10);
      if (x != y)
        return x < y ? -1 : 1;
      if (*a == '.')
        a++;
      if (*b == '.')
        b++;
    }
  return 0;
}

/* Fill ERR with "PATH: message" and return -CODE.  */
static int __attribute__ ((format (printf, 4, 5)))
conf_error (hako_error_t **err, int code, const char *path, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  cleanup_free char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  hako_error_set (err, 0, "%s: %s", path, msg);
  return -code;
}

bool
net_ifname_valid (const char *s)
{
  size_t n = strlen (s);
  if (n == 0 || n > 15 || strcmp (s, ".") == 0 || strcmp (s, "..") == 0)
    return false;
  for (const char *p = s; *p; p++)
    if (*p == '/' || *p == ':' || isspace ((unsigned char) *p) || (unsigned char) *p < 0x21)
      return false;
  return true;
}

/* SPEC.md: an alphanumeric first character, then alphanumerics, '_', '.'
   or '-'.  Container ids and network names follow this rule.  */
bool
net_id_valid (const char *s)
{
  if (! isalnum ((unsigned char) s[0]))
    return false;
  for (const char *p = s + 1; *p; p++)
    if (! isalnum ((unsigned char) *p) && *p != '_' && *p != '.' && *p != '-')
      return false;
  return true;
}

int
net_parse_mac (const char *s, uint8_t mac[6])
{
  unsigned v[6];
  char tail;
  if (sscanf (s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6 || strlen (s) != 17)
    return -1;
  for (int i = 0; i < 6; i++)
    mac[i] = (uint8_t) v[i];
  if (mac[0] & 1)
    return -1; /* multicast */
  return 0;
}

const char *
net_proto_name (uint8_t proto)
{
  switch (proto)
    {
    case IPPROTO_UDP:
      return "udp";
    case IPPROTO_SCTP:
      return "sctp";
    default:
      return "tcp";
    }
}

/* One host-local range: subnet, rangeStart, rangeEnd, gateway.  */
static int
range_load (const char *path, const char *subnet, const char *start, const char *end, const char *gw, net_range_t *r,
            hako_error_t **err)
{
  char kp[96];
  snprintf (kp, sizeof kp, "%s.subnet", path);
  if (subnet == NULL || *subnet == '\0')
    return conf_error (err, CNI_ERR_INVALID_CONFIG, kp, "required property is missing");
  if (net_prefix_parse (subnet, &r->subnet) < 0)
    return conf_error (err, CNI_ERR_INVALID_CONFIG, kp, "invalid CIDR `%s`", subnet);
  net_prefix_mask (&r->subnet);
  unsigned bits = net_addr_bits (&r->subnet.addr);
  if (r->subnet.len > bits - 2)
    return conf_error (err, CNI_ERR_INVALID_CONFIG, kp, "network %s too small to allocate from", subnet);
  net_addr_t last;
  net_prefix_last (&r->subnet, &last);
  /* Defaults as host-local: from network+1 to the address before the
     broadcast address (IPv4) or the last address (IPv6); gateway
     network+1.  */
  r->start = r->subnet.addr;
  net_addr_next (&r->start);
  r->end = last;
  if (r->subnet.addr.family == AF_INET)
    net_addr_prev (&r->end);
  r->gateway = r->start;
  struct
  {
    const char *key, *val;
    net_addr_t *out;
  } addrs[] = { { "rangeStart", start, &r->start }, { "rangeEnd", end, &r->end }, { "gateway", gw, &r->gateway } };
  for (size_t i = 0; i < 3; i++)
    {
      if (addrs[i].val == NULL || *addrs[i].val == '\0')
        continue;
      net_addr_t a;
      snprintf (kp, sizeof kp, "%s.%s", path, addrs[i].key);
      if (net_addr_parse (addrs[i].val, &a) < 0)
        return conf_error (err, CNI_ERR_INVALID_CONFIG, kp, "invalid IP address `%s`", addrs[i].val);
      if (! net_prefix_contains (&r->subnet, &a))
        return conf_error (err, CNI_ERR_INVALID_CONFIG, kp, "%s is outside the subnet %s", addrs[i].val, subnet);
      *addrs[i].out = a;
    }
  if (net_addr_cmp (&r->start, &r->end) > 0)
    return conf_error (err, CNI_ERR_INVALID_CONFIG, path, "rangeStart %s is after rangeEnd %s",
                       start ? start : "(default)", end ? end : "(default)");
  return 0;
}

static bool
ranges_overlap (const net_range_t *a, const net_range_t *b)
{
  if (a->start.family != b->start.family)
    return false;
  return net_addr_cmp (&a->start, &b->end) <= 0 && net_addr_cmp (&b->start, &a->end) <= 0;
}

static int
ipam_load (net_config_t *c, hako_error_t **err)
{
  hako_cni_ipam *ipam = c->conf->ipam;
  if (ipam == NULL)
    return conf_error (err, CNI_ERR_INVALID_CONFIG, "ipam", "required property is missing");
  if (strcmp (ipam->type, "host-local") != 0)
    return conf_error (err, CNI_ERR_UNSUPPORTED_FIELD, "ipam.type",
                       "unsupported value `%s`: hako-net has host-local built in and no other", ipam->type);
  if (ipam->resolv_conf && *ipam->resolv_conf)
    return conf_error (err, CNI_ERR_UNSUPPORTED_FIELD, "ipam.resolvConf",
                       "unsupported field (value `%s`): give the DNS settings in .dns", ipam->resolv_conf);

  size_t n = (ipam->subnet ? 1 : 0) + ipam->ranges_len;
  if (n == 0)
    return conf_error (err, CNI_ERR_INVALID_CONFIG, "ipam", "needs `subnet` or `ranges`");
  c->sets = hako_xcalloc (n, sizeof (*c->sets));
  if (ipam->subnet)
    {
      c->sets[0].ranges = hako_xcalloc (1, sizeof (net_range_t));
      c->sets[0].len = 1;
      c->nsets = 1;
      int r = range_load ("ipam", ipam->subnet, ipam->range_start, ipam->range_end, ipam->gateway,
                          &c->sets[0].ranges[0], err);
      if (r < 0)
        return r;
    }
  else if (ipam->range_start || ipam->range_end || ipam->gateway)
    return conf_error (err, CNI_ERR_INVALID_CONFIG, "ipam", "rangeStart, rangeEnd and gateway need `subnet`");
  for (size_t i = 0; i < ipam->ranges_len; i++)
    {
      net_range_set_t *set = &c->sets[c->nsets++];
      if (ipam->ranges_lens[i] == 0)
        return conf_error (err, CNI_ERR_INVALID_CONFIG, "ipam.ranges", "[%zu]: an empty range set", i);
      set->ranges = hako_xcalloc (ipam->ranges_lens[i], sizeof (net_range_t));
      for (size_t j = 0; j < ipam->ranges_lens[i]; j++)
        {
          hako_cni_ip_range *ir = ipam->ranges[i][j];
          char path[64];
          snprintf (path, sizeof path, "ipam.ranges[%zu][%zu]", i, j);
          int r = range_load (path, ir->subnet, ir->range_start, ir->range_end, ir->gateway, &set->ranges[j], err);
          set->len = j + 1;
          if (r < 0)
            return r;
          if (set->ranges[j].subnet.addr.family != set->ranges[0].subnet.addr.family)
            return conf_error (err, CNI_ERR_INVALID_CONFIG, path, "mixes IPv4 and IPv6 in one range set");
        }
    }
  size_t total = 0;
  for (size_t i = 0; i < c->nsets; i++)
    total += c->sets[i].len;
  if (total > NET_MAX_RANGES)
    return conf_error (err, CNI_ERR_INVALID_CONFIG, "ipam", "%zu ranges: at most %d are supported", total,
                       NET_MAX_RANGES);
  for (size_t i = 0; i < c->nsets; i++)
    for (size_t j = 0; j < c->sets[i].len; j++)
      for (size_t k = i; k < c->nsets; k++)
        for (size_t l = (k == i ? j + 1 : 0); l < c->sets[k].len; l++)
          if (ranges_overlap (&c->sets[i].ranges[j], &c->sets[k].ranges[l]))
            return conf_error (err, CNI_ERR_INVALID_CONFIG, "ipam", "ranges %zu.%zu and %zu.%zu overlap", i, j, k, l);

  c->nroutes = ipam->routes_len;
  c->routes = hako_xcalloc (c->nroutes + 1, sizeof (*c->routes));
  for (size_t i = 0; i < ipam->routes_len; i++)
    {
      hako_cni_route *ro = ipam->routes[i];
      net_route_t *rt = &c->routes[i];
      char path[48];
      snprintf (path, sizeof path, "ipam.routes[%zu].dst", i);
      if (net_prefix_parse (ro->dst, &rt->dst) < 0)
        return conf_error (err, CNI_ERR_INVALID_CONFIG, path, "invalid CIDR `%s`", ro->dst);
      snprintf (path, sizeof path, "ipam.routes[%zu].gw", i);
      net_prefix_mask (&rt->dst);
      if (ro->gw && *ro->gw)
        {
          if (net_addr_parse (ro->gw, &rt->gw) < 0)
            return conf_error (err, CNI_ERR_INVALID_CONFIG, path, "invalid IP address `%s`", ro->gw);
          if (rt->gw.family != rt->dst.addr.family)
            return conf_error (err, CNI_ERR_INVALID_CONFIG, path, "%s and dst %s are of different families", ro->gw,
                               ro->dst);
        }
      rt->mtu = ro->mtu;
      rt->advmss = ro->advmss;
      rt->priority = ro->priority;
      rt->has_priority = ro->has_priority;
      rt->table = ro->table;
      rt->has_table = ro->has_table;
      rt->scope = ro->scope;
      rt->has_scope = ro->has_scope;
    }

  const char *dir = ipam->data_dir && *ipam->data_dir ? ipam->data_dir : DEFAULT_DATA_DIR;
  c->store_dir = hako_strdup_printf ("%s/%s", dir, c->name);
  return 0;
}

static int
ports_load (net_config_t *c, hako_error_t **err)
{
  hako_cni_runtime_config *rc = c->conf->runtime_config;
  if (rc == NULL || rc->port_mappings_len == 0)
    return 0;
  c->ports = hako_xcalloc (rc->port_mappings_len, sizeof (*c->ports));
  for (size_t i = 0; i < rc->port_mappings_len; i++)
    {
      hako_cni_port_mapping *pm = rc->port_mappings[i];
      net_port_t *p = &c->ports[i];
      char path[64];
      snprintf (path, sizeof path, "runtimeConfig.portMappings[%zu]", i);
      p->host = pm->host_port;
      p->container = pm->container_port;
      p->proto = IPPROTO_TCP;
      if (pm->protocol && strcmp (pm->protocol, "udp") == 0)
        p->proto = IPPROTO_UDP;
      else if (pm->protocol && strcmp (pm->protocol, "sctp") == 0)
        p->proto = IPPROTO_SCTP;
      if (pm->host_ip && *pm->host_ip && strcmp (pm->host_ip, "0.0.0.0") != 0 && strcmp (pm->host_ip, "::") != 0
          && net_addr_parse (pm->host_ip, &p->host_ip) < 0)
        return conf_error (err, CNI_ERR_INVALID_CONFIG, path, "invalid hostIP `%s`", pm->host_ip);
      for (size_t j = 0; j < i; j++)
        if (c->ports[j].proto == p->proto && c->ports[j].host == p->host)
          return conf_error (err, CNI_ERR_INVALID_CONFIG, path, "host port %s/%u is published twice",
                             net_proto_name (p->proto), p->host);
      c->nports = i + 1;
    }
  return 0;
}

static int
request_ip (net_config_t *c, const char *s, const char *path, hako_error_t **err)
{
  net_addr_t a;
  net_prefix_t p;
  if (net_prefix_parse (s, &p) == 0)
    a = p.addr;
  else if (net_addr_parse (s, &a) < 0)
    return conf_error (err, CNI_ERR_INVALID_CONFIG, path, "invalid IP address `%s`", s);
  c->requested = hako_xrealloc (c->requested, (c->nrequested + 1) * sizeof (*c->requested));
  c->requested[c->nrequested++] = a;
  return 0;
}

/* The bridge plugin's keys that hako-net does not implement.  */
static int
refuse_unsupported (const hako_cni_net_conf *n, hako_error_t **err)
{
  struct
  {
    const char *key;
    bool set;
  } keys[] = {
    { "promiscMode", n->promisc_mode },     { "vlan", n->vlan != 0 },
    { "vlanTrunk", n->vlan_trunk_len > 0 }, { "macspoofchk", n->macspoofchk },
    { "enabledad", n->enabledad },          { "disableContainerInterface", n->disable_container_interface },
    { "portIsolation", n->port_isolation },
  };
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (keys[i].set)
      return conf_error (err, CNI_ERR_UNSUPPORTED_FIELD, keys[i].key, "unsupported field (set to a non-default value)");
  return 0;
}

static int
conf_check (net_config_t *c, hako_error_t **err)
{
  hako_cni_net_conf *n = c->conf;
  if (n->cni_version == NULL)
    return conf_error (err, CNI_ERR_INVALID_CONFIG, "cniVersion", "required property is missing");
  if (! net_version_supported (n->cni_version))
    return conf_error (err, CNI_ERR_VERSION, "cniVersion", "unsupported version `%s` (hako-net speaks 0.3.0 to 1.1.0)",
                       n->cni_version);
  if (n->name == NULL)
    return conf_error (err, CNI_ERR_INVALID_CONFIG, "name", "required property is missing");
  if (! net_id_valid (n->name))
    return conf_error (err, CNI_ERR_INVALID_CONFIG, "name",
                       "`%s` must start with a letter or digit, followed by letters, digits, `_`, `.` or `-`", n->name);
  if (strlen (n->name) > 200)
    return conf_error (err, CNI_ERR_INVALID_CONFIG, "name", "longer than 200 characters");
  if (n->type == NULL)
    return conf_error (err, CNI_ERR_INVALID_CONFIG, "type", "required property is missing");
  c->cni_version = n->cni_version;
  c->name = n->name;
  c->bridge = n->bridge && *n->bridge ? n->bridge : DEFAULT_BRIDGE;
  if (! net_ifname_valid (c->bridge))
    return conf_error (err, CNI_ERR_INVALID_CONFIG, "bridge", "`%s` is not a valid interface name", c->bridge);
  c->is_default_gateway = n->is_default_gateway;
  c->is_gateway = n->is_gateway || n->is_default_gateway;
  c->ip_masq = n->ip_masq;
  c->hairpin = n->hairpin_mode;
  c->mtu = n->mtu;
  if (c->mtu != 0 && c->mtu < 68)
    return conf_error (err, CNI_ERR_INVALID_CONFIG, "mtu", "%u is below the IPv4 minimum of 68", c->mtu);
  int r = refuse_unsupported (n, err);
  if (r < 0)
    return r;

  const char *mac = n->runtime_config && n->runtime_config->mac ? n->runtime_config->mac : n->mac;
  if (mac && *mac)
    {
      if (net_parse_mac (mac, c->mac) < 0)
        return conf_error (err, CNI_ERR_INVALID_CONFIG,
                           n->runtime_config && n->runtime_config->mac ? "runtimeConfig.mac" : "mac",
                           "`%s` is not a unicast MAC address (xx:xx:xx:xx:xx:xx)", mac);
      c->has_mac = true;
    }
  r = ipam_load (c, err);
  if (r < 0)
    return r;
  for (size_t i = 0; i < c->nsets; i++)
    if (c->sets[i].ranges[0].subnet.addr.family == AF_INET6 && c->mtu != 0 && c->mtu < 1280)
      return conf_error (err, CNI_ERR_INVALID_CONFIG, "mtu", "%u is below the IPv6 minimum of 1280", c->mtu);
  r = ports_load (c, err);
  if (r < 0)
    return r;
  if (n->runtime_config)
    for (size_t i = 0; i < n->runtime_config->ips_len; i++)
      {
        char path[48];
        snprintf (path, sizeof path, "runtimeConfig.ips[%zu]", i);
        r = request_ip (c, n->runtime_config->ips[i], path, err);
        if (r < 0)
          return r;
      }
  return 0;
}

int
net_config_load (const char *data, size_t len, const char *source, bool allow_list, net_config_t **out,
                 hako_error_t **err)
{
  *out = NULL;
  yajl_val tree = hako_json_parse_tree (data, len, source, err);
  if (tree == NULL)
    return -CNI_ERR_DECODE;
  hako_jpath_t root = { NULL, NULL, (size_t) -1 };
  net_config_t *c = hako_xcalloc (1, sizeof (*c));
  int r = 0;
  if (hako_cni_net_conf_parse (tree, &root, &c->conf, err) < 0)
    r = -CNI_ERR_INVALID_CONFIG;
  else if (c->conf->has_plugins)
    {
      /* A configuration list: take its first plugin, with the list's name
         and version, as a runtime would pass it.  */
      hako_cni_net_conf_list *list = NULL;
      if (! allow_list)
        r = conf_error (err, CNI_ERR_INVALID_CONFIG, "plugins", "a configuration list is not a plugin configuration");
      else if (hako_cni_net_conf_list_parse (tree, &root, &list, err) < 0)
        r = -CNI_ERR_INVALID_CONFIG;
      else if (list->plugins_len == 0)
        r = conf_error (err, CNI_ERR_INVALID_CONFIG, "plugins", "must not be empty");
      else
        {
          hako_cni_net_conf_free (c->conf);
          c->conf = list->plugins[0];
          list->plugins[0] = NULL;
          list->plugins_len = 0;
          free (c->conf->cni_version);
          c->conf->cni_version = TAKE_PTR (list->cni_version);
          /* SPEC.md: the highest supported of cniVersion and cniVersions. */
          for (size_t i = 0; i < list->cni_versions_len; i++)
            if (net_version_supported (list->cni_versions[i])
                && (c->conf->cni_version == NULL || ! net_version_supported (c->conf->cni_version)
                    || net_version_cmp (list->cni_versions[i], c->conf->cni_version) > 0))
              {
                free (c->conf->cni_version);
                c->conf->cni_version = hako_xstrdup (list->cni_versions[i]);
              }
          free (c->conf->name);
          c->conf->name = TAKE_PTR (list->name);
        }
      hako_cni_net_conf_list_free (list);
    }
  hako_json_free (tree);
  if (r == 0)
    r = conf_check (c, err);
  if (r < 0)
    {
      hako_error_prefix (err, "%s", source);
      net_config_free (c);
      return r;
    }
  *out = c;
  return 0;
}

int
net_config_apply_args (net_config_t *c, const char *cni_args, hako_error_t **err)
{
  if (cni_args == NULL || *cni_args == '\0')
    return 0;
  cleanup_free char *copy = hako_xstrdup (cni_args);
  bool ignore_unknown = false;
  cleanup_free char *unknown = NULL;
  char *save = NULL;
  for (char *kv = strtok_r (copy, ";", &save); kv; kv = strtok_r (NULL, ";", &save))
    {
      char *eq = strchr (kv, '=');
      if (eq == NULL || eq == kv)
        return conf_error (err, CNI_ERR_ENV, "CNI_ARGS", "`%s` is not KEY=VALUE", kv);
      *eq = '\0';
      const char *v = eq + 1;
      if (strcmp (kv, "IgnoreUnknown") == 0)
        ignore_unknown = strcasecmp (v, "1") == 0 || strcasecmp (v, "true") == 0;
      else if (strcmp (kv, "IP") == 0)
        {
          /* host-local accepts a comma-separated list.  */
          cleanup_free char *ips = hako_xstrdup (v);
          char *s2 = NULL;
          for (char *ip = strtok_r (ips, ",", &s2); ip; ip = strtok_r (NULL, ",", &s2))
            {
              int r = request_ip (c, ip, "CNI_ARGS IP", err);
              if (r < 0)
                return -CNI_ERR_ENV;
            }
        }
      else if (unknown == NULL)
        unknown = hako_xstrdup (kv);
    }
  if (unknown && ! ignore_unknown)
    return conf_error (err, CNI_ERR_ENV, "CNI_ARGS", "unknown argument `%s` (add IgnoreUnknown=1 to pass it over)",
                       unknown);
  return 0;
}

void
net_config_free (net_config_t *c)
{
  if (c == NULL)
    return;
  hako_cni_net_conf_free (c->conf);
  for (size_t i = 0; i < c->nsets; i++)
    free (c->sets[i].ranges);
  free (c->sets);
  free (c->routes);
  free (c->ports);
  free (c->requested);
  free (c->store_dir);
  free (c);
}
