/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: ipam.{subnet,rangeStart,rangeEnd,gateway,ranges,dataDir}, CNI_ARGS
   IP= and runtimeConfig.ips (which address an attachment gets).  */
#include <config.h>

#include "ipam.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

#define LAST_PREFIX "last_reserved_ip."
/* Host ports are one space for all networks of a data directory (a
   network name never starts with a dot).  */
#define PORTS_DIR "../.hako-ports"

static int
mkdir_p (const char *path, hako_error_t **err)
{
  cleanup_free char *p = hako_xstrdup (path);
  for (char *s = p + 1; *s; s++)
    if (*s == '/')
      {
        *s = '\0';
        if (mkdir (p, 0755) < 0 && errno != EEXIST)
          return hako_error_sys (err, "mkdir `%s`", p);
        *s = '/';
      }
  if (mkdir (p, 0755) < 0 && errno != EEXIST)
    return hako_error_sys (err, "mkdir `%s`", p);
  return 0;
}

int
ipam_open (ipam_store_t *s, const char *dir, bool create, hako_error_t **err)
{
  s->dirfd = s->lockfd = -1;
  s->dir = dir;
  s->dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->dirfd < 0 && errno == ENOENT && ! create)
    return 0;
  if (s->dirfd < 0 && errno == ENOENT)
    {
      if (mkdir_p (dir, err) < 0)
        return -1;
      s->dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  if (s->dirfd < 0)
    return hako_error_sys (err, "open the address store `%s`", dir);
  s->lockfd = openat (s->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (s->lockfd < 0)
    {
      hako_error_sys (err, "open `%s/lock`", dir);
      ipam_close (s);
      return -1;
    }
  while (flock (s->lockfd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        hako_error_sys (err, "lock `%s/lock`", dir);
        ipam_close (s);
        return -1;
      }
  return 1;
}

void
ipam_close (ipam_store_t *s)
{
  if (s->lockfd >= 0)
    close (s->lockfd); /* releases the flock */
  if (s->dirfd >= 0)
    close (s->dirfd);
  s->lockfd = s->dirfd = -1;
}

static char *
owner_text (const char *id, const char *ifname, const char *network, const char *hostip)
{
  if (network)
    return hako_strdup_printf ("%s\r\n%s\r\n%s\r\n%s", id, ifname, network, hostip);
  return hako_strdup_printf ("%s\r\n%s", id, ifname);
}

static const char *
store_network (const ipam_store_t *s)
{
  const char *slash = strrchr (s->dir, '/');
  return slash ? slash + 1 : s->dir;
}

/* Create NAME (relative to DIRFD) exclusively, holding TEXT.  Returns 0,
   1 when it exists, -1 on error.  The file is written unnamed (O_TMPFILE)
   and linked into place, so that no one, a DEL after a killed ADD
   included, ever sees it empty.  */
static int
create_excl (int dirfd, const char *name, const char *text, hako_error_t **err)
{
  cleanup_free char *dir = hako_xstrdup (name);
  char *slash = strrchr (dir, '/');
  if (slash)
    *slash = '\0';
  size_t len = strlen (text);
  cleanup_close int fd = openat (dirfd, slash ? dir : ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    return hako_error_sys (err, "create `%s` in the address store", name);
  if (write (fd, text, len) != (ssize_t) len)
    return hako_error_sys (err, "write `%s` in the address store", name);
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (linkat (AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) == 0)
    return 0;
  if (errno == EEXIST)
    return 1;
  return hako_error_sys (err, "link `%s` into the address store", name);
}

static bool
skip_addr (const net_range_t *r, const net_addr_t *a)
{
  if (net_addr_equal (a, &r->gateway) || net_addr_equal (a, &r->subnet.addr))
    return true;
  if (a->family == AF_INET)
    {
      net_addr_t bcast;
      net_prefix_last (&r->subnet, &bcast);
      return net_addr_equal (a, &bcast);
    }
  return false;
}

static int
reserve (ipam_store_t *s, const net_addr_t *a, const char *owner, size_t set, hako_error_t **err)
{
  char name[NET_ADDR_STRLEN];
  net_addr_format (a, name);
  int r = create_excl (s->dirfd, name, owner, err);
  if (r != 0)
    return r;
  char last[48];
  snprintf (last, sizeof last, LAST_PREFIX "%zu", set);
  int fd = openat (s->dirfd, last, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0)
    {
      /* Only a hint for where the next search starts.  */
      if (write (fd, name, strlen (name)) < 0)
        (void) 0;
      close (fd);
    }
  return 0;
}

static bool
read_last (ipam_store_t *s, size_t set, net_addr_t *out)
{
  char name[48], buf[NET_ADDR_STRLEN + 1];
  snprintf (name, sizeof name, LAST_PREFIX "%zu", set);
  int fd = openat (s->dirfd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  buf[strcspn (buf, "\r\n ")] = '\0';
  return net_addr_parse (buf, out) == 0;
}

/* The next candidate after A in SET (position *RI), wrapping.  */
static void
next_candidate (const net_range_set_t *set, size_t *ri, net_addr_t *a)
{
  if (net_addr_equal (a, &set->ranges[*ri].end))
    {
      *ri = (*ri + 1) % set->len;
      *a = set->ranges[*ri].start;
      return;
    }
  net_addr_next (a);
}

static int
allocate_one (ipam_store_t *s, const net_range_set_t *set, size_t si, const char *owner, net_addr_t *out,
              hako_error_t **err)
{
  size_t ri = 0;
  net_addr_t a = set->ranges[0].start, last;
  bool resume = false;
  if (read_last (s, si, &last))
    for (size_t i = 0; i < set->len; i++)
      {
        const net_range_t *r = &set->ranges[i];
        if (net_prefix_contains (&r->subnet, &last) && net_addr_cmp (&last, &r->start) >= 0
            && net_addr_cmp (&last, &r->end) <= 0)
          {
            ri = i;
            a = last;
            resume = true;
            break;
          }
      }
  if (resume)
    next_candidate (set, &ri, &a);
  net_addr_t first = a;
  size_t first_ri = ri;
  do
    {
      if (! skip_addr (&set->ranges[ri], &a))
        {
          int r = reserve (s, &a, owner, si, err);
          if (r < 0)
            return -1;
          if (r == 0)
            {
              *out = a;
              return 0;
            }
        }
      next_candidate (set, &ri, &a);
    }
  while (! (ri == first_ri && net_addr_equal (&a, &first)));
  char cidr[NET_CIDR_STRLEN];
  net_prefix_format (&set->ranges[0].subnet.addr, set->ranges[0].subnet.len, cidr);
  return hako_error_set (err, ENOSPC, "no free address left in range set %zu (%s)", si, cidr);
}

static const net_addr_t *
requested_in_set (const net_config_t *c, const net_range_set_t *set, size_t *range)
{
  for (size_t i = 0; i < c->nrequested; i++)
    for (size_t j = 0; j < set->len; j++)
      if (net_prefix_contains (&set->ranges[j].subnet, &c->requested[i]))
        {
          *range = j;
          return &c->requested[i];
        }
  return NULL;
}

int
ipam_allocate (ipam_store_t *s, const net_config_t *c, const char *id, const char *ifname, net_addr_t *out,
               hako_error_t **err)
{
  cleanup_free char *owner = owner_text (id, ifname, NULL, NULL);
  for (size_t i = 0; i < c->nrequested; i++)
    {
      size_t j, unused;
      for (j = 0; j < c->nsets; j++)
        if (requested_in_set (c, &c->sets[j], &unused) == &c->requested[i])
          break;
      if (j == c->nsets)
        {
          char a[NET_ADDR_STRLEN];
          net_addr_format (&c->requested[i], a);
          return hako_error_set (err, EINVAL,
                                 "requested address %s is in no range of the network, or a second one in a range set",
                                 a);
        }
    }
  size_t done = 0;
  for (; done < c->nsets; done++)
    {
      size_t ri = 0;
      const net_addr_t *want = requested_in_set (c, &c->sets[done], &ri);
      int r;
      if (want)
        {
          char a[NET_ADDR_STRLEN];
          net_addr_format (want, a);
          const net_range_t *rg = &c->sets[done].ranges[ri];
          if (net_addr_cmp (want, &rg->start) < 0 || net_addr_cmp (want, &rg->end) > 0 || skip_addr (rg, want))
            r = hako_error_set (err, EINVAL, "requested address %s is outside the allocatable range", a);
          else if ((r = reserve (s, want, owner, done, err)) == 1)
            r = hako_error_set (err, EADDRINUSE, "requested address %s is already allocated", a);
          out[done] = *want;
        }
      else
        r = allocate_one (s, &c->sets[done], done, owner, &out[done], err);
      if (r < 0)
        break;
    }
  if (done == c->nsets)
    return 0;
  for (size_t i = 0; i < done; i++)
    ipam_release_addr (s, &out[i]);
  return -1;
}

static void
port_name (const net_port_t *p, char buf[32])
{
  snprintf (buf, 32, PORTS_DIR "/%s-%u", net_proto_name (p->proto), p->host);
}

int
ipam_reserve_port (ipam_store_t *s, const net_port_t *p, const char *id, const char *ifname, hako_error_t **err)
{
  if (mkdirat (s->dirfd, PORTS_DIR, 0755) < 0 && errno != EEXIST)
    return hako_error_sys (err, "mkdir `%s/" PORTS_DIR "`", s->dir);
  char name[32], hostip[NET_ADDR_STRLEN] = "*";
  port_name (p, name);
  if (p->host_ip.family)
    net_addr_format (&p->host_ip, hostip);
  cleanup_free char *owner = owner_text (id, ifname, store_network (s), hostip);
  int r = create_excl (s->dirfd, name, owner, err);
  if (r == 1)
    return hako_error_set (err, EADDRINUSE, "host port %s/%u is already published", net_proto_name (p->proto), p->host);
  return r;
}

void
ipam_release_addr (ipam_store_t *s, const net_addr_t *a)
{
  char name[NET_ADDR_STRLEN];
  net_addr_format (a, name);
  unlinkat (s->dirfd, name, 0);
}

void
ipam_release_port (ipam_store_t *s, const net_port_t *p)
{
  char name[32];
  port_name (p, name);
  unlinkat (s->dirfd, name, 0);
}

static void
free_parts (char **v)
{
  for (int i = 0; i < 4; i++)
    free (v[i]);
}

/* Read an owner file into up to four lines: "ID\r\nIFNAME" (host-local's
   older files hold only "ID"), or for ports "ID\r\nIFNAME\r\nNETWORK\r\nHOSTIP".
   The lines are malloc'd, missing ones "".  */
static int
read_owner (int dirfd, const char *name, char *parts[4])
{
  int fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -1;
  char buf[1024];
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  char *save = NULL, *tok = strtok_r (buf, "\r\n", &save);
  for (int i = 0; i < 4; i++)
    {
      parts[i] = hako_xstrdup (tok ? tok : "");
      tok = tok ? strtok_r (NULL, "\r\n", &save) : NULL;
    }
  return 0;
}

static bool
owner_matches (const ipam_entry_t *e, const char *id, const char *ifname)
{
  if (id == NULL)
    return true;
  /* host-local's older files name only the container.  */
  return strcmp (e->id, id) == 0 && (e->ifname[0] == '\0' || strcmp (e->ifname, ifname) == 0);
}

static void
list_push (ipam_list_t *l, ipam_entry_t *e)
{
  l->v = hako_xrealloc (l->v, (l->len + 1) * sizeof (*l->v));
  l->v[l->len++] = *e;
}

static int
parse_port_name (const char *name, net_port_t *p)
{
  char proto[8];
  unsigned port;
  char tail;
  if (sscanf (name, "%7[a-z]-%u%c", proto, &port, &tail) != 2 || port == 0 || port > 65535)
    return -1;
  memset (p, 0, sizeof (*p));
  if (strcmp (proto, "tcp") == 0)
    p->proto = IPPROTO_TCP;
  else if (strcmp (proto, "udp") == 0)
    p->proto = IPPROTO_UDP;
  else if (strcmp (proto, "sctp") == 0)
    p->proto = IPPROTO_SCTP;
  else
    return -1;
  p->host = (uint16_t) port;
  return 0;
}

static void
list_ports (ipam_store_t *s, const char *id, const char *ifname, ipam_list_t *out)
{
  int fd = openat (s->dirfd, PORTS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return;
  cleanup_dir DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return;
    }
  struct dirent *de;
  while ((de = readdir (d)))
    {
      ipam_entry_t e = { .is_port = true };
      char *parts[4];
      if (parse_port_name (de->d_name, &e.port) < 0 || read_owner (fd, de->d_name, parts) < 0)
        continue;
      e.id = parts[0];
      e.ifname = parts[1];
      if (strcmp (parts[3], "*") != 0)
        net_addr_parse (parts[3], &e.port.host_ip);
      if (strcmp (parts[2], store_network (s)) == 0 && owner_matches (&e, id, ifname))
        {
          list_push (out, &e);
          free (parts[2]);
          free (parts[3]);
        }
      else
        free_parts (parts);
    }
}

int
ipam_list (ipam_store_t *s, const char *id, const char *ifname, ipam_list_t *out, hako_error_t **err)
{
  memset (out, 0, sizeof (*out));
  int fd = openat (s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return hako_error_sys (err, "open `%s`", s->dir);
  cleanup_dir DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return hako_error_sys (err, "open `%s`", s->dir);
    }
  struct dirent *de;
  while ((de = readdir (d)))
    {
      ipam_entry_t e = { .is_port = false };
      char *parts[4];
      if (net_addr_parse (de->d_name, &e.addr) < 0 || read_owner (s->dirfd, de->d_name, parts) < 0)
        continue;
      e.id = parts[0];
      e.ifname = parts[1];
      free (parts[2]);
      free (parts[3]);
      if (owner_matches (&e, id, ifname))
        list_push (out, &e);
      else
        {
          free (e.id);
          free (e.ifname);
        }
    }
  list_ports (s, id, ifname, out);
  return 0;
}

void
ipam_list_free (ipam_list_t *l)
{
  for (size_t i = 0; i < l->len; i++)
    {
      free (l->v[i].id);
      free (l->v[i].ifname);
    }
  free (l->v);
  memset (l, 0, sizeof (*l));
}

bool
ipam_in_use (ipam_store_t *s)
{
  int fd = openat (s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return true;
  cleanup_dir DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return true;
    }
  struct dirent *de;
  net_addr_t a;
  while ((de = readdir (d)))
    if (net_addr_parse (de->d_name, &a) == 0)
      return true;
  return false;
}

unsigned long
ipam_free_count (ipam_store_t *s, const net_range_set_t *set, unsigned long limit)
{
  unsigned long n = 0;
  for (size_t i = 0; i < set->len && n < limit; i++)
    {
      const net_range_t *r = &set->ranges[i];
      net_addr_t a = r->start;
      for (;;)
        {
          if (! skip_addr (r, &a))
            {
              char name[NET_ADDR_STRLEN];
              net_addr_format (&a, name);
              if (faccessat (s->dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && ++n >= limit)
                break;
            }
          if (net_addr_equal (&a, &r->end))
            break;
          net_addr_next (&a);
        }
    }
  return n;
}
