/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_DEVICES_H
#define HAKO_DEVICES_H

#include <stdbool.h>

#include "error.h"
#include "runtime-spec.h"

/* The default devices, linux.devices, and the /dev symlinks, inside the
   root.  In a user namespace device nodes are bind mounts of the host's.  */
int hako_devices_setup (int rootfd, const hako_spec_config *config, bool userns, hako_error_t **err);

#endif
