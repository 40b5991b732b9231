/* SPDX-License-Identifier: Apache-2.0 */
/* IPv4 and IPv6 addresses and prefixes as hako-net reads and writes them:
   parsing, formatting, and the arithmetic address allocation needs.  */
#ifndef HAKO_NET_ADDR_H
#define HAKO_NET_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* An address in network byte order; IPv4 uses the first 4 bytes.  */
typedef struct net_addr
{
  int family; /* AF_INET or AF_INET6; 0 when unset */
  uint8_t b[16];
} net_addr_t;

typedef struct net_prefix
{
  net_addr_t addr;
  unsigned len;
} net_prefix_t;

#define NET_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */
#define NET_CIDR_STRLEN (NET_ADDR_STRLEN + 4)

static inline unsigned
net_addr_bytes (const net_addr_t *a)
{
  return a->family == AF_INET ? 4 : 16;
}

static inline unsigned
net_addr_bits (const net_addr_t *a)
{
  return net_addr_bytes (a) * 8;
}

/* Parse "1.2.3.4" or "fd00::1".  Returns 0, or -1 when S is no address.  */
int net_addr_parse (const char *s, net_addr_t *out);
/* Parse "1.2.3.4/24".  The address keeps its host bits.  */
int net_prefix_parse (const char *s, net_prefix_t *out);

void net_addr_format (const net_addr_t *a, char buf[NET_ADDR_STRLEN]);
/* "ADDR/LEN".  */
void net_prefix_format (const net_addr_t *a, unsigned len, char buf[NET_CIDR_STRLEN]);

bool net_addr_equal (const net_addr_t *a, const net_addr_t *b);
/* <0, 0, >0 like memcmp; both of one family.  */
int net_addr_cmp (const net_addr_t *a, const net_addr_t *b);
/* Clear the host bits of P.  */
void net_prefix_mask (net_prefix_t *p);
bool net_prefix_contains (const net_prefix_t *p, const net_addr_t *a);
/* The last address of P (the broadcast address for IPv4).  */
void net_prefix_last (const net_prefix_t *p, net_addr_t *out);
/* A + 1 and A - 1, wrapping.  */
void net_addr_next (net_addr_t *a);
void net_addr_prev (net_addr_t *a);

#endif
