/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: process.terminal, process.consoleSize; /dev/console.  */
#include <config.h>

#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "mounts.h"
#include "safe-path.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO ('T', 0x41)
#endif

int
hako_console_socket_connect (const char *path, hako_error_t **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return hako_error_sys (err, "console socket: socket");
  cleanup_close int dirfd = -1;
  if (strlen (path) >= sizeof addr.sun_path)
    {
      /* Long paths: go through the directory's descriptor.  */
      cleanup_free char *dir = hako_xstrdup (path);
      char *slash = strrchr (dir, '/');
      if (slash == NULL)
        return hako_error_set (err, ENAMETOOLONG, "console socket `%s`", path);
      *slash = '\0';
      dirfd = open (dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (dirfd < 0)
        return hako_error_sys (err, "console socket `%s`", path);
      snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dirfd, slash + 1);
    }
  else
    strcpy (addr.sun_path, path);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return hako_error_sys (err, "connect to console socket `%s`", path);
  return TAKE_FD (fd);
}

int
hako_terminal_setup (const hako_spec_console_size *size, bool bind_console, hako_error_t **err)
{
  cleanup_close int master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return hako_error_sys (err, "open /dev/ptmx (is /dev/pts mounted?)");
  int unlock = 0;
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0)
    return hako_error_sys (err, "unlock pty");
  int slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return hako_error_sys (err, "open pty slave");
  if (size)
    {
      struct winsize ws = { .ws_row = (unsigned short) size->height, .ws_col = (unsigned short) size->width };
      if (ioctl (slave, TIOCSWINSZ, &ws) < 0)
        {
          close (slave);
          return hako_error_sys (err, "set the console size");
        }
    }
  if (bind_console)
    {
      /* /dev/console: a file we make (never following a planted link),
         with the slave bound on it.  */
      cleanup_close int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      cleanup_close int devfd = hako_open_in_root (root, "/dev", O_RDONLY | O_DIRECTORY, 0);
      if (devfd < 0)
        {
          close (slave);
          return hako_error_sys (err, "open /dev");
        }
      struct stat st;
      if (fstatat (devfd, "console", &st, AT_SYMLINK_NOFOLLOW) == 0 && ! S_ISREG (st.st_mode))
        unlinkat (devfd, "console", 0);
      cleanup_close int cfd = openat (devfd, "console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (cfd < 0)
        {
          close (slave);
          return hako_error_sys (err, "create /dev/console");
        }
      /* By descriptors only: we are past pivot_root, and /proc/self/fd/N
         would be looked up in the container's /proc, which its rootfs
         may have replaced to redirect the bind.  */
      cleanup_close int tree = hako_open_tree (slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
      if (tree < 0 || hako_move_mount (tree, "", cfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        {
          int saved = errno;
          close (slave);
          return hako_error_set (err, saved, "bind the pty on /dev/console");
        }
    }
  if (setsid () < 0 && errno != EPERM)
    {
      close (slave);
      return hako_error_sys (err, "setsid");
    }
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    {
      close (slave);
      return hako_error_sys (err, "make the pty the controlling terminal");
    }
  for (int i = 0; i < 3; i++)
    if (dup2 (slave, i) < 0)
      {
        close (slave);
        return hako_error_sys (err, "dup the pty onto stdio");
      }
  if (slave > 2)
    close (slave);
  return TAKE_FD (master);
}

int
hako_console_send (int sock, int master, hako_error_t **err)
{
  char name[64] = "/dev/ptmx";
  int n = 0;
  if (ioctl (master, TIOCGPTN, &n) == 0)
    snprintf (name, sizeof name, "/dev/pts/%d", n);
  struct iovec iov = { name, strlen (name) };
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
  memcpy (CMSG_DATA (c), &master, sizeof (int));
  if (sendmsg (sock, &mh, MSG_NOSIGNAL) < 0)
    return hako_error_sys (err, "send the pty over the console socket");
  return 0;
}

struct hako_relay
{
  int master;
  bool raw;
  struct termios saved;
  bool stdin_open;
  bool master_open; /* false once the last slave is closed (EIO) */
};

static int copy_once (int from, int to);

struct hako_relay *
hako_relay_new (int master)
{
  struct hako_relay *r = hako_xcalloc (1, sizeof (*r));
  r->master = master;
  r->stdin_open = true;
  r->master_open = true;
  if (isatty (0) && tcgetattr (0, &r->saved) == 0)
    {
      struct termios raw = r->saved;
      cfmakeraw (&raw);
      raw.c_oflag |= OPOST | ONLCR;
      if (tcsetattr (0, TCSANOW, &raw) == 0)
        r->raw = true;
    }
  hako_relay_resize (r);
  return r;
}

void
hako_relay_free (struct hako_relay *r)
{
  if (r == NULL)
    return;
  /* What the container wrote last, still buffered in the master.  */
  while (r->master_open)
    {
      struct pollfd p = { r->master, POLLIN, 0 };
      if (poll (&p, 1, 0) <= 0 || ! (p.revents & (POLLIN | POLLHUP | POLLERR)) || copy_once (r->master, 1) <= 0)
        break;
    }
  if (r->raw)
    tcsetattr (0, TCSANOW, &r->saved);
  free (r);
}

void
hako_relay_resize (struct hako_relay *r)
{
  /* A terminal that knows no size (0x0) leaves process.consoleSize.  */
  struct winsize ws;
  if (ioctl (0, TIOCGWINSZ, &ws) == 0 && (ws.ws_row || ws.ws_col))
    ioctl (r->master, TIOCSWINSZ, &ws);
}

static int
copy_once (int from, int to)
{
  char buf[16384];
  ssize_t n = read (from, buf, sizeof buf);
  if (n <= 0)
    return n < 0 && (errno == EINTR || errno == EAGAIN) ? 0 : -1;
  for (ssize_t off = 0; off < n;)
    {
      ssize_t w = write (to, buf + off, (size_t) (n - off));
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return 0;
      off += w;
    }
  return 1;
}

int
hako_relay_step (struct hako_relay *r, int extra_fd, int timeout_ms)
{
  /* A master whose slaves are all closed polls as hung up for ever: it
     leaves the set, and the caller still hears about EXTRA_FD.  */
  struct pollfd p[3] = { { r->master_open ? r->master : -1, POLLIN, 0 },
                         { r->stdin_open ? 0 : -1, POLLIN, 0 },
                         { extra_fd, POLLIN, 0 } };
  int n = poll (p, 3, timeout_ms);
  if (n < 0)
    return errno == EINTR ? 0 : -1;
  if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
    if (copy_once (r->master, 1) < 0)
      r->master_open = false;
  if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
    if (copy_once (0, r->master) < 0)
      r->stdin_open = false;
  if (p[2].revents & POLLIN)
    return 1;
  return r->master_open ? 0 : -1;
}
