/* SPDX-License-Identifier: Apache-2.0 */
/* hako-net's nftables table, one per network: `inet hako-<name>`.  Its
   chains are fixed for the network (masquerade of the subnets, DNAT of
   published ports from any local address, 127.0.0.1 included); the
   published ports of each container are elements of its maps, added on
   ADD and deleted on DEL; the table goes with the network's last
   address.  Commands go through libnftables, one transaction each.  */
#ifndef HAKO_NET_NFT_H
#define HAKO_NET_NFT_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "config.h"
#include "error.h"

/* Whether ADD needs the table at all.  */
bool nft_needed (const net_config_t *c);
/* Create or refresh the table and its rules, and map the ports of C to
   the container addresses ADDRS (one per range set), in one transaction.
   Fails with EEXIST when a port is mapped already.  */
int nft_add (const net_config_t *c, const net_addr_t *addrs, size_t naddrs, hako_error_t **err);
/* Delete the elements of PORTS (as reserved: proto, host, host_ip) for
   each family of ADDRS.  Missing elements are no error.  */
int nft_del_ports (const char *network, const net_port_t *ports, size_t nports, const bool families[2],
                   hako_error_t **err);
/* Delete the network's table, if there is one.  */
int nft_drop_table (const char *network, hako_error_t **err);
/* Check that the masquerade rules are there (with ipMasq) and that each
   port of C is mapped to the container's address.  */
int nft_check (const net_config_t *c, const net_addr_t *addrs, size_t naddrs, hako_error_t **err);

#endif
