/* SPDX-License-Identifier: Apache-2.0 */
/* recvtty: the receiving end of --console-socket, as conmon and the
   containerd shim are.  Listens on SOCKET, takes one connection, receives
   the pty master by SCM_RIGHTS and reports what came:

     payload=<the bytes sent with the descriptor>
     fds=<how many descriptors came>
     ptn=<the pty number, from the master>   (or ptn=error when it is no pty master)
     rows=<rows> cols=<cols>                  (the size set on the pty)
     --

   then writes --input TEXT to the master (if given) and copies everything
   the container writes to stdout until the last slave is closed.

   recvtty [--input TEXT] SOCKET  */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

static void
die (const char *what)
{
  fprintf (stderr, "recvtty: %s: %s\n", what, strerror (errno));
  exit (1);
}

int
main (int argc, char **argv)
{
  const char *input = NULL, *path = NULL;
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--input") == 0 && i + 1 < argc)
        input = argv[++i];
      else
        path = argv[i];
    }
  if (path == NULL)
    {
      fprintf (stderr, "usage: recvtty [--input TEXT] SOCKET\n");
      return 2;
    }
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen (path) >= sizeof addr.sun_path)
    {
      errno = ENAMETOOLONG;
      die (path);
    }
  strcpy (addr.sun_path, path);
  int ls = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ls < 0)
    die ("socket");
  unlink (path);
  /* Bound under a temporary name and renamed: the test waits for PATH and
     may connect as soon as it exists.  */
  char tmp[sizeof addr.sun_path + 8];
  snprintf (tmp, sizeof tmp, "%s.tmp", path);
  if (strlen (tmp) >= sizeof addr.sun_path)
    die ("socket path too long");
  strcpy (addr.sun_path, tmp);
  unlink (tmp);
  if (bind (ls, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (ls, 1) < 0 || rename (tmp, path) < 0)
    die ("bind");
  int c = accept4 (ls, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0)
    die ("accept");
  close (ls);
  unlink (path);

  char payload[4096];
  union
  {
    char buf[CMSG_SPACE (sizeof (int) * 8)];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = { payload, sizeof payload - 1 };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
  ssize_t n = recvmsg (c, &mh, MSG_CMSG_CLOEXEC);
  if (n < 0)
    die ("recvmsg");
  payload[n] = '\0';
  int master = -1, nfds = 0;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR (&mh); cm; cm = CMSG_NXTHDR (&mh, cm))
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
      {
        int k = (int) ((cm->cmsg_len - CMSG_LEN (0)) / sizeof (int));
        int fds[8];
        memcpy (fds, CMSG_DATA (cm), (size_t) k * sizeof (int));
        for (int i = 0; i < k; i++, nfds++)
          if (master < 0)
            master = fds[i];
          else
            close (fds[i]);
      }
  close (c);
  printf ("payload=%s\nfds=%d\n", payload, nfds);
  int ptn = -1;
  if (master < 0 || ioctl (master, TIOCGPTN, &ptn) < 0)
    {
      printf ("ptn=error\n--\n");
      return 1;
    }
  struct winsize ws = { 0 };
  ioctl (master, TIOCGWINSZ, &ws);
  printf ("ptn=%d\nrows=%d cols=%d\n--\n", ptn, ws.ws_row, ws.ws_col);
  fflush (stdout);
  if (input && write (master, input, strlen (input)) < 0)
    die ("write to the pty");
  char buf[4096];
  for (;;)
    {
      ssize_t r = read (master, buf, sizeof buf);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break; /* EIO: every slave is closed */
      if (write (1, buf, (size_t) r) < 0)
        die ("write");
    }
  return 0;
}
