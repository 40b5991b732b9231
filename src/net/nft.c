/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: ipMasq and runtimeConfig.portMappings (nftables).  */
#include <config.h>

#include "nft.h"

#include <errno.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

/* Names are checked by config.c (letters, digits, `_`, `.`, `-`), which
   nft accepts unquoted after a letter.  */
#define TABLE_FMT "inet hako-%s"

static void
nft_ctx_freep (struct nft_ctx **ctx)
{
  if (*ctx)
    nft_ctx_free (*ctx);
}
#define cleanup_nft __attribute__ ((cleanup (nft_ctx_freep)))

/* Run CMDS as one transaction.  Returns 0, or -1 with the error text of
   nft (its first line) in ERR.  OUT, when not NULL, receives the output. */
static int
run (const char *cmds, char **out, hako_error_t **err)
{
  cleanup_nft struct nft_ctx *ctx = nft_ctx_new (NFT_CTX_DEFAULT);
  if (ctx == NULL)
    return hako_error_set (err, ENOMEM, "nftables: cannot create a context");
  /* stdout carries the CNI result: nothing of nft's may land there.  */
  nft_ctx_buffer_output (ctx);
  nft_ctx_buffer_error (ctx);
  if (nft_run_cmd_from_buffer (ctx, cmds) != 0)
    {
      const char *e = nft_ctx_get_error_buffer (ctx);
      size_t n = e ? strcspn (e, "\n") : 0;
      return hako_error_set (err, 0, "nftables: %.*s", (int) n, n ? e : "command failed");
    }
  if (out)
    {
      const char *o = nft_ctx_get_output_buffer (ctx);
      *out = hako_xstrdup (o ? o : "");
    }
  return 0;
}

bool
nft_needed (const net_config_t *c)
{
  return c->ip_masq || c->nports > 0;
}

static bool
has_family (const net_config_t *c, int family)
{
  for (size_t i = 0; i < c->nsets; i++)
    if (c->sets[i].ranges[0].subnet.addr.family == family)
      return true;
  return false;
}

/* The subnets of FAMILY in C, formatted, into OUT (at most MAX).  */
static size_t
subnets_of (const net_config_t *c, int family, char (*out)[NET_CIDR_STRLEN], size_t max)
{
  size_t n = 0;
  for (size_t i = 0; i < c->nsets; i++)
    for (size_t j = 0; j < c->sets[i].len && n < max; j++)
      {
        const net_prefix_t *s = &c->sets[i].ranges[j].subnet;
        if (s->addr.family == family)
          net_prefix_format (&s->addr, s->len, out[n++]);
      }
  return n;
}

/* "{ S1, S2, EXTRA }": the subnets, and EXTRA.  */
static void
subnets_set (FILE *f, char (*subnets)[NET_CIDR_STRLEN], size_t n, const char *extra)
{
  fputs ("{ ", f);
  for (size_t i = 0; i < n; i++)
    fprintf (f, "%s, ", subnets[i]);
  fprintf (f, "%s }", extra);
}

static void
table_cmds (FILE *f, const net_config_t *c)
{
  const char *n = c->name;
  fprintf (f, "add table " TABLE_FMT "\n", n);
  static const struct
  {
    const char *chain, *hook, *prio;
  } chains[] = { { "prerouting", "prerouting", "dstnat" },
                 { "output", "output", "-100" },
                 { "postrouting", "postrouting", "srcnat" } };
  for (size_t i = 0; i < 3; i++)
    {
      fprintf (f, "add chain " TABLE_FMT " %s { type nat hook %s priority %s; policy accept; }\n", n, chains[i].chain,
               chains[i].hook, chains[i].prio);
      /* Rules are rewritten whole on each ADD: the result is the same
         whatever state an earlier run left.  */
      fprintf (f, "flush chain " TABLE_FMT " %s\n", n, chains[i].chain);
    }
  for (int v = 4; v <= 6; v += 2)
    {
      int family = v == 4 ? AF_INET : AF_INET6;
      const char *ip = v == 4 ? "ip" : "ip6", *at = v == 4 ? "ipv4_addr" : "ipv6_addr";
      if (! has_family (c, family))
        continue;
      fprintf (f, "add map " TABLE_FMT " ports%d { type inet_proto . inet_service : %s . inet_service; }\n", n, v, at);
      fprintf (f, "add map " TABLE_FMT " hostports%d { type %s . inet_proto . inet_service : %s . inet_service; }\n", n,
               v, at, at);
      /* Ports published on one host address first, then on all.  The
         output hook is what lets the host itself, 127.0.0.1 included,
         reach them.  */
      for (int hook = 0; hook < 2; hook++)
        {
          const char *chain = hook ? "output" : "prerouting";
          const char *not_lo = v == 6 && hook ? " ip6 daddr != ::1" : "";
          fprintf (f,
                   "add rule " TABLE_FMT " %s fib daddr type local%s dnat %s to %s daddr . meta l4proto . th dport "
                   "map @hostports%d\n",
                   n, chain, not_lo, ip, ip, v);
          fprintf (f,
                   "add rule " TABLE_FMT " %s fib daddr type local%s dnat %s to meta l4proto . th dport map @ports%d\n",
                   n, chain, not_lo, ip, v);
        }
      char subnets[NET_MAX_RANGES][NET_CIDR_STRLEN];
      size_t nsub = subnets_of (c, family, subnets, NET_MAX_RANGES);
      if (c->ip_masq)
        for (size_t i = 0; i < nsub; i++)
          {
            fprintf (f, "add rule " TABLE_FMT " postrouting %s saddr %s %s daddr != ", n, ip, subnets[i], ip);
            subnets_set (f, subnets, nsub, v == 4 ? "224.0.0.0/4" : "ff00::/8");
            fputs (" masquerade\n", f);
          }
      if (c->nports > 0)
        {
          /* Connections DNATed to a container from the host's loopback
             or from the network itself (hairpin) must come back through
             the host: masquerade them.  */
          fprintf (f, "add rule " TABLE_FMT " postrouting oifname \"%s\" ct status dnat %s saddr ", n, c->bridge, ip);
          subnets_set (f, subnets, nsub, v == 4 ? "127.0.0.0/8" : "::1/128");
          fputs (" masquerade\n", f);
        }
    }
}

/* The map and key of port P for family V: "ports4 { tcp . 8080" or
   "hostports4 { 127.0.0.1 . tcp . 8080".  */
static void
port_key (FILE *f, const net_port_t *p, int v)
{
  if (p->host_ip.family)
    {
      char a[NET_ADDR_STRLEN];
      net_addr_format (&p->host_ip, a);
      fprintf (f, "hostports%d { %s . %s . %u", v, a, net_proto_name (p->proto), p->host);
    }
  else
    fprintf (f, "ports%d { %s . %u", v, net_proto_name (p->proto), p->host);
}

static bool
port_applies (const net_port_t *p, int family)
{
  return p->host_ip.family == 0 || p->host_ip.family == family;
}

int
nft_add (const net_config_t *c, const net_addr_t *addrs, size_t naddrs, hako_error_t **err)
{
  cleanup_free char *cmds = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&cmds, &len);
  if (f == NULL)
    return hako_error_sys (err, "open_memstream");
  table_cmds (f, c);
  for (size_t i = 0; i < c->nports; i++)
    for (size_t j = 0; j < naddrs; j++)
      {
        const net_port_t *p = &c->ports[i];
        if (! port_applies (p, addrs[j].family))
          continue;
        char a[NET_ADDR_STRLEN];
        net_addr_format (&addrs[j], a);
        /* `create` fails when the key exists: a port is never taken over
           from another container.  */
        fprintf (f, "create element " TABLE_FMT " ", c->name);
        port_key (f, p, addrs[j].family == AF_INET ? 4 : 6);
        fprintf (f, " : %s . %u }\n", a, p->container);
      }
  fclose (f);
  if (run (cmds, NULL, err) < 0)
    {
      hako_error_prefix (err, "set up table `hako-%s`", c->name);
      return -1;
    }
  return 0;
}

int
nft_del_ports (const char *network, const net_port_t *ports, size_t nports, const bool families[2], hako_error_t **err)
{
  if (nports == 0)
    return 0;
  cleanup_free char *cmds = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&cmds, &len);
  if (f == NULL)
    return hako_error_sys (err, "open_memstream");
  size_t n = 0;
  char **one = hako_xcalloc (nports * 2 + 1, sizeof (char *));
  for (size_t i = 0; i < nports; i++)
    for (int k = 0; k < 2; k++)
      {
        int family = k ? AF_INET6 : AF_INET;
        if (! families[k] || ! port_applies (&ports[i], family))
          continue;
        char *cmd = NULL;
        size_t cl = 0;
        FILE *g = open_memstream (&cmd, &cl);
        if (g == NULL)
          abort ();
        fprintf (g, "delete element " TABLE_FMT " ", network);
        port_key (g, &ports[i], k ? 6 : 4);
        fputs (" }\n", g);
        fclose (g);
        fputs (cmd, f);
        one[n++] = cmd;
      }
  fclose (f);
  int ret = 0;
  /* One transaction for all; when one element is missing (a DEL after an
     interrupted ADD, or a second DEL), each on its own.  */
  cleanup_error hako_error_t *e = NULL;
  if (n > 0 && run (cmds, NULL, &e) < 0)
    for (size_t i = 0; i < n; i++)
      {
        cleanup_error hako_error_t *e2 = NULL;
        run (one[i], NULL, &e2);
      }
  for (size_t i = 0; i < n; i++)
    free (one[i]);
  free (one);
  (void) err;
  return ret;
}

int
nft_drop_table (const char *network, hako_error_t **err)
{
  cleanup_free char *cmds
      = hako_strdup_printf ("add table " TABLE_FMT "\ndelete table " TABLE_FMT "\n", network, network);
  return run (cmds, NULL, err);
}

int
nft_check (const net_config_t *c, const net_addr_t *addrs, size_t naddrs, hako_error_t **err)
{
  if (c->ip_masq)
    {
      cleanup_free char *cmd = hako_strdup_printf ("list chain " TABLE_FMT " postrouting\n", c->name), *out = NULL;
      cleanup_error hako_error_t *e = NULL;
      if (run (cmd, &out, &e) < 0 || strstr (out, "masquerade") == NULL)
        return hako_error_set (err, 0, "nftables: the masquerade rules of table `hako-%s` are missing", c->name);
    }
  for (size_t i = 0; i < c->nports; i++)
    for (size_t j = 0; j < naddrs; j++)
      {
        const net_port_t *p = &c->ports[i];
        if (! port_applies (p, addrs[j].family))
          continue;
        cleanup_free char *cmd = NULL, *out = NULL, *want = NULL;
        size_t len = 0;
        FILE *f = open_memstream (&cmd, &len);
        if (f == NULL)
          return hako_error_sys (err, "open_memstream");
        fprintf (f, "get element " TABLE_FMT " ", c->name);
        port_key (f, p, addrs[j].family == AF_INET ? 4 : 6);
        fputs (" }\n", f);
        fclose (f);
        char a[NET_ADDR_STRLEN];
        net_addr_format (&addrs[j], a);
        want = hako_strdup_printf (" : %s . %u", a, p->container);
        if (run (cmd, &out, err) < 0 || strstr (out, want) == NULL)
          {
            hako_error_free (*err);
            *err = NULL;
            return hako_error_set (err, 0, "nftables: host port %s/%u is not mapped to %s:%u in table `hako-%s`",
                                   net_proto_name (p->proto), p->host, a, p->container, c->name);
          }
      }
  return 0;
}
