/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: linux.seccomp.listenerPath, linux.seccomp.listenerMetadata:
   the Container Process State (config-linux.md) with the notify
   descriptor, one connection per process (the init, each exec).  */
#include <config.h>

#include "seccomp-notify.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "json-support.h"

int
hako_seccomp_notify_send (const char *listener, const char *metadata, const char *state_json, pid_t pid, int fd,
                          hako_error_t **err)
{
  if (listener == NULL)
    return hako_error_set (err, 0, "seccomp notify: no listenerPath");
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen (listener) >= sizeof addr.sun_path)
    return hako_error_set (err, ENAMETOOLONG, "linux.seccomp.listenerPath `%s`", listener);
  strcpy (addr.sun_path, listener);
  cleanup_close int s = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0 || connect (s, (struct sockaddr *) &addr, sizeof addr) < 0)
    return hako_error_sys (err, "linux.seccomp.listenerPath: connect to `%s`", listener);

  hako_error_t *perr = NULL;
  yajl_val state = state_json ? hako_json_parse_tree (state_json, strlen (state_json), "state", &perr) : NULL;
  if (state == NULL)
    {
      hako_error_free (perr);
      return hako_error_set (err, 0, "seccomp notify: no container state to send");
    }
  yajl_gen g = hako_json_gen_new (0);
  yajl_gen_map_open (g);
  hako_json_gen_key (g, "ociVersion");
  hako_json_gen_string (g, "1.3.0");
  hako_json_gen_key (g, "fds");
  yajl_gen_array_open (g);
  hako_json_gen_string (g, "seccompFd");
  yajl_gen_array_close (g);
  hako_json_gen_key (g, "pid");
  yajl_gen_integer (g, pid);
  if (metadata)
    {
      hako_json_gen_key (g, "metadata");
      hako_json_gen_string (g, metadata);
    }
  hako_json_gen_key (g, "state");
  hako_json_gen_tree (g, state);
  yajl_gen_map_close (g);
  hako_json_free (state);
  size_t len;
  cleanup_free char *msg = hako_json_gen_finish (g, &len);

  struct iovec iov = { msg, len };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  memset (&ctl, 0, sizeof ctl);
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
  struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  ssize_t n = sendmsg (s, &mh, MSG_NOSIGNAL);
  if (n < 0)
    return hako_error_sys (err, "linux.seccomp.listenerPath: send to `%s`", listener);
  /* The rest, if the first send was short (the fd went with it).  */
  for (size_t off = (size_t) n; off < len;)
    {
      ssize_t w = send (s, msg + off, len - off, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return hako_error_sys (err, "linux.seccomp.listenerPath: send to `%s`", listener);
      off += (size_t) w;
    }
  return 0;
}
