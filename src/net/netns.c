/* SPDX-License-Identifier: Apache-2.0 */
#include <config.h>

#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

int
netns_open (const char *path, int *fd, hako_error_t **err)
{
  *fd = open (path, O_RDONLY | O_CLOEXEC);
  if (*fd < 0 && errno == ENOENT)
    return 0;
  if (*fd < 0)
    return hako_error_sys (err, "CNI_NETNS: open `%s`", path);
  int type = ioctl (*fd, NS_GET_NSTYPE);
  if (type != CLONE_NEWNET)
    {
      close (*fd);
      *fd = -1;
      return hako_error_set (err, type < 0 ? errno : 0, "CNI_NETNS: `%s` is not a network namespace", path);
    }
  /* A container never shares the host's namespace with hako-net: its
     interfaces would be made next to the host's own.  */
  struct stat self, target;
  if (stat ("/proc/self/ns/net", &self) == 0 && fstat (*fd, &target) == 0 && self.st_ino == target.st_ino
      && self.st_dev == target.st_dev)
    {
      close (*fd);
      *fd = -1;
      return hako_error_set (err, 0, "CNI_NETNS: `%s` is hako-net's own network namespace, not a container's", path);
    }
  return 1;
}

int
netns_nl_open (int nsfd, nl_t *out, hako_error_t **err)
{
  cleanup_close int self = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return hako_error_sys (err, "open /proc/self/ns/net");
  if (setns (nsfd, CLONE_NEWNET) < 0)
    return hako_error_sys (err, "enter the container's network namespace");
  int r = nl_open (out, err);
  /* Staying in the container's namespace would misdirect everything
     after: there is no way on from a failure here.  */
  if (setns (self, CLONE_NEWNET) < 0)
    abort ();
  return r;
}
