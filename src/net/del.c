/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: DEL, GC and STATUS.  DEL and GC are best effort: they remove
   all they find of an attachment and succeed when it is already gone.  */
#include <config.h>

#include "plugin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "ipam.h"
#include "netlink.h"
#include "netns.h"
#include "nft.h"

/* Remove the nftables elements of the ports in L (those of one owner).  */
static void
drop_ports (const char *network, const ipam_list_t *l)
{
  bool families[2] = { false, false };
  size_t nports = 0;
  for (size_t i = 0; i < l->len; i++)
    if (l->v[i].is_port)
      nports++;
    else
      families[l->v[i].addr.family == AF_INET6] = true;
  if (nports == 0)
    return;
  if (! families[0] && ! families[1])
    families[0] = families[1] = true; /* the addresses went first */
  net_port_t *ports = hako_xcalloc (nports, sizeof (*ports));
  size_t n = 0;
  for (size_t i = 0; i < l->len; i++)
    if (l->v[i].is_port)
      ports[n++] = l->v[i].port;
  cleanup_error hako_error_t *e = NULL;
  nft_del_ports (network, ports, n, families, &e);
  free (ports);
}

static void
release_all (ipam_store_t *s, const ipam_list_t *l)
{
  for (size_t i = 0; i < l->len; i++)
    if (l->v[i].is_port)
      ipam_release_port (s, &l->v[i].port);
    else
      ipam_release_addr (s, &l->v[i].addr);
}

static bool
has_ports (const ipam_list_t *l)
{
  for (size_t i = 0; i < l->len; i++)
    if (l->v[i].is_port)
      return true;
  return false;
}

/* The interface of an attachment that hako-net did not create (a DEL after
   the bridge plugin's ADD): delete CNI_IFNAME in the namespace.  */
static int
del_in_netns (const net_request_t *req, hako_error_t **err)
{
  if (req->netns == NULL || *req->netns == '\0')
    return 0;
  int fd = -1;
  cleanup_error hako_error_t *e = NULL;
  if (netns_open (req->netns, &fd, &e) <= 0)
    return 0; /* gone with the container: so is its interface */
  nl_t cont = { 0 };
  int r = netns_nl_open (fd, &cont, err);
  close (fd);
  if (r < 0)
    return -1;
  r = nl_link_del (&cont, req->ifname, err);
  nl_close (&cont);
  return r < 0 ? -1 : 0;
}

int
net_del (net_config_t *c, const net_request_t *req, hako_error_t **err)
{
  nl_t host = { 0 };
  if (nl_open (&host, err) < 0)
    return -CNI_ERR_LINK;
  ipam_store_t store;
  ipam_list_t owned = { 0 };
  int opened = ipam_open (&store, c->store_dir, false, err);
  if (opened < 0)
    {
      nl_close (&host);
      return -CNI_ERR_IPAM;
    }
  int ret = 0;
  if (opened && ipam_list (&store, req->container_id, req->ifname, &owned, err) < 0)
    ret = -CNI_ERR_IPAM;
  if (ret == 0)
    {
      drop_ports (c->name, &owned);
      char veth[16];
      net_host_veth_name (c->name, req->container_id, req->ifname, veth);
      int r = nl_link_del (&host, veth, err);
      if (r == 0)
        r = del_in_netns (req, err);
      if (r < 0)
        ret = -CNI_ERR_LINK;
    }
  if (ret == 0 && opened)
    {
      release_all (&store, &owned);
      if ((nft_needed (c) || has_ports (&owned)) && ! ipam_in_use (&store) && nft_drop_table (c->name, err) < 0)
        ret = -CNI_ERR_FIREWALL;
    }
  ipam_list_free (&owned);
  if (opened)
    ipam_close (&store);
  nl_close (&host);
  return ret;
}

static bool
attachment_valid (const net_config_t *c, const char *id, const char *ifname)
{
  for (size_t i = 0; i < c->conf->valid_attachments_len; i++)
    {
      const hako_cni_attachment *a = c->conf->valid_attachments[i];
      if (strcmp (a->container_id, id) == 0 && (ifname[0] == '\0' || strcmp (a->ifname, ifname) == 0))
        return true;
    }
  return false;
}

int
net_gc (net_config_t *c, hako_error_t **err)
{
  ipam_store_t store;
  int opened = ipam_open (&store, c->store_dir, false, err);
  if (opened <= 0)
    return opened < 0 ? -CNI_ERR_IPAM : 0;
  ipam_list_t all = { 0 };
  int ret = 0;
  nl_t host = { 0 };
  if (ipam_list (&store, NULL, NULL, &all, err) < 0)
    ret = -CNI_ERR_IPAM;
  else if (nl_open (&host, err) < 0)
    ret = -CNI_ERR_LINK;
  for (size_t i = 0; ret == 0 && i < all.len; i++)
    {
      ipam_entry_t *e = &all.v[i];
      if (e->id == NULL || attachment_valid (c, e->id, e->ifname))
        continue;
      /* Everything this stale owner holds, then its veth.  */
      ipam_list_t one = { 0 };
      for (size_t j = i; j < all.len; j++)
        if (all.v[j].id && strcmp (all.v[j].id, e->id) == 0 && strcmp (all.v[j].ifname, e->ifname) == 0)
          {
            one.v = hako_xrealloc (one.v, (one.len + 1) * sizeof (*one.v));
            one.v[one.len++] = all.v[j];
          }
      drop_ports (c->name, &one);
      release_all (&store, &one);
      char veth[16];
      net_host_veth_name (c->name, e->id, e->ifname, veth);
      cleanup_error hako_error_t *le = NULL;
      nl_link_del (&host, veth, &le);
      cleanup_free char *id = hako_xstrdup (e->id), *ifname = hako_xstrdup (e->ifname);
      for (size_t j = i; j < all.len; j++)
        if (all.v[j].id && strcmp (all.v[j].id, id) == 0 && strcmp (all.v[j].ifname, ifname) == 0)
          {
            free (all.v[j].id);
            free (all.v[j].ifname);
            all.v[j].id = all.v[j].ifname = NULL;
          }
      free (one.v);
    }
  if (ret == 0 && ! ipam_in_use (&store) && nft_drop_table (c->name, err) < 0)
    ret = -CNI_ERR_FIREWALL;
  ipam_list_free (&all);
  nl_close (&host);
  ipam_close (&store);
  return ret;
}

int
net_status (net_config_t *c, hako_error_t **err)
{
  ipam_store_t store;
  int opened = ipam_open (&store, c->store_dir, false, err);
  if (opened < 0)
    return -CNI_ERR_NOT_AVAILABLE;
  if (opened == 0)
    return 0; /* nothing allocated yet */
  int ret = 0;
  for (size_t i = 0; i < c->nsets && ret == 0; i++)
    if (ipam_free_count (&store, &c->sets[i], 1) == 0)
      {
        char cidr[NET_CIDR_STRLEN];
        net_prefix_format (&c->sets[i].ranges[0].subnet.addr, c->sets[i].ranges[0].subnet.len, cidr);
        hako_error_set (err, ENOSPC, "no free address left in range set %zu (%s)", i, cidr);
        ret = -CNI_ERR_NOT_AVAILABLE;
      }
  ipam_close (&store);
  return ret;
}
