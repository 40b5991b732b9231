/* SPDX-License-Identifier: Apache-2.0 */
#include <config.h>

#include "netlink.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

/* Requests are small; replies to dumps are read into this many bytes at a
   time.  */
#define NL_BUF 16384

int
nl_open (nl_t *nl, hako_error_t **err)
{
  nl->sock = mnl_socket_open2 (NETLINK_ROUTE, SOCK_CLOEXEC);
  if (nl->sock == NULL)
    return hako_error_sys (err, "open a netlink socket");
  if (mnl_socket_bind (nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
    {
      hako_error_sys (err, "bind a netlink socket");
      nl_close (nl);
      return -1;
    }
  nl->portid = mnl_socket_get_portid (nl->sock);
  nl->seq = (unsigned) time (NULL);
  return 0;
}

void
nl_close (nl_t *nl)
{
  if (nl->sock)
    mnl_socket_close (nl->sock);
  nl->sock = NULL;
}

static struct nlmsghdr *
msg_new (nl_t *nl, char *buf, uint16_t type, uint16_t flags)
{
  struct nlmsghdr *nlh = mnl_nlmsg_put_header (buf);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  nlh->nlmsg_seq = ++nl->seq;
  return nlh;
}

/* An RTM_*LINK request for INDEX or NAME (when not NULL).  */
static struct nlmsghdr *
link_msg (nl_t *nl, char *buf, uint16_t type, uint16_t flags, uint8_t family, int index, const char *name)
{
  struct nlmsghdr *nlh = msg_new (nl, buf, type, flags);
  struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header (nlh, sizeof (*ifm));
  ifm->ifi_family = family;
  ifm->ifi_index = index;
  if (name)
    mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  return nlh;
}

/* Send NLH and read replies (through CB) until the acknowledgement or the
   end of a dump.  Returns 0 or -errno.  */
static int
talk (nl_t *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
  if (mnl_socket_sendto (nl->sock, nlh, nlh->nlmsg_len) < 0)
    return -errno;
  unsigned seq = nlh->nlmsg_seq;
  cleanup_free char *buf = hako_xmalloc (NL_BUF);
  for (;;)
    {
      ssize_t n = mnl_socket_recvfrom (nl->sock, buf, NL_BUF);
      if (n < 0)
        return -errno;
      int r = mnl_cb_run (buf, (size_t) n, seq, nl->portid, cb, data);
      if (r < 0)
        return -errno;
      if (r == MNL_CB_STOP)
        return 0;
    }
}

static int
nl_fail (hako_error_t **err, int negerr, const char *what, const char *name)
{
  return hako_error_set (err, -negerr, "netlink: %s `%s`", what, name);
}

/* Room for a struct at the end of NLH (for a nested ifinfomsg).  */
static void *
put_raw (struct nlmsghdr *nlh, size_t size)
{
  void *p = (char *) nlh + nlh->nlmsg_len;
  memset (p, 0, MNL_ALIGN (size));
  nlh->nlmsg_len += MNL_ALIGN (size);
  return p;
}

struct link_cb_data
{
  nl_link_t *out;
  bool found;
};

static int
linkinfo_cb (const struct nlattr *a, void *data)
{
  nl_link_t *l = data;
  if (mnl_attr_get_type (a) == IFLA_INFO_KIND && mnl_attr_validate (a, MNL_TYPE_STRING) >= 0)
    {
      strncpy (l->kind, mnl_attr_get_str (a), sizeof (l->kind) - 1);
      l->kind[sizeof (l->kind) - 1] = '\0';
    }
  return MNL_CB_OK;
}

static int
link_attr_cb (const struct nlattr *a, void *data)
{
  nl_link_t *l = data;
  switch (mnl_attr_get_type (a))
    {
    case IFLA_IFNAME:
      if (mnl_attr_validate (a, MNL_TYPE_STRING) >= 0)
        {
          strncpy (l->name, mnl_attr_get_str (a), sizeof (l->name) - 1);
          l->name[sizeof (l->name) - 1] = '\0';
        }
      break;
    case IFLA_MTU:
      if (mnl_attr_validate (a, MNL_TYPE_U32) >= 0)
        l->mtu = mnl_attr_get_u32 (a);
      break;
    case IFLA_MASTER:
      if (mnl_attr_validate (a, MNL_TYPE_U32) >= 0)
        l->master = (int) mnl_attr_get_u32 (a);
      break;
    case IFLA_LINK_NETNSID:
      if (mnl_attr_validate (a, MNL_TYPE_U32) >= 0)
        l->peer_netnsid = (int) mnl_attr_get_u32 (a);
      break;
    case IFLA_ADDRESS:
      if (mnl_attr_get_payload_len (a) == 6)
        {
          memcpy (l->mac, mnl_attr_get_payload (a), 6);
          l->has_mac = true;
        }
      break;
    case IFLA_LINKINFO:
      mnl_attr_parse_nested (a, linkinfo_cb, l);
      break;
    }
  return MNL_CB_OK;
}

static int
link_cb (const struct nlmsghdr *nlh, void *data)
{
  struct link_cb_data *d = data;
  if (nlh->nlmsg_type != RTM_NEWLINK)
    return MNL_CB_OK;
  const struct ifinfomsg *ifm = mnl_nlmsg_get_payload (nlh);
  memset (d->out, 0, sizeof (*d->out));
  d->out->peer_netnsid = -1;
  d->out->index = ifm->ifi_index;
  d->out->flags = ifm->ifi_flags;
  mnl_attr_parse (nlh, sizeof (*ifm), link_attr_cb, d->out);
  d->found = true;
  return MNL_CB_OK;
}

int
nl_link_get (nl_t *nl, const char *name, nl_link_t *out, hako_error_t **err)
{
  char buf[512];
  struct nlmsghdr *nlh = link_msg (nl, buf, RTM_GETLINK, 0, AF_UNSPEC, 0, name);
  struct link_cb_data d = { out, false };
  int r = talk (nl, nlh, link_cb, &d);
  if (r == -ENODEV)
    return 0;
  if (r < 0)
    return nl_fail (err, r, "get link", name);
  return d.found ? 1 : 0;
}

int
nl_bridge_create (nl_t *nl, const char *name, const uint8_t mac[6], unsigned mtu, hako_error_t **err)
{
  char buf[512];
  struct nlmsghdr *nlh = link_msg (nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, AF_UNSPEC, 0, name);
  struct ifinfomsg *ifm = mnl_nlmsg_get_payload (nlh);
  ifm->ifi_flags = ifm->ifi_change = IFF_UP;
  mnl_attr_put (nlh, IFLA_ADDRESS, 6, mac);
  if (mtu)
    mnl_attr_put_u32 (nlh, IFLA_MTU, mtu);
  struct nlattr *li = mnl_attr_nest_start (nlh, IFLA_LINKINFO);
  mnl_attr_put_strz (nlh, IFLA_INFO_KIND, "bridge");
  mnl_attr_nest_end (nlh, li);
  int r = talk (nl, nlh, NULL, NULL);
  if (r < 0)
    return nl_fail (err, r, "create bridge", name);
  return 0;
}

int
nl_veth_create (nl_t *nl, const char *host, const uint8_t host_mac[6], int master, const char *peer,
                const uint8_t peer_mac[6], int netns_fd, unsigned mtu, hako_error_t **err)
{
  char buf[1024];
  struct nlmsghdr *nlh = link_msg (nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, AF_UNSPEC, 0, host);
  struct ifinfomsg *ifm = mnl_nlmsg_get_payload (nlh);
  ifm->ifi_flags = ifm->ifi_change = IFF_UP;
  mnl_attr_put (nlh, IFLA_ADDRESS, 6, host_mac);
  if (mtu)
    mnl_attr_put_u32 (nlh, IFLA_MTU, mtu);
  if (master > 0)
    mnl_attr_put_u32 (nlh, IFLA_MASTER, (uint32_t) master);
  struct nlattr *li = mnl_attr_nest_start (nlh, IFLA_LINKINFO);
  mnl_attr_put_strz (nlh, IFLA_INFO_KIND, "veth");
  struct nlattr *data = mnl_attr_nest_start (nlh, IFLA_INFO_DATA);
  struct nlattr *pa = mnl_attr_nest_start (nlh, VETH_INFO_PEER);
  struct ifinfomsg *pifm = put_raw (nlh, sizeof (*pifm));
  /* Not up here: the kernel configures the peer before it is paired,
     and opening an unpaired veth fails with ENOTCONN.  */
  pifm->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz (nlh, IFLA_IFNAME, peer);
  mnl_attr_put (nlh, IFLA_ADDRESS, 6, peer_mac);
  if (mtu)
    mnl_attr_put_u32 (nlh, IFLA_MTU, mtu);
  mnl_attr_put_u32 (nlh, IFLA_NET_NS_FD, (uint32_t) netns_fd);
  mnl_attr_nest_end (nlh, pa);
  mnl_attr_nest_end (nlh, data);
  mnl_attr_nest_end (nlh, li);
  int r = talk (nl, nlh, NULL, NULL);
  if (r < 0)
    return nl_fail (err, r, "create veth pair", host);
  return 0;
}

int
nl_link_up (nl_t *nl, int index, hako_error_t **err)
{
  char buf[256];
  struct nlmsghdr *nlh = link_msg (nl, buf, RTM_NEWLINK, 0, AF_UNSPEC, index, NULL);
  struct ifinfomsg *ifm = mnl_nlmsg_get_payload (nlh);
  ifm->ifi_flags = ifm->ifi_change = IFF_UP;
  int r = talk (nl, nlh, NULL, NULL);
  if (r < 0)
    return hako_error_set (err, -r, "netlink: set link %d up", index);
  return 0;
}

int
nl_link_del (nl_t *nl, const char *name, hako_error_t **err)
{
  char buf[256];
  struct nlmsghdr *nlh = link_msg (nl, buf, RTM_DELLINK, 0, AF_UNSPEC, 0, name);
  int r = talk (nl, nlh, NULL, NULL);
  if (r == -ENODEV)
    return 0;
  if (r < 0)
    return nl_fail (err, r, "delete link", name);
  return 1;
}

int
nl_brport_hairpin (nl_t *nl, int index, hako_error_t **err)
{
  char buf[256];
  struct nlmsghdr *nlh = link_msg (nl, buf, RTM_SETLINK, 0, AF_BRIDGE, index, NULL);
  struct nlattr *pi = mnl_attr_nest_start (nlh, IFLA_PROTINFO);
  mnl_attr_put_u8 (nlh, IFLA_BRPORT_MODE, 1);
  mnl_attr_nest_end (nlh, pi);
  int r = talk (nl, nlh, NULL, NULL);
  if (r < 0)
    return hako_error_set (err, -r, "netlink: set hairpin mode on bridge port %d", index);
  return 0;
}

int
nl_addr_add (nl_t *nl, int index, const net_addr_t *a, unsigned plen, bool replace, hako_error_t **err)
{
  char buf[256];
  struct nlmsghdr *nlh = msg_new (nl, buf, RTM_NEWADDR, NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL));
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header (nlh, sizeof (*ifa));
  ifa->ifa_family = (uint8_t) a->family;
  ifa->ifa_prefixlen = (uint8_t) plen;
  ifa->ifa_index = (uint32_t) index;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  mnl_attr_put (nlh, IFA_LOCAL, net_addr_bytes (a), a->b);
  mnl_attr_put (nlh, IFA_ADDRESS, net_addr_bytes (a), a->b);
  if (a->family == AF_INET6)
    {
      /* The address is unique by allocation: usable at once, without
         waiting for duplicate address detection.  */
      ifa->ifa_flags = IFA_F_NODAD;
      mnl_attr_put_u32 (nlh, IFA_FLAGS, IFA_F_NODAD);
    }
  int r = talk (nl, nlh, NULL, NULL);
  if (r < 0)
    {
      char s[NET_CIDR_STRLEN];
      net_prefix_format (a, plen, s);
      return hako_error_set (err, -r, "netlink: add address %s to link %d", s, index);
    }
  return 0;
}

struct addr_match
{
  int index;
  const net_addr_t *a;
  unsigned plen;
  bool found;
};

static int
addr_attr_cb (const struct nlattr *at, void *data)
{
  struct addr_match *m = data;
  uint16_t t = mnl_attr_get_type (at);
  if ((t == IFA_LOCAL || (t == IFA_ADDRESS && m->a->family == AF_INET6))
      && mnl_attr_get_payload_len (at) == net_addr_bytes (m->a)
      && memcmp (mnl_attr_get_payload (at), m->a->b, net_addr_bytes (m->a)) == 0)
    m->found = true;
  return MNL_CB_OK;
}

static int
addr_cb (const struct nlmsghdr *nlh, void *data)
{
  struct addr_match *m = data;
  const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload (nlh);
  if (nlh->nlmsg_type != RTM_NEWADDR || (int) ifa->ifa_index != m->index || ifa->ifa_prefixlen != m->plen
      || ifa->ifa_family != m->a->family)
    return MNL_CB_OK;
  mnl_attr_parse (nlh, sizeof (*ifa), addr_attr_cb, m);
  return MNL_CB_OK;
}

int
nl_addr_has (nl_t *nl, int index, const net_addr_t *a, unsigned plen, hako_error_t **err)
{
  char buf[256];
  struct nlmsghdr *nlh = msg_new (nl, buf, RTM_GETADDR, NLM_F_DUMP);
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header (nlh, sizeof (*ifa));
  ifa->ifa_family = (uint8_t) a->family;
  struct addr_match m = { index, a, plen, false };
  int r = talk (nl, nlh, addr_cb, &m);
  if (r < 0)
    return hako_error_set (err, -r, "netlink: list addresses");
  return m.found ? 1 : 0;
}

int
nl_route_add (nl_t *nl, int index, const net_route_t *r, const net_addr_t *gw, hako_error_t **err)
{
  char buf[512];
  struct nlmsghdr *nlh = msg_new (nl, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  struct rtmsg *rtm = mnl_nlmsg_put_extra_header (nlh, sizeof (*rtm));
  const net_addr_t *dst = &r->dst.addr;
  bool via = gw && gw->family;
  rtm->rtm_family = (uint8_t) dst->family;
  rtm->rtm_dst_len = (uint8_t) r->dst.len;
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_BOOT;
  rtm->rtm_scope = r->has_scope ? r->scope : via ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  rtm->rtm_type = RTN_UNICAST;
  if (r->dst.len)
    mnl_attr_put (nlh, RTA_DST, net_addr_bytes (dst), dst->b);
  if (via)
    mnl_attr_put (nlh, RTA_GATEWAY, net_addr_bytes (gw), gw->b);
  mnl_attr_put_u32 (nlh, RTA_OIF, (uint32_t) index);
  if (r->has_table)
    {
      rtm->rtm_table = r->table < 256 ? (uint8_t) r->table : RT_TABLE_UNSPEC;
      mnl_attr_put_u32 (nlh, RTA_TABLE, r->table);
    }
  if (r->has_priority)
    mnl_attr_put_u32 (nlh, RTA_PRIORITY, r->priority);
  if (r->mtu || r->advmss)
    {
      struct nlattr *mx = mnl_attr_nest_start (nlh, RTA_METRICS);
      if (r->mtu)
        mnl_attr_put_u32 (nlh, RTAX_MTU, r->mtu);
      if (r->advmss)
        mnl_attr_put_u32 (nlh, RTAX_ADVMSS, r->advmss);
      mnl_attr_nest_end (nlh, mx);
    }
  int ret = talk (nl, nlh, NULL, NULL);
  if (ret < 0)
    {
      char s[NET_CIDR_STRLEN];
      net_prefix_format (dst, r->dst.len, s);
      return hako_error_set (err, -ret, "netlink: add route to %s", s);
    }
  return 0;
}

struct route_match
{
  const net_route_t *r;
  const net_addr_t *gw;
  bool found;
};

struct route_attrs
{
  const void *dst, *gw;
  uint32_t table;
};

static int
route_attr_cb (const struct nlattr *a, void *data)
{
  struct route_attrs *ra = data;
  switch (mnl_attr_get_type (a))
    {
    case RTA_DST:
      ra->dst = mnl_attr_get_payload (a);
      break;
    case RTA_GATEWAY:
      ra->gw = mnl_attr_get_payload (a);
      break;
    case RTA_TABLE:
      if (mnl_attr_validate (a, MNL_TYPE_U32) >= 0)
        ra->table = mnl_attr_get_u32 (a);
      break;
    }
  return MNL_CB_OK;
}

static int
route_cb (const struct nlmsghdr *nlh, void *data)
{
  struct route_match *m = data;
  const struct rtmsg *rtm = mnl_nlmsg_get_payload (nlh);
  const net_addr_t *dst = &m->r->dst.addr;
  if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != dst->family || rtm->rtm_dst_len != m->r->dst.len)
    return MNL_CB_OK;
  struct route_attrs ra = { NULL, NULL, rtm->rtm_table };
  mnl_attr_parse (nlh, sizeof (*rtm), route_attr_cb, &ra);
  uint32_t want_table = m->r->has_table ? m->r->table : RT_TABLE_MAIN;
  unsigned n = net_addr_bytes (dst);
  if (ra.table != want_table)
    return MNL_CB_OK;
  if (m->r->dst.len && (ra.dst == NULL || memcmp (ra.dst, dst->b, n) != 0))
    return MNL_CB_OK;
  if (m->gw && m->gw->family && (ra.gw == NULL || memcmp (ra.gw, m->gw->b, n) != 0))
    return MNL_CB_OK;
  m->found = true;
  return MNL_CB_OK;
}

int
nl_route_has (nl_t *nl, const net_route_t *r, const net_addr_t *gw, hako_error_t **err)
{
  char buf[256];
  struct nlmsghdr *nlh = msg_new (nl, buf, RTM_GETROUTE, NLM_F_DUMP);
  struct rtmsg *rtm = mnl_nlmsg_put_extra_header (nlh, sizeof (*rtm));
  rtm->rtm_family = (uint8_t) r->dst.addr.family;
  struct route_match m = { r, gw, false };
  int ret = talk (nl, nlh, route_cb, &m);
  if (ret < 0)
    return hako_error_set (err, -ret, "netlink: list routes");
  return m.found ? 1 : 0;
}
