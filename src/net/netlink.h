/* SPDX-License-Identifier: Apache-2.0 */
/* The rtnetlink requests hako-net makes, through libmnl.  A socket works
   in the network namespace it was opened in.  */
#ifndef HAKO_NET_NETLINK_H
#define HAKO_NET_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "error.h"

struct mnl_socket;

typedef struct nl
{
  struct mnl_socket *sock;
  unsigned portid;
  unsigned seq;
} nl_t;

typedef struct nl_link
{
  int index;
  int master;
  unsigned mtu;
  unsigned flags;
  bool has_mac;
  uint8_t mac[6];
  char kind[16];
  char name[16];
  int peer_netnsid; /* IFLA_LINK_NETNSID, or -1 */
} nl_link_t;

int nl_open (nl_t *nl, hako_error_t **err);
void nl_close (nl_t *nl);

/* 1 and *OUT filled when NAME exists, 0 when it does not, -1 on error.  */
int nl_link_get (nl_t *nl, const char *name, nl_link_t *out, hako_error_t **err);
/* A bridge, up, with MAC and (when not 0) MTU.  Fails with EEXIST.  */
int nl_bridge_create (nl_t *nl, const char *name, const uint8_t mac[6], unsigned mtu, hako_error_t **err);
/* A veth pair: HOST (up, with HOST_MAC, enslaved to MASTER) here, and
   PEER (down, with PEER_MAC) created directly in the namespace NETNS_FD. */
int nl_veth_create (nl_t *nl, const char *host, const uint8_t host_mac[6], int master, const char *peer,
                    const uint8_t peer_mac[6], int netns_fd, unsigned mtu, hako_error_t **err);
int nl_link_up (nl_t *nl, int index, hako_error_t **err);
/* 1 when deleted, 0 when there was no such link, -1 on error.  */
int nl_link_del (nl_t *nl, const char *name, hako_error_t **err);
/* Set the bridge port INDEX's hairpin mode.  */
int nl_brport_hairpin (nl_t *nl, int index, hako_error_t **err);
/* Add A/PLEN to INDEX (IPv6 without duplicate address detection).  With
   REPLACE, an existing equal address is no error.  */
int nl_addr_add (nl_t *nl, int index, const net_addr_t *a, unsigned plen, bool replace, hako_error_t **err);
/* 1 when INDEX has A/PLEN, 0 when not, -1 on error.  */
int nl_addr_has (nl_t *nl, int index, const net_addr_t *a, unsigned plen, hako_error_t **err);
/* A route to DST via GW (family 0: on-link) out of INDEX.  */
int nl_route_add (nl_t *nl, int index, const net_route_t *r, const net_addr_t *gw, hako_error_t **err);
/* 1 when the main table (or R's) has a route to R->dst via GW, 0 if not. */
int nl_route_has (nl_t *nl, const net_route_t *r, const net_addr_t *gw, hako_error_t **err);

#endif
