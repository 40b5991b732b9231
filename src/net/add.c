/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: ADD.  bridge, isGateway, isDefaultGateway, ipMasq (forwarding),
   mtu, hairpinMode, mac, ipam.routes, dns (into the result), and the
   order of the whole: everything ADD creates is undone when a later step
   fails.  */
#include <config.h>

#include "plugin.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cleanup.h"
#include "ipam.h"
#include "netlink.h"
#include "netns.h"
#include "nft.h"

void
net_host_veth_name (const char *network, const char *id, const char *ifname, char out[16])
{
  /* FNV-1a over the three names, NUL-separated.  */
  uint32_t h = 2166136261u;
  const char *parts[] = { network, id, ifname };
  for (size_t i = 0; i < 3; i++)
    for (const char *p = parts[i];; p++)
      {
        h = (h ^ (uint8_t) *p) * 16777619u;
        if (*p == '\0')
          break;
      }
  snprintf (out, 16, "veth%08x", h);
}

static void
random_mac (uint8_t mac[6])
{
  if (getrandom (mac, 6, 0) != 6)
    for (int i = 0; i < 6; i++)
      mac[i] = (uint8_t) rand ();
  mac[0] = (uint8_t) ((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
}

static void
format_mac (const uint8_t m[6], char out[18])
{
  snprintf (out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static int
write_sysctl (const char *path, const char *value, hako_error_t **err)
{
  cleanup_close int fd = open (path, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return hako_error_sys (err, "open `%s`", path);
  char cur[8] = "";
  ssize_t n = read (fd, cur, sizeof cur - 1);
  if (n > 0 && strncmp (cur, value, strlen (value)) == 0)
    return 0;
  if (pwrite (fd, value, strlen (value), 0) < 0)
    return hako_error_sys (err, "write `%s`", path);
  return 0;
}

/* The range of set I that ADDR was allocated from.  */
static const net_range_t *
range_of (const net_config_t *c, size_t i, const net_addr_t *addr)
{
  for (size_t j = 0; j < c->sets[i].len; j++)
    if (net_prefix_contains (&c->sets[i].ranges[j].subnet, addr))
      return &c->sets[i].ranges[j];
  return &c->sets[i].ranges[0];
}

/* The gateway for FAMILY among the allocated addresses, or NULL.  */
static const net_addr_t *
gateway_for (const net_config_t *c, const net_addr_t *addrs, int family)
{
  for (size_t i = 0; i < c->nsets; i++)
    if (addrs[i].family == family)
      return &range_of (c, i, &addrs[i])->gateway;
  return NULL;
}

/* What ADD has done so far, to be undone on failure.  */
struct add_state
{
  net_config_t *c;
  const net_request_t *req;
  ipam_store_t store;
  net_addr_t *addrs;
  size_t naddrs;
  size_t nports;
  bool bridge_created;
  bool veth_created;
  char veth[16];
  nl_t host, cont;
  int nsfd;
  nl_link_t bridge;
  uint8_t host_mac[6], cont_mac[6];
  net_route_t *routes; /* to install, gateways resolved */
  size_t nroutes;
};

static void
add_rollback (struct add_state *s)
{
  cleanup_error hako_error_t *e = NULL;
  if (s->veth_created)
    nl_link_del (&s->host, s->veth, &e);
  for (size_t i = 0; i < s->nports; i++)
    ipam_release_port (&s->store, &s->c->ports[i]);
  for (size_t i = 0; i < s->naddrs; i++)
    ipam_release_addr (&s->store, &s->addrs[i]);
  if (s->bridge_created && ! ipam_in_use (&s->store))
    {
      cleanup_error hako_error_t *e2 = NULL;
      nl_link_del (&s->host, s->c->bridge, &e2);
    }
}

static int
ensure_bridge (struct add_state *s, hako_error_t **err)
{
  net_config_t *c = s->c;
  int r = nl_link_get (&s->host, c->bridge, &s->bridge, err);
  if (r < 0)
    return -CNI_ERR_LINK;
  if (r == 0)
    {
      uint8_t mac[6];
      random_mac (mac);
      if (nl_bridge_create (&s->host, c->bridge, mac, c->mtu, err) == 0)
        s->bridge_created = true;
      else if ((*err)->status == EEXIST)
        {
          /* Made meanwhile for another network (under another lock).  */
          hako_error_free (*err);
          *err = NULL;
        }
      else
        return -CNI_ERR_LINK;
      if (nl_link_get (&s->host, c->bridge, &s->bridge, err) != 1)
        {
          if (*err == NULL)
            hako_error_set (err, ENODEV, "bridge `%s` vanished after its creation", c->bridge);
          return -CNI_ERR_LINK;
        }
    }
  if (strcmp (s->bridge.kind, "bridge") != 0)
    {
      hako_error_set (err, 0, "`%s` exists and is not a bridge (it is a %s)", c->bridge,
                      s->bridge.kind[0] ? s->bridge.kind : "device without a kind");
      return -CNI_ERR_LINK;
    }
  if (! (s->bridge.flags & IFF_UP) && nl_link_up (&s->host, s->bridge.index, err) < 0)
    return -CNI_ERR_LINK;

  if (c->is_gateway)
    for (size_t i = 0; i < s->naddrs; i++)
      {
        const net_range_t *rg = range_of (c, i, &s->addrs[i]);
        if (nl_addr_add (&s->host, s->bridge.index, &rg->gateway, rg->subnet.len, true, err) < 0)
          return -CNI_ERR_LINK;
      }
  return 0;
}

static int
host_sysctls (struct add_state *s, hako_error_t **err)
{
  net_config_t *c = s->c;
  bool v4 = false, v6 = false;
  for (size_t i = 0; i < s->naddrs; i++)
    *(s->addrs[i].family == AF_INET ? &v4 : &v6) = true;
  /* Published ports reached from 127.0.0.1 leave through the bridge with
     a loopback source; the kernel drops those unless route_localnet.  */
  if (c->nports && v4)
    {
      cleanup_free char *p = hako_strdup_printf ("/proc/sys/net/ipv4/conf/%s/route_localnet", c->bridge);
      if (write_sysctl (p, "1", err) < 0)
        return -CNI_ERR_LINK;
    }
  /* As the bridge plugin: a gateway forwards.  IPv6 forwarding also turns
     off router advertisements on the host, so only when ipMasq asks
     for traffic to leave.  */
  if (c->is_gateway && v4 && write_sysctl ("/proc/sys/net/ipv4/ip_forward", "1", err) < 0)
    return -CNI_ERR_LINK;
  if (c->is_gateway && c->ip_masq && v6 && write_sysctl ("/proc/sys/net/ipv6/conf/all/forwarding", "1", err) < 0)
    return -CNI_ERR_LINK;
  return 0;
}

static void
container_mac (struct add_state *s)
{
  if (s->c->has_mac)
    memcpy (s->cont_mac, s->c->mac, 6);
  else
    {
      /* Derived from the IPv4 address (0a:58:a:b:c:d), as kubenet did:
         stable for an address, so neighbours' caches stay right.  */
      for (size_t i = 0; i < s->naddrs; i++)
        if (s->addrs[i].family == AF_INET)
          {
            s->cont_mac[0] = 0x0a;
            s->cont_mac[1] = 0x58;
            memcpy (s->cont_mac + 2, s->addrs[i].b, 4);
            return;
          }
      random_mac (s->cont_mac);
    }
}

static bool
routes_have_default (const net_config_t *c, int family)
{
  for (size_t i = 0; i < c->nroutes; i++)
    if (c->routes[i].dst.addr.family == family && c->routes[i].dst.len == 0)
      return true;
  return false;
}

/* The routes of ipam.routes for the families the container has an address
   of, each via the range's gateway unless it names one, and with
   isDefaultGateway a default route per family.  */
static void
resolve_routes (struct add_state *s)
{
  net_config_t *c = s->c;
  s->routes = hako_xcalloc (c->nroutes + 2, sizeof (*s->routes));
  for (size_t i = 0; i < c->nroutes; i++)
    {
      const net_addr_t *gw = gateway_for (c, s->addrs, c->routes[i].dst.addr.family);
      if (gw == NULL)
        continue;
      net_route_t *r = &s->routes[s->nroutes++];
      *r = c->routes[i];
      if (r->gw.family == 0)
        r->gw = *gw;
    }
  if (c->is_default_gateway)
    for (int k = 0; k < 2; k++)
      {
        int family = k ? AF_INET6 : AF_INET;
        const net_addr_t *gw = gateway_for (c, s->addrs, family);
        if (gw && ! routes_have_default (c, family))
          s->routes[s->nroutes++] = (net_route_t){ .dst = { .addr = { .family = family } }, .gw = *gw };
      }
}

/* Inside the container: lo up, addresses, routes.  */
static int
configure_container (struct add_state *s, hako_error_t **err)
{
  net_config_t *c = s->c;
  nl_link_t link;
  int r = nl_link_get (&s->cont, s->req->ifname, &link, err);
  if (r <= 0)
    {
      if (r == 0)
        hako_error_set (err, ENODEV, "`%s` is missing in the container after its creation", s->req->ifname);
      return -CNI_ERR_LINK;
    }
  /* lo is index 1 in every network namespace.  */
  if (nl_link_up (&s->cont, 1, err) < 0 || nl_link_up (&s->cont, link.index, err) < 0)
    return -CNI_ERR_LINK;
  for (size_t i = 0; i < s->naddrs; i++)
    if (nl_addr_add (&s->cont, link.index, &s->addrs[i], range_of (c, i, &s->addrs[i])->subnet.len, false, err) < 0)
      return -CNI_ERR_LINK;
  for (size_t i = 0; i < s->nroutes; i++)
    if (nl_route_add (&s->cont, link.index, &s->routes[i], &s->routes[i].gw, err) < 0)
      return -CNI_ERR_LINK;
  return 0;
}

static hako_cni_interface *
result_iface (const char *name, const uint8_t mac[6], const char *sandbox, unsigned mtu)
{
  hako_cni_interface *i = hako_xcalloc (1, sizeof (*i));
  char m[18];
  format_mac (mac, m);
  i->name = hako_xstrdup (name);
  i->mac = hako_xstrdup (m);
  if (sandbox)
    i->sandbox = hako_xstrdup (sandbox);
  if (mtu)
    {
      i->mtu = mtu;
      i->has_mtu = true;
    }
  return i;
}

static hako_cni_route *
result_route (const net_route_t *rt)
{
  hako_cni_route *r = hako_xcalloc (1, sizeof (*r));
  char s[NET_CIDR_STRLEN];
  net_prefix_format (&rt->dst.addr, rt->dst.len, s);
  r->dst = hako_xstrdup (s);
  if (rt->gw.family)
    {
      char g[NET_ADDR_STRLEN];
      net_addr_format (&rt->gw, g);
      r->gw = hako_xstrdup (g);
    }
  r->mtu = rt->mtu;
  r->advmss = rt->advmss;
  r->priority = rt->priority;
  r->has_priority = rt->has_priority;
  r->table = rt->table;
  r->has_table = rt->has_table;
  r->scope = rt->scope;
  r->has_scope = rt->has_scope;
  return r;
}

static hako_cni_dns *
result_dns (const hako_cni_dns *d)
{
  hako_cni_dns *o = hako_xcalloc (1, sizeof (*o));
  if (d == NULL)
    return o;
  o->domain = d->domain ? hako_xstrdup (d->domain) : NULL;
  const struct
  {
    char **src;
    size_t n;
    char ***dst;
    size_t *dn;
  } lists[] = { { d->nameservers, d->nameservers_len, &o->nameservers, &o->nameservers_len },
                { d->search, d->search_len, &o->search, &o->search_len },
                { d->options, d->options_len, &o->options, &o->options_len } };
  for (size_t k = 0; k < 3; k++)
    {
      *lists[k].dst = hako_xcalloc (lists[k].n + 1, sizeof (char *));
      for (size_t i = 0; i < lists[k].n; i++)
        (*lists[k].dst)[i] = hako_xstrdup (lists[k].src[i]);
      *lists[k].dn = lists[k].n;
    }
  return o;
}

static hako_cni_result *
build_result (struct add_state *s)
{
  net_config_t *c = s->c;
  bool v1 = net_version_cmp (c->cni_version, "1.0.0") >= 0;
  bool v11 = net_version_cmp (c->cni_version, "1.1.0") >= 0;
  hako_cni_result *res = hako_xcalloc (1, sizeof (*res));
  res->cni_version = hako_xstrdup (c->cni_version);
  res->interfaces = hako_xcalloc (4, sizeof (*res->interfaces));
  res->interfaces[0] = result_iface (c->bridge, s->bridge.mac, NULL, 0);
  res->interfaces[1] = result_iface (s->veth, s->host_mac, NULL, 0);
  res->interfaces[2] = result_iface (s->req->ifname, s->cont_mac, s->req->netns, v11 ? c->mtu : 0);
  res->interfaces_len = 3;
  res->ips = hako_xcalloc (s->naddrs + 1, sizeof (*res->ips));
  for (size_t i = 0; i < s->naddrs; i++)
    {
      hako_cni_ip_config *ip = hako_xcalloc (1, sizeof (*ip));
      const net_range_t *rg = range_of (c, i, &s->addrs[i]);
      char a[NET_CIDR_STRLEN], g[NET_ADDR_STRLEN];
      net_prefix_format (&s->addrs[i], rg->subnet.len, a);
      net_addr_format (&rg->gateway, g);
      ip->address = hako_xstrdup (a);
      ip->gateway = hako_xstrdup (g);
      ip->interface = 2;
      ip->has_interface = true;
      if (! v1)
        ip->version = hako_xstrdup (s->addrs[i].family == AF_INET ? "4" : "6");
      res->ips[res->ips_len++] = ip;
    }
  res->routes = hako_xcalloc (s->nroutes + 1, sizeof (*res->routes));
  for (size_t i = 0; i < s->nroutes; i++)
    res->routes[res->routes_len++] = result_route (&s->routes[i]);
  res->dns = result_dns (c->conf->dns);
  return res;
}

static int
add_steps (struct add_state *s, hako_error_t **err)
{
  net_config_t *c = s->c;
  const net_request_t *req = s->req;
  int r;
  nl_link_t existing;
  /* SPEC.md: an interface of the requested name in the container is an
     error.  */
  r = nl_link_get (&s->cont, req->ifname, &existing, err);
  if (r != 0)
    {
      if (r > 0)
        hako_error_set (err, EEXIST, "interface `%s` already exists in %s", req->ifname, req->netns);
      return -CNI_ERR_LINK;
    }
  if (ipam_open (&s->store, c->store_dir, true, err) < 0)
    return -CNI_ERR_IPAM;
  s->addrs = hako_xcalloc (c->nsets, sizeof (net_addr_t));
  if (ipam_allocate (&s->store, c, req->container_id, req->ifname, s->addrs, err) < 0)
    return -CNI_ERR_IPAM;
  s->naddrs = c->nsets;
  for (; s->nports < c->nports; s->nports++)
    if (ipam_reserve_port (&s->store, &c->ports[s->nports], req->container_id, req->ifname, err) < 0)
      return (*err)->status == EADDRINUSE ? -CNI_ERR_PORT_BUSY : -CNI_ERR_IPAM;
  if ((r = ensure_bridge (s, err)) < 0)
    return r;
  if ((r = host_sysctls (s, err)) < 0)
    return r;
  net_host_veth_name (c->name, req->container_id, req->ifname, s->veth);
  random_mac (s->host_mac);
  container_mac (s);
  resolve_routes (s);
  if (nl_veth_create (&s->host, s->veth, s->host_mac, s->bridge.index, req->ifname, s->cont_mac, s->nsfd, c->mtu, err)
      < 0)
    {
      if ((*err)->status == EEXIST)
        hako_error_prefix (err, "container `%s` is attached to network `%s` as `%s` already (DEL it first)",
                           req->container_id, c->name, req->ifname);
      return -CNI_ERR_LINK;
    }
  s->veth_created = true;
  if (c->hairpin)
    {
      nl_link_t hv;
      if (nl_link_get (&s->host, s->veth, &hv, err) != 1 || nl_brport_hairpin (&s->host, hv.index, err) < 0)
        {
          if (*err == NULL)
            hako_error_set (err, ENODEV, "`%s` vanished", s->veth);
          return -CNI_ERR_LINK;
        }
    }
  if ((r = configure_container (s, err)) < 0)
    return r;
  /* Last, so that a failure before leaves no rule, and one here (a single
     transaction) none either.  */
  if (nft_needed (c) && nft_add (c, s->addrs, s->naddrs, err) < 0)
    return strstr ((*err)->msg, "File exists") ? -CNI_ERR_PORT_BUSY : -CNI_ERR_FIREWALL;
  return 0;
}

int
net_add (net_config_t *c, const net_request_t *req, hako_cni_result **result, hako_error_t **err)
{
  struct add_state s = { .c = c, .req = req, .nsfd = -1, .store = { .dirfd = -1, .lockfd = -1 } };
  int r = netns_open (req->netns, &s.nsfd, err);
  if (r <= 0)
    {
      if (r == 0)
        hako_error_set (err, ENOENT, "CNI_NETNS: `%s` does not exist", req->netns);
      return -CNI_ERR_ENV;
    }
  if (nl_open (&s.host, err) < 0 || netns_nl_open (s.nsfd, &s.cont, err) < 0)
    {
      nl_close (&s.host);
      close (s.nsfd);
      return -CNI_ERR_LINK;
    }
  r = add_steps (&s, err);
  if (r < 0)
    add_rollback (&s);
  else
    *result = build_result (&s);
  ipam_close (&s.store);
  nl_close (&s.cont);
  nl_close (&s.host);
  close (s.nsfd);
  free (s.addrs);
  free (s.routes);
  return r;
}
