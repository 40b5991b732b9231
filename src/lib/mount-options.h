/* SPDX-License-Identifier: Apache-2.0 */
/* The mount options of config.md, turned into what the kernel takes.  */
#ifndef HAKO_MOUNT_OPTIONS_H
#define HAKO_MOUNT_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

typedef struct hako_mount_opts
{
  unsigned long flags;       /* mount(2) flags to set */
  unsigned long clear;       /* flags explicitly cleared (rw, suid, ...) */
  unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE [| MS_REC] */
  uint64_t attr_set;         /* mount_setattr, recursive */
  uint64_t attr_clr;
  bool recursive_attr; /* attr_* given by an r* option */
  bool bind;
  bool rbind;
  bool tmpcopyup;
  bool idmap;
  bool ridmap;
  char *data; /* what is left: file system options */
} hako_mount_opts_t;

/* Parse OPTIONS; unknown options go to data, as the spec says.  */
int hako_mount_opts_parse (char *const *options, size_t n, hako_mount_opts_t *out, hako_error_t **err);
void hako_mount_opts_clear (hako_mount_opts_t *o);

/* The option names we recognise (features.mountOptions).  */
extern const char *const hako_mount_option_names[];

#endif
