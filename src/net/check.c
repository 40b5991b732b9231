/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: CHECK.  SPEC.md: the interfaces, addresses and routes of
   prevResult that ADD created must be there, and so must what the result
   does not show: the address reservations and the published ports.  */
#include <config.h>

#include "plugin.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "ipam.h"
#include "netlink.h"
#include "netns.h"
#include "nft.h"

static int __attribute__ ((format (printf, 2, 3))) fail (hako_error_t **err, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  hako_error_setv (err, 0, fmt, ap);
  va_end (ap);
  return -CNI_ERR_CHECK;
}

static int
check_link (nl_t *nl, const hako_cni_interface *want, int master, nl_link_t *out, hako_error_t **err)
{
  int r = nl_link_get (nl, want->name, out, err);
  if (r < 0)
    return -CNI_ERR_LINK;
  if (r == 0)
    return fail (err, "interface `%s` is missing%s", want->name, "");
  if (want->mac)
    {
      uint8_t mac[6];
      if (net_parse_mac (want->mac, mac) == 0 && (! out->has_mac || memcmp (mac, out->mac, 6) != 0))
        return fail (err, "interface `%s` has lost its MAC address %s", want->name, want->mac);
    }
  if (master > 0 && out->master != master)
    return fail (err, "interface `%s` is no longer a port of the bridge%s", want->name, "");
  return 0;
}

static int
check_addresses (net_config_t *c, const net_request_t *req, nl_t *cont, int cont_index, int cont_slot,
                 ipam_store_t *store, net_addr_t *addrs, size_t *naddrs, hako_error_t **err)
{
  const hako_cni_result *prev = c->conf->prev_result;
  ipam_list_t owned = { 0 };
  if (ipam_list (store, req->container_id, req->ifname, &owned, err) < 0)
    return -CNI_ERR_IPAM;
  int ret = 0;
  for (size_t i = 0; i < prev->ips_len && ret == 0; i++)
    {
      const hako_cni_ip_config *ip = prev->ips[i];
      if (ip->has_interface && (int) ip->interface != cont_slot)
        continue;
      net_prefix_t p;
      if (net_prefix_parse (ip->address, &p) < 0)
        {
          hako_error_set (err, 0, "prevResult.ips[%zu].address: invalid CIDR `%s`", i, ip->address);
          ret = -CNI_ERR_INVALID_CONFIG;
          break;
        }
      int r = nl_addr_has (cont, cont_index, &p.addr, p.len, err);
      if (r < 0)
        ret = -CNI_ERR_LINK;
      else if (r == 0)
        ret = fail (err, "address %s is missing on `%s`", ip->address, req->ifname);
      bool reserved = false;
      for (size_t j = 0; j < owned.len; j++)
        if (! owned.v[j].is_port && net_addr_equal (&owned.v[j].addr, &p.addr))
          reserved = true;
      if (ret == 0 && ! reserved)
        ret = fail (err, "address %s is not reserved for this container in the store `%s`", ip->address, c->store_dir);
      if (ret == 0 && *naddrs < c->nsets)
        addrs[(*naddrs)++] = p.addr;
    }
  ipam_list_free (&owned);
  return ret;
}

static int
check_routes (net_config_t *c, nl_t *cont, hako_error_t **err)
{
  const hako_cni_result *prev = c->conf->prev_result;
  for (size_t i = 0; i < prev->routes_len; i++)
    {
      const hako_cni_route *ro = prev->routes[i];
      net_route_t rt = { 0 };
      net_addr_t gw = { 0 };
      if (net_prefix_parse (ro->dst, &rt.dst) < 0 || (ro->gw && net_addr_parse (ro->gw, &gw) < 0))
        {
          hako_error_set (err, 0, "prevResult.routes[%zu]: invalid dst or gw", i);
          return -CNI_ERR_INVALID_CONFIG;
        }
      rt.table = ro->table;
      rt.has_table = ro->has_table;
      int r = nl_route_has (cont, &rt, &gw, err);
      if (r < 0)
        return -CNI_ERR_LINK;
      if (r == 0)
        return fail (err, "route to %s%s is missing in the container", ro->dst, "");
    }
  return 0;
}

int
net_check (net_config_t *c, const net_request_t *req, hako_error_t **err)
{
  const hako_cni_result *prev = c->conf->prev_result;
  if (prev == NULL)
    {
      hako_error_set (err, 0, "prevResult: required for CHECK");
      return -CNI_ERR_INVALID_CONFIG;
    }
  int nsfd = -1;
  int r = netns_open (req->netns, &nsfd, err);
  if (r <= 0)
    {
      if (r == 0)
        hako_error_set (err, ENOENT, "CNI_NETNS: `%s` does not exist", req->netns);
      return -CNI_ERR_ENV;
    }
  nl_t host = { 0 }, cont = { 0 };
  ipam_store_t store = { .dirfd = -1, .lockfd = -1 };
  nl_link_t bridge = { 0 }, link;
  int cont_index = -1, cont_slot = -1, ret = 0;
  net_addr_t *addrs = hako_xcalloc (c->nsets + 1, sizeof (*addrs));
  size_t naddrs = 0;
  if (nl_open (&host, err) < 0 || netns_nl_open (nsfd, &cont, err) < 0)
    ret = -CNI_ERR_LINK;
  /* The interfaces: the bridge, the host veth on it, the container's.  */
  for (size_t i = 0; ret == 0 && i < prev->interfaces_len; i++)
    {
      const hako_cni_interface *want = prev->interfaces[i];
      if (want->sandbox && *want->sandbox)
        {
          if (strcmp (want->name, req->ifname) != 0)
            continue;
          ret = check_link (&cont, want, 0, &link, err);
          cont_index = link.index;
          cont_slot = (int) i;
        }
      else if (strcmp (want->name, c->bridge) == 0)
        {
          ret = check_link (&host, want, 0, &bridge, err);
          if (ret == 0 && strcmp (bridge.kind, "bridge") != 0)
            ret = fail (err, "`%s` is no longer a bridge%s", want->name, "");
        }
      else
        ret = check_link (&host, want, bridge.index, &link, err);
    }
  if (ret == 0 && cont_index < 0)
    ret = fail (err, "prevResult names no interface `%s` in the container%s", req->ifname, "");
  if (ret == 0 && ipam_open (&store, c->store_dir, false, err) != 1)
    ret = *err ? -CNI_ERR_IPAM : fail (err, "the address store `%s` is gone%s", c->store_dir, "");
  if (ret == 0)
    ret = check_addresses (c, req, &cont, cont_index, cont_slot, &store, addrs, &naddrs, err);
  if (ret == 0)
    ret = check_routes (c, &cont, err);
  if (ret == 0 && nft_needed (c) && nft_check (c, addrs, naddrs, err) < 0)
    ret = -CNI_ERR_CHECK;
  ipam_close (&store);
  nl_close (&cont);
  nl_close (&host);
  close (nsfd);
  free (addrs);
  return ret;
}
