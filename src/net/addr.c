/* SPDX-License-Identifier: Apache-2.0 */
#include <config.h>

#include "addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
net_addr_parse (const char *s, net_addr_t *out)
{
  memset (out, 0, sizeof (*out));
  if (s == NULL)
    return -1;
  if (inet_pton (AF_INET, s, out->b) == 1)
    {
      out->family = AF_INET;
      return 0;
    }
  if (inet_pton (AF_INET6, s, out->b) == 1)
    {
      /* An IPv4-mapped address is the IPv4 address, as in Go's net.IP
         that host-local uses.  */
      static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
      if (memcmp (out->b, mapped, 12) == 0)
        {
          memmove (out->b, out->b + 12, 4);
          memset (out->b + 4, 0, 12);
          out->family = AF_INET;
          return 0;
        }
      out->family = AF_INET6;
      return 0;
    }
  return -1;
}

int
net_prefix_parse (const char *s, net_prefix_t *out)
{
  memset (out, 0, sizeof (*out));
  if (s == NULL)
    return -1;
  const char *slash = strchr (s, '/');
  if (slash == NULL || slash == s || slash - s >= NET_ADDR_STRLEN)
    return -1;
  char host[NET_ADDR_STRLEN];
  memcpy (host, s, (size_t) (slash - s));
  host[slash - s] = '\0';
  if (net_addr_parse (host, &out->addr) < 0)
    return -1;
  const char *p = slash + 1;
  if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] != '\0'))
    return -1;
  char *end;
  unsigned long len = strtoul (p, &end, 10);
  if (*end != '\0' || len > net_addr_bits (&out->addr))
    return -1;
  out->len = (unsigned) len;
  return 0;
}

void
net_addr_format (const net_addr_t *a, char buf[NET_ADDR_STRLEN])
{
  if (inet_ntop (a->family, a->b, buf, NET_ADDR_STRLEN) == NULL)
    strcpy (buf, "?");
}

void
net_prefix_format (const net_addr_t *a, unsigned len, char buf[NET_CIDR_STRLEN])
{
  char s[NET_ADDR_STRLEN];
  net_addr_format (a, s);
  snprintf (buf, NET_CIDR_STRLEN, "%s/%u", s, len);
}

bool
net_addr_equal (const net_addr_t *a, const net_addr_t *b)
{
  return a->family == b->family && memcmp (a->b, b->b, net_addr_bytes (a)) == 0;
}

int
net_addr_cmp (const net_addr_t *a, const net_addr_t *b)
{
  return memcmp (a->b, b->b, net_addr_bytes (a));
}

void
net_prefix_mask (net_prefix_t *p)
{
  unsigned n = net_addr_bytes (&p->addr);
  for (unsigned i = 0; i < n; i++)
    {
      unsigned bit = i * 8;
      if (bit >= p->len)
        p->addr.b[i] = 0;
      else if (p->len - bit < 8)
        p->addr.b[i] &= (uint8_t) (0xff << (8 - (p->len - bit)));
    }
}

bool
net_prefix_contains (const net_prefix_t *p, const net_addr_t *a)
{
  if (a->family != p->addr.family)
    return false;
  net_prefix_t x = { *a, p->len };
  net_prefix_mask (&x);
  net_prefix_t y = *p;
  net_prefix_mask (&y);
  return net_addr_equal (&x.addr, &y.addr);
}

void
net_prefix_last (const net_prefix_t *p, net_addr_t *out)
{
  net_prefix_t x = *p;
  net_prefix_mask (&x);
  *out = x.addr;
  unsigned n = net_addr_bytes (out);
  for (unsigned i = 0; i < n; i++)
    {
      unsigned bit = i * 8;
      if (bit >= p->len)
        out->b[i] = 0xff;
      else if (p->len - bit < 8)
        out->b[i] |= (uint8_t) (0xff >> (p->len - bit));
    }
}

void
net_addr_next (net_addr_t *a)
{
  for (int i = (int) net_addr_bytes (a) - 1; i >= 0; i--)
    if (++a->b[i] != 0)
      break;
}

void
net_addr_prev (net_addr_t *a)
{
  for (int i = (int) net_addr_bytes (a) - 1; i >= 0; i--)
    if (a->b[i]-- != 0)
      break;
}
