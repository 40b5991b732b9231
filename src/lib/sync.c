/* SPDX-License-Identifier: Apache-2.0 */
#include <config.h>

#include "sync.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cleanup.h"

#define SYNC_MAX_PAYLOAD (16u << 20)

int
hako_sync_send (int sock, uint32_t type, const void *data, size_t len, int fd, hako_error_t **err)
{
  uint32_t hdr[2] = { type, (uint32_t) len };
  struct iovec iov[2] = { { hdr, sizeof hdr }, { (void *) data, len } };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
  if (fd >= 0)
    {
      memset (&ctl, 0, sizeof ctl);
      mh.msg_control = ctl.buf;
      mh.msg_controllen = sizeof ctl.buf;
      struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &fd, sizeof (int));
    }
  size_t total = sizeof hdr + len, sent = 0;
  while (sent < total)
    {
      ssize_t r = sendmsg (sock, &mh, MSG_NOSIGNAL);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return hako_error_sys (err, "send to the container process");
      sent += (size_t) r;
      /* Descriptors go with the first bytes only.  */
      mh.msg_control = NULL;
      mh.msg_controllen = 0;
      size_t skip = (size_t) r;
      while (skip > 0 && mh.msg_iovlen > 0)
        {
          if (skip >= mh.msg_iov[0].iov_len)
            {
              skip -= mh.msg_iov[0].iov_len;
              mh.msg_iov++;
              mh.msg_iovlen--;
            }
          else
            {
              mh.msg_iov[0].iov_base = (char *) mh.msg_iov[0].iov_base + skip;
              mh.msg_iov[0].iov_len -= skip;
              skip = 0;
            }
        }
    }
  return 0;
}

static int
read_full (int sock, void *buf, size_t len, int *fd, hako_error_t **err)
{
  size_t got = 0;
  while (got < len)
    {
      union
      {
        char buf[CMSG_SPACE (sizeof (int) * 4)];
        struct cmsghdr align;
      } ctl;
      struct iovec iov = { (char *) buf + got, len - got };
      struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
      ssize_t r = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          if (errno == ECONNRESET)
            return 1;
          return hako_error_sys (err, "receive from the container process");
        }
      for (struct cmsghdr *c = CMSG_FIRSTHDR (&mh); c; c = CMSG_NXTHDR (&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
          {
            size_t n = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
            int fds[4];
            memcpy (fds, CMSG_DATA (c), n * sizeof (int));
            for (size_t i = 0; i < n; i++)
              {
                if (fd && *fd < 0)
                  *fd = fds[i];
                else
                  close (fds[i]);
              }
          }
      if (r == 0)
        return got == 0 ? 1 : hako_error_set (err, 0, "truncated message from the container process");
      got += (size_t) r;
    }
  return 0;
}

int
hako_sync_recv (int sock, hako_sync_msg_t *msg, hako_error_t **err)
{
  uint32_t hdr[2];
  msg->type = 0;
  msg->len = 0;
  msg->data = NULL;
  msg->fd = -1;
  int r = read_full (sock, hdr, sizeof hdr, &msg->fd, err);
  if (r != 0)
    return r;
  if (hdr[1] > SYNC_MAX_PAYLOAD)
    return hako_error_set (err, 0, "oversized message from the container process");
  msg->type = hdr[0];
  msg->len = hdr[1];
  msg->data = hako_xmalloc (hdr[1] + 1);
  msg->data[hdr[1]] = '\0';
  if (hdr[1] > 0)
    {
      r = read_full (sock, msg->data, hdr[1], &msg->fd, err);
      if (r == 1)
        return hako_error_set (err, 0, "truncated message from the container process");
      if (r < 0)
        return r;
    }
  return 0;
}

void
hako_sync_msg_clear (hako_sync_msg_t *msg)
{
  free (msg->data);
  msg->data = NULL;
  if (msg->fd >= 0)
    close (msg->fd);
  msg->fd = -1;
}

int
hako_sync_expect (int sock, uint32_t type, hako_sync_msg_t *msg, const char *peer, hako_error_t **err)
{
  int r = hako_sync_recv (sock, msg, err);
  if (r < 0)
    return r;
  if (r == 1)
    return hako_error_set (err, 0, "%s exited unexpectedly", peer);
  if (msg->type == SYNC_ERROR)
    {
      hako_error_set (err, 0, "%s", msg->data);
      hako_sync_msg_clear (msg);
      return -1;
    }
  if (msg->type != type)
    {
      hako_sync_msg_clear (msg);
      return hako_error_set (err, 0, "%s: unexpected message %u (expected %u)", peer, msg->type, type);
    }
  return 0;
}

void
hako_sync_fail (int sock, hako_error_t *err)
{
  cleanup_free char *text = hako_error_text (err);
  hako_sync_send (sock, SYNC_ERROR, text, strlen (text), -1, NULL);
  _exit (1);
}
