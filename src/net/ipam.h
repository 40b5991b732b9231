/* SPDX-License-Identifier: Apache-2.0 */
/* host-local's address store, on disk in its layout so that the two can
   share a network: <dataDir>/<network>/ holds `lock` (flock), one file per
   allocated address named by the address and holding "ID\r\nIFNAME", and
   `last_reserved_ip.<set>`.  hako-net adds <dataDir>/.hako-ports/<proto>-<port>
   for the host ports it publishes, one space for all networks of the data
   directory ("ID\r\nIFNAME\r\nNETWORK\r\nHOSTIP", never taken by host-local for
   its own).  Every change happens under the network's lock, held from
   ipam_open to ipam_close; a port file is created exclusively, so two
   networks never publish one port.  */
#ifndef HAKO_NET_IPAM_H
#define HAKO_NET_IPAM_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "config.h"
#include "error.h"

typedef struct ipam_store
{
  int dirfd;
  int lockfd;
  const char *dir;
} ipam_store_t;

/* One reservation: an address or a published port, and its owner.  */
typedef struct ipam_entry
{
  bool is_port;
  net_addr_t addr; /* addresses */
  net_port_t port; /* ports: proto, host and host_ip */
  char *id, *ifname;
} ipam_entry_t;

typedef struct ipam_list
{
  ipam_entry_t *v;
  size_t len;
} ipam_list_t;

/* Open DIR (creating it when CREATE) and take the lock (blocking).
   Returns 1, 0 when DIR does not exist and not CREATE, -1 on error.  */
int ipam_open (ipam_store_t *s, const char *dir, bool create, hako_error_t **err);
void ipam_close (ipam_store_t *s);

/* One address from each range set of C for (ID, IFNAME), into OUT
   (C->nsets entries): a requested address when C names one in the set,
   else the next free one after the last reserved, round-robin.  */
int ipam_allocate (ipam_store_t *s, const net_config_t *c, const char *id, const char *ifname, net_addr_t *out,
                   hako_error_t **err);
/* Reserve host port P for (ID, IFNAME); fails with EADDRINUSE when taken.  */
int ipam_reserve_port (ipam_store_t *s, const net_port_t *p, const char *id, const char *ifname, hako_error_t **err);
void ipam_release_addr (ipam_store_t *s, const net_addr_t *a);
void ipam_release_port (ipam_store_t *s, const net_port_t *p);

/* Every reservation, or those of (ID, IFNAME) when ID is not NULL.  */
int ipam_list (ipam_store_t *s, const char *id, const char *ifname, ipam_list_t *out, hako_error_t **err);
void ipam_list_free (ipam_list_t *l);
/* Whether any address is still reserved.  */
bool ipam_in_use (ipam_store_t *s);
/* How many addresses of set SET are free (capped at LIMIT).  */
unsigned long ipam_free_count (ipam_store_t *s, const net_range_set_t *set, unsigned long limit);

#endif
