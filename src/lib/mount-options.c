/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: mounts[].options (their meaning; mounts.c applies them).  */
#include <config.h>

#include "mount-options.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "cleanup.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#define MOUNT_ATTR__ATIME 0x00000070
#define MOUNT_ATTR_RELATIME 0x00000000
#define MOUNT_ATTR_NOATIME 0x00000010
#define MOUNT_ATTR_STRICTATIME 0x00000020
#define MOUNT_ATTR_NODIRATIME 0x00000080
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

enum kind
{
  K_FLAG,   /* set flags */
  K_CLEAR,  /* clear flags */
  K_PROP,   /* propagation */
  K_RSET,   /* recursive attribute set */
  K_RCLR,   /* recursive attribute clear */
  K_RATIME, /* recursive atime mode (clears the atime field, sets a mode) */
  K_BIND,
  K_RBIND,
  K_TMPCOPYUP,
  K_IDMAP,
  K_RIDMAP,
  K_IGNORE, /* "defaults" */
};

struct opt
{
  const char *name;
  enum kind kind;
  unsigned long flag;
  uint64_t attr;
};

static const struct opt opts[] = {
  { "defaults", K_IGNORE, 0, 0 },
  { "ro", K_FLAG, MS_RDONLY, 0 },
  { "rw", K_CLEAR, MS_RDONLY, 0 },
  { "nosuid", K_FLAG, MS_NOSUID, 0 },
  { "suid", K_CLEAR, MS_NOSUID, 0 },
  { "nodev", K_FLAG, MS_NODEV, 0 },
  { "dev", K_CLEAR, MS_NODEV, 0 },
  { "noexec", K_FLAG, MS_NOEXEC, 0 },
  { "exec", K_CLEAR, MS_NOEXEC, 0 },
  { "sync", K_FLAG, MS_SYNCHRONOUS, 0 },
  { "async", K_CLEAR, MS_SYNCHRONOUS, 0 },
  { "dirsync", K_FLAG, MS_DIRSYNC, 0 },
  { "remount", K_FLAG, MS_REMOUNT, 0 },
  { "mand", K_FLAG, MS_MANDLOCK, 0 },
  { "nomand", K_CLEAR, MS_MANDLOCK, 0 },
  { "atime", K_CLEAR, MS_NOATIME, 0 },
  { "noatime", K_FLAG, MS_NOATIME, 0 },
  { "diratime", K_CLEAR, MS_NODIRATIME, 0 },
  { "nodiratime", K_FLAG, MS_NODIRATIME, 0 },
  { "relatime", K_FLAG, MS_RELATIME, 0 },
  { "norelatime", K_CLEAR, MS_RELATIME, 0 },
  { "strictatime", K_FLAG, MS_STRICTATIME, 0 },
  { "nostrictatime", K_CLEAR, MS_STRICTATIME, 0 },
  { "iversion", K_FLAG, MS_I_VERSION, 0 },
  { "noiversion", K_CLEAR, MS_I_VERSION, 0 },
  { "lazytime", K_FLAG, MS_LAZYTIME, 0 },
  { "nolazytime", K_CLEAR, MS_LAZYTIME, 0 },
  { "loud", K_CLEAR, MS_SILENT, 0 },
  { "silent", K_FLAG, MS_SILENT, 0 },
  { "nosymfollow", K_FLAG, MS_NOSYMFOLLOW, 0 },
  { "symfollow", K_CLEAR, MS_NOSYMFOLLOW, 0 },
  { "bind", K_BIND, 0, 0 },
  { "rbind", K_RBIND, 0, 0 },
  { "private", K_PROP, MS_PRIVATE, 0 },
  { "rprivate", K_PROP, MS_PRIVATE | MS_REC, 0 },
  { "shared", K_PROP, MS_SHARED, 0 },
  { "rshared", K_PROP, MS_SHARED | MS_REC, 0 },
  { "slave", K_PROP, MS_SLAVE, 0 },
  { "rslave", K_PROP, MS_SLAVE | MS_REC, 0 },
  { "unbindable", K_PROP, MS_UNBINDABLE, 0 },
  { "runbindable", K_PROP, MS_UNBINDABLE | MS_REC, 0 },
  { "rro", K_RSET, 0, MOUNT_ATTR_RDONLY },
  { "rrw", K_RCLR, 0, MOUNT_ATTR_RDONLY },
  { "rnosuid", K_RSET, 0, MOUNT_ATTR_NOSUID },
  { "rsuid", K_RCLR, 0, MOUNT_ATTR_NOSUID },
  { "rnodev", K_RSET, 0, MOUNT_ATTR_NODEV },
  { "rdev", K_RCLR, 0, MOUNT_ATTR_NODEV },
  { "rnoexec", K_RSET, 0, MOUNT_ATTR_NOEXEC },
  { "rexec", K_RCLR, 0, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", K_RSET, 0, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", K_RCLR, 0, MOUNT_ATTR_NODIRATIME },
  { "rrelatime", K_RATIME, 0, MOUNT_ATTR_RELATIME },
  { "rnorelatime", K_RATIME, 0, MOUNT_ATTR_STRICTATIME },
  { "rnoatime", K_RATIME, 0, MOUNT_ATTR_NOATIME },
  { "ratime", K_RATIME, 0, MOUNT_ATTR_STRICTATIME },
  { "rstrictatime", K_RATIME, 0, MOUNT_ATTR_STRICTATIME },
  { "rnostrictatime", K_RATIME, 0, MOUNT_ATTR_RELATIME },
  { "rnosymfollow", K_RSET, 0, MOUNT_ATTR_NOSYMFOLLOW },
  { "rsymfollow", K_RCLR, 0, MOUNT_ATTR_NOSYMFOLLOW },
  { "tmpcopyup", K_TMPCOPYUP, 0, 0 },
  { "idmap", K_IDMAP, 0, 0 },
  { "ridmap", K_RIDMAP, 0, 0 },
};

const char *const hako_mount_option_names[] = {
  "async",         "atime",        "bind",
  "defaults",      "dev",          "diratime",
  "dirsync",       "exec",         "idmap",
  "iversion",      "lazytime",     "loud",
  "mand",          "noatime",      "nodev",
  "nodiratime",    "noexec",       "noiversion",
  "nolazytime",    "nomand",       "norelatime",
  "nostrictatime", "nosuid",       "nosymfollow",
  "private",       "ratime",       "rbind",
  "rdev",          "rdiratime",    "relatime",
  "remount",       "rexec",        "ridmap",
  "rnoatime",      "rnodev",       "rnodiratime",
  "rnoexec",       "rnorelatime",  "rnostrictatime",
  "rnosuid",       "rnosymfollow", "ro",
  "rprivate",      "rrelatime",    "rro",
  "rrw",           "rshared",      "rslave",
  "rstrictatime",  "rsuid",        "rsymfollow",
  "runbindable",   "rw",           "shared",
  "silent",        "slave",        "strictatime",
  "suid",          "symfollow",    "sync",
  "tmpcopyup",     "unbindable",   NULL,
};

static const struct opt *
lookup (const char *name)
{
  for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
    if (strcmp (opts[i].name, name) == 0)
      return &opts[i];
  return NULL;
}

int
hako_mount_opts_parse (char *const *options, size_t n, hako_mount_opts_t *o, hako_error_t **err)
{
  memset (o, 0, sizeof (*o));
  size_t cap = 1, len = 0;
  for (size_t i = 0; i < n; i++)
    cap += strlen (options[i]) + 1;
  char *data = hako_xmalloc (cap);
  data[0] = '\0';
  for (size_t i = 0; i < n; i++)
    {
      const char *name = options[i];
      const struct opt *p = lookup (name);
      if (p == NULL)
        {
          /* idmap may carry its mappings inline (crun's idmap=uids=…): not
             supported; say so rather than pass it to the kernel.  */
          if (strncmp (name, "idmap=", 6) == 0 || strncmp (name, "ridmap=", 7) == 0)
            {
              free (data);
              return hako_error_set (err, 0,
                                     "mount option `%s`: inline id maps are not supported, use uidMappings/gidMappings",
                                     name);
            }
          if (len)
            data[len++] = ',';
          size_t l = strlen (name);
          memcpy (data + len, name, l + 1);
          len += l;
          continue;
        }
      switch (p->kind)
        {
        case K_FLAG:
          o->flags |= p->flag;
          o->clear &= ~p->flag;
          /* relatime, noatime and strictatime exclude each other.  */
          if (p->flag & (MS_RELATIME | MS_NOATIME | MS_STRICTATIME))
            o->flags &= ~((MS_RELATIME | MS_NOATIME | MS_STRICTATIME) & ~p->flag);
          break;
        case K_CLEAR:
          o->flags &= ~p->flag;
          o->clear |= p->flag;
          break;
        case K_PROP:
          o->propagation = p->flag;
          break;
        case K_RSET:
          o->attr_set |= p->attr;
          o->attr_clr &= ~p->attr;
          o->recursive_attr = true;
          break;
        case K_RCLR:
          o->attr_clr |= p->attr;
          o->attr_set &= ~p->attr;
          o->recursive_attr = true;
          break;
        case K_RATIME:
          o->attr_clr |= MOUNT_ATTR__ATIME;
          o->attr_set = (o->attr_set & ~(uint64_t) MOUNT_ATTR__ATIME) | p->attr;
          o->recursive_attr = true;
          break;
        case K_BIND:
          o->bind = true;
          break;
        case K_RBIND:
          o->bind = o->rbind = true;
          break;
        case K_TMPCOPYUP:
          o->tmpcopyup = true;
          break;
        case K_IDMAP:
          o->idmap = true;
          break;
        case K_RIDMAP:
          o->idmap = o->ridmap = true;
          break;
        case K_IGNORE:
          break;
        }
    }
  o->data = data;
  return 0;
}

void
hako_mount_opts_clear (hako_mount_opts_t *o)
{
  free (o->data);
  o->data = NULL;
}
