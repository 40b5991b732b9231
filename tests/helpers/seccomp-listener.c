/* SPDX-License-Identifier: Apache-2.0 */
/* seccomp-listener: a small seccomp agent for the tests.  It listens on a
   unix socket (linux.seccomp.listenerPath), takes each Container Process
   State with its notify descriptor, and answers the notifications: a
   syscall named with --answer NAME=VALUE returns VALUE without running,
   --errno NAME=E fails it with errno E, anything else continues in the
   kernel as if no filter had asked.

     seccomp-listener SOCKET [--answer NAME=VALUE]... [--errno NAME=E]...
                      [--states FILE] [--log FILE]

   Each state received is appended to FILE (one JSON document a line); each
   notification answered is logged to --log as "NAME pid=PID ret=VALUE".
   SOCKET is created when the agent is ready.  SIGTERM ends it.  */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_RULES 16
#define MAX_FDS 64

struct rule
{
  int nr;
  long long value;
  bool is_errno;
  const char *name;
};

static struct rule rules[MAX_RULES];
static int n_rules;
static FILE *states, *log_file;

static void
die (const char *what)
{
  fprintf (stderr, "seccomp-listener: %s: %s\n", what, strerror (errno));
  exit (1);
}

static void
add_rule (const char *spec, bool is_errno)
{
  const char *eq = strchr (spec, '=');
  if (eq == NULL || n_rules == MAX_RULES)
    {
      fprintf (stderr, "seccomp-listener: bad rule `%s`\n", spec);
      exit (2);
    }
  char *name = strndup (spec, (size_t) (eq - spec));
  int nr = seccomp_syscall_resolve_name (name);
  if (nr == __NR_SCMP_ERROR)
    {
      fprintf (stderr, "seccomp-listener: unknown syscall `%s`\n", name);
      exit (2);
    }
  rules[n_rules++] = (struct rule){ nr, strtoll (eq + 1, NULL, 0), is_errno, name };
}

/* One connection: the state (JSON) and the descriptor in the first
   message, the rest of the JSON until EOF.  */
static int
take_state (int conn)
{
  char buf[65536];
  size_t len = 0;
  int fd = -1;
  union
  {
    char b[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = { buf, sizeof buf - 1 };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
  ssize_t n = recvmsg (conn, &mh, MSG_CMSG_CLOEXEC);
  if (n < 0)
    die ("recvmsg");
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&mh); c; c = CMSG_NXTHDR (&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      memcpy (&fd, CMSG_DATA (c), sizeof fd);
  len = (size_t) n;
  while (n > 0 && len < sizeof buf - 1)
    {
      n = read (conn, buf + len, sizeof buf - 1 - len);
      if (n > 0)
        len += (size_t) n;
    }
  buf[len] = '\0';
  if (states)
    {
      fprintf (states, "%s\n", buf);
      fflush (states);
    }
  if (fd < 0)
    fprintf (stderr, "seccomp-listener: a state came without a descriptor\n");
  return fd;
}

/* Answer one notification.  Returns -1 when the descriptor is finished
   (every process of that filter is gone).  */
static int
answer (int fd)
{
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  memset (&req, 0, sizeof req);
  if (ioctl (fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
    return errno == EINTR || errno == ENOENT ? 0 : -1;
  memset (&resp, 0, sizeof resp);
  resp.id = req.id;
  const struct rule *r = NULL;
  for (int i = 0; i < n_rules; i++)
    if (rules[i].nr == req.data.nr)
      r = &rules[i];
  if (r == NULL)
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  else if (r->is_errno)
    resp.error = (int32_t) -r->value;
  else
    resp.val = r->value;
  if (ioctl (fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
    return -1;
  if (r && log_file)
    {
      fprintf (log_file, "%s pid=%u %s=%lld\n", r->name, req.pid, r->is_errno ? "errno" : "ret", r->value);
      fflush (log_file);
    }
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      fprintf (stderr,
               "usage: seccomp-listener SOCKET [--answer NAME=VALUE] [--errno NAME=E] [--states F] [--log F]\n");
      return 2;
    }
  const char *path = argv[1];
  for (int i = 2; i < argc; i++)
    {
      if (i + 1 >= argc)
        break;
      if (strcmp (argv[i], "--answer") == 0)
        add_rule (argv[++i], false);
      else if (strcmp (argv[i], "--errno") == 0)
        add_rule (argv[++i], true);
      else if (strcmp (argv[i], "--states") == 0 && (states = fopen (argv[++i], "ae")) == NULL)
        die ("open states file");
      else if (strcmp (argv[i], "--log") == 0 && (log_file = fopen (argv[++i], "ae")) == NULL)
        die ("open log file");
    }
  signal (SIGPIPE, SIG_IGN);
  int ls = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (ls < 0 || strlen (path) >= sizeof addr.sun_path)
    die ("socket");
  /* Bind a temporary name and rename it: the socket appears ready.  */
  char tmp[sizeof addr.sun_path + 8];
  snprintf (tmp, sizeof tmp, "%s.tmp", path);
  if (strlen (tmp) >= sizeof addr.sun_path)
    die ("socket path too long");
  strcpy (addr.sun_path, tmp);
  unlink (tmp);
  if (bind (ls, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (ls, 16) < 0)
    die ("bind");
  if (rename (tmp, path) < 0)
    die ("rename");

  struct pollfd pfd[MAX_FDS + 1];
  int nfd = 1;
  pfd[0] = (struct pollfd){ ls, POLLIN, 0 };
  for (;;)
    {
      if (poll (pfd, (nfds_t) nfd, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          die ("poll");
        }
      if (pfd[0].revents & POLLIN)
        {
          int conn = accept4 (ls, NULL, NULL, SOCK_CLOEXEC);
          if (conn >= 0)
            {
              int fd = take_state (conn);
              close (conn);
              if (fd >= 0 && nfd <= MAX_FDS)
                pfd[nfd++] = (struct pollfd){ fd, POLLIN, 0 };
            }
        }
      for (int i = 1; i < nfd; i++)
        {
          if (pfd[i].revents & POLLIN)
            answer (pfd[i].fd);
          else if (pfd[i].revents & (POLLHUP | POLLERR | POLLNVAL))
            {
              /* Every process of this filter is gone.  */
              close (pfd[i].fd);
              pfd[i--] = pfd[--nfd];
            }
        }
    }
}
