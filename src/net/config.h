/* SPDX-License-Identifier: Apache-2.0 */
/* A network configuration, parsed by the generated code (oci-spec/cni.ospec)
   and checked as a whole into the form the rest of hako-net uses.  */
#ifndef HAKO_NET_CONFIG_H
#define HAKO_NET_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "cni.h"
#include "error.h"

/* CNI error codes (SPEC.md section 5) and hako-net's own (100+).  */
enum
{
  CNI_ERR_VERSION = 1,
  CNI_ERR_UNSUPPORTED_FIELD = 2,
  CNI_ERR_UNKNOWN_CONTAINER = 3,
  CNI_ERR_ENV = 4,
  CNI_ERR_IO = 5,
  CNI_ERR_DECODE = 6,
  CNI_ERR_INVALID_CONFIG = 7,
  CNI_ERR_TRY_AGAIN = 11,
  CNI_ERR_NOT_AVAILABLE = 50,
  CNI_ERR_LINK = 100,     /* netlink: bridge, veth, address, route */
  CNI_ERR_IPAM = 101,     /* the address store, or no address left */
  CNI_ERR_FIREWALL = 102, /* nftables */
  CNI_ERR_PORT_BUSY = 103,
  CNI_ERR_CHECK = 104, /* CHECK found the attachment not as expected */
};

/* Ranges in one network, all sets together.  */
#define NET_MAX_RANGES 16

typedef struct net_range
{
  net_prefix_t subnet; /* host bits cleared */
  net_addr_t start, end, gateway;
} net_range_t;

/* One address is allocated from each set (host-local's `ranges`).  */
typedef struct net_range_set
{
  net_range_t *ranges;
  size_t len;
} net_range_set_t;

typedef struct net_route
{
  net_prefix_t dst;
  net_addr_t gw; /* family 0: the range's gateway of the same family */
  uint32_t mtu, advmss, priority, table;
  uint8_t scope;
  bool has_priority, has_table, has_scope;
} net_route_t;

typedef struct net_port
{
  uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP */
  uint16_t host, container;
  net_addr_t host_ip; /* family 0: every local address */
} net_port_t;

typedef struct net_config
{
  hako_cni_net_conf *conf; /* owned; the strings below point into it */
  const char *cni_version;
  const char *name;
  const char *bridge;
  bool is_gateway, is_default_gateway, ip_masq, hairpin;
  unsigned mtu; /* 0: the kernel's default */
  bool has_mac;
  uint8_t mac[6];
  net_range_set_t *sets;
  size_t nsets;
  net_route_t *routes;
  size_t nroutes;
  net_port_t *ports;
  size_t nports;
  net_addr_t *requested; /* CNI_ARGS IP= and runtimeConfig.ips */
  size_t nrequested;
  char *store_dir; /* <dataDir>/<name> */
} net_config_t;

/* Supported spec versions, oldest first, NULL-terminated.  */
extern const char *const net_cni_versions[];
bool net_version_supported (const char *v);
/* <0, 0, >0 comparing two "X.Y.Z" versions.  */
int net_version_cmp (const char *a, const char *b);

/* Parse and check DATA (a plugin configuration; a configuration list too
   when ALLOW_LIST, whose first plugin is used).  On failure returns minus
   a CNI error code and fills ERR with the JSON path and what was expected. */
int net_config_load (const char *data, size_t len, const char *source, bool allow_list, net_config_t **out,
                     hako_error_t **err);
/* Apply CNI_ARGS ("K=V;K=V"): IP= and IgnoreUnknown=.  Returns minus a CNI
   error code on failure.  */
int net_config_apply_args (net_config_t *c, const char *cni_args, hako_error_t **err);
void net_config_free (net_config_t *c);

int net_parse_mac (const char *s, uint8_t mac[6]);
bool net_ifname_valid (const char *s);
bool net_id_valid (const char *s);
const char *net_proto_name (uint8_t proto);

#endif
