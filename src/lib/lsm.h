/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_LSM_H
#define HAKO_LSM_H

#include <stdbool.h>

#include "error.h"

bool hako_apparmor_enabled (void);
bool hako_selinux_enabled (void);
/* Before forking: asking for a label the host cannot apply is an error
   (empty labels are not asked for).  */
int hako_lsm_check (const char *apparmor, const char *selinux, const char *mount_label, hako_error_t **err);
/* In the child before execve: the label the next execve switches to.  */
int hako_lsm_apply_exec_label (const char *apparmor, const char *selinux, hako_error_t **err);

#endif
