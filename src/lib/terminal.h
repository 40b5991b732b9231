/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_TERMINAL_H
#define HAKO_TERMINAL_H

#include <stdbool.h>

#include "error.h"
#include "runtime-spec.h"

/* Connect to the --console-socket (before forking: it is a host path). */
int hako_console_socket_connect (const char *path, hako_error_t **err);

/* In the child, inside the container: open a pty on the container's
   /dev/pts, make the slave our stdio and controlling terminal, bind it on
   /dev/console (when BIND_CONSOLE) and return the master.  */
int hako_terminal_setup (const hako_spec_console_size *size, bool bind_console, hako_error_t **err);
/* Send the pty master over a console socket, as runc does (the payload is
   the pty name).  */
int hako_console_send (int sock, int master, hako_error_t **err);

/* In the foreground: relay our stdio to MASTER until the child exits,
   with our terminal in raw mode and its size followed.  Returns when
   STOP_FD is readable (the caller's "child exited" signal) and the master
   is drained.  */
struct hako_relay;
struct hako_relay *hako_relay_new (int master);
/* Copies what is left in the master, then restores the terminal.  */
void hako_relay_free (struct hako_relay *r);
/* One round of relaying; wait up to TIMEOUT_MS.  Returns 1 when EXTRA_FD
   is readable, else -1 once the master is closed (every slave gone), else
   0.  */
int hako_relay_step (struct hako_relay *r, int extra_fd, int timeout_ms);
void hako_relay_resize (struct hako_relay *r);

#endif
