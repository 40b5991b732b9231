/* SPDX-License-Identifier: Apache-2.0 */
/* The CNI operations on one network configuration.  Each returns 0, or
   minus a CNI error code with ERR filled.  */
#ifndef HAKO_NET_PLUGIN_H
#define HAKO_NET_PLUGIN_H

#include "cni.h"
#include "config.h"
#include "error.h"

typedef struct net_request
{
  const char *container_id;
  const char *netns; /* may be NULL for DEL */
  const char *ifname;
} net_request_t;

int net_add (net_config_t *c, const net_request_t *req, hako_cni_result **result, hako_error_t **err);
int net_del (net_config_t *c, const net_request_t *req, hako_error_t **err);
int net_check (net_config_t *c, const net_request_t *req, hako_error_t **err);
int net_gc (net_config_t *c, hako_error_t **err);
int net_status (net_config_t *c, hako_error_t **err);

/* The host side of the veth pair of (network, id, ifname): "veth" and
   eight hex digits of a hash, so that DEL finds it with nothing stored. */
void net_host_veth_name (const char *network, const char *id, const char *ifname, char out[16]);

#endif
