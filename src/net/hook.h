/* SPDX-License-Identifier: Apache-2.0 */
/* `hako-net hook`: ADD or DEL driven by an OCI hook's state on stdin.  */
#ifndef HAKO_NET_HOOK_H
#define HAKO_NET_HOOK_H

#include "config.h"
#include "error.h"

int net_hook_main (int argc, char **argv);
/* Add "[IP:]HOST:CONTAINER[/PROTO]" to C's published ports.  */
int net_config_add_publish (net_config_t *c, const char *spec, hako_error_t **err);

#endif
