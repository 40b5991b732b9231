/* SPDX-License-Identifier: Apache-2.0 */
/* A container's network namespace: open it by path (checking that it is
   one) and open a netlink socket inside it.  */
#ifndef HAKO_NET_NETNS_H
#define HAKO_NET_NETNS_H

#include "error.h"
#include "netlink.h"

/* 1 and *FD when PATH is a network namespace, 0 when PATH does not exist,
   -1 (with ERR) when it is something else or cannot be opened.  */
int netns_open (const char *path, int *fd, hako_error_t **err);
/* A netlink socket in the namespace NSFD; the calling thread is back in
   its own namespace on return.  */
int netns_nl_open (int nsfd, nl_t *out, hako_error_t **err);

#endif
