/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: linux.namespaces (what to create, what to join).  */
#include <config.h>

#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/nsfs.h>

#include "cleanup.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

const struct hako_ns_info hako_ns_table[HAKO_NS_COUNT] = {
  [HAKO_NS_USER] = { "user", "user", CLONE_NEWUSER }, [HAKO_NS_PID] = { "pid", "pid", CLONE_NEWPID },
  [HAKO_NS_NET] = { "network", "net", CLONE_NEWNET }, [HAKO_NS_IPC] = { "ipc", "ipc", CLONE_NEWIPC },
  [HAKO_NS_UTS] = { "uts", "uts", CLONE_NEWUTS },     [HAKO_NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP },
  [HAKO_NS_TIME] = { "time", "time", CLONE_NEWTIME }, [HAKO_NS_MNT] = { "mount", "mnt", CLONE_NEWNS },
};

int
hako_ns_from_name (const char *name)
{
  for (int i = 0; i < HAKO_NS_COUNT; i++)
    if (strcmp (hako_ns_table[i].spec_name, name) == 0)
      return i;
  return -1;
}

int
hako_ns_plan_build (const hako_spec_linux *linux, hako_ns_plan_t *plan, hako_error_t **err)
{
  memset (plan, 0, sizeof (*plan));
  for (int i = 0; i < HAKO_NS_COUNT; i++)
    plan->join_fd[i] = -1;
  if (linux == NULL)
    return 0;
  bool seen[HAKO_NS_COUNT] = { false };
  for (size_t i = 0; i < linux->namespaces_len; i++)
    {
      const hako_spec_namespace *n = linux->namespaces[i];
      int t = hako_ns_from_name (n->type);
      if (t < 0)
        return hako_error_set (err, 0, "linux.namespaces[%zu].type: unknown namespace `%s`", i, n->type);
      if (seen[t])
        return hako_error_set (err, 0, "linux.namespaces[%zu]: duplicate namespace `%s`", i, n->type);
      seen[t] = true;
      if (n->path == NULL || n->path[0] == '\0')
        {
          plan->create[t] = true;
          continue;
        }
      if (n->path[0] != '/')
        return hako_error_set (err, 0, "linux.namespaces[%zu].path: `%s` is not an absolute path", i, n->path);
      int fd = open (n->path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return hako_error_sys (err, "linux.namespaces[%zu].path: open `%s`", i, n->path);
      plan->join_fd[t] = fd;
      plan->join_path[t] = n->path;
      int type = ioctl (fd, NS_GET_NSTYPE);
      if (type < 0)
        return hako_error_set (err, 0, "linux.namespaces[%zu].path: `%s` is not a namespace", i, n->path);
      if (type != hako_ns_table[t].flag)
        return hako_error_set (err, 0, "linux.namespaces[%zu].path: `%s` is not a %s namespace", i, n->path, n->type);
    }
  return 0;
}

void
hako_ns_plan_close (hako_ns_plan_t *plan)
{
  for (int i = 0; i < HAKO_NS_COUNT; i++)
    if (plan->join_fd[i] >= 0)
      {
        close (plan->join_fd[i]);
        plan->join_fd[i] = -1;
      }
}

int
hako_ns_plan_flags (const hako_ns_plan_t *plan)
{
  int flags = 0;
  for (int i = 0; i < HAKO_NS_COUNT; i++)
    if (plan->create[i])
      flags |= hako_ns_table[i].flag;
  return flags;
}

int
hako_ns_join (int fd, enum hako_ns ns, const char *what, hako_error_t **err)
{
  if (setns (fd, hako_ns_table[ns].flag) < 0)
    return hako_error_sys (err, "join %s namespace%s%s", hako_ns_table[ns].spec_name, what ? " " : "",
                           what ? what : "");
  return 0;
}

int
hako_ns_join_user_last (const int fds[HAKO_NS_COUNT], char *const paths[HAKO_NS_COUNT], hako_error_t **err)
{
  bool retry[HAKO_NS_COUNT] = { false };
  for (int t = 0; t < HAKO_NS_COUNT; t++)
    if (t != HAKO_NS_USER && t != HAKO_NS_PID && t != HAKO_NS_TIME && fds[t] >= 0
        && setns (fds[t], hako_ns_table[t].flag) < 0)
      {
        if (errno != EPERM || fds[HAKO_NS_USER] < 0)
          return hako_ns_join (fds[t], (enum hako_ns) t, paths ? paths[t] : NULL, err);
        retry[t] = true;
      }
  if (fds[HAKO_NS_USER] >= 0
      && hako_ns_join (fds[HAKO_NS_USER], HAKO_NS_USER, paths ? paths[HAKO_NS_USER] : NULL, err) < 0)
    return -1;
  for (int t = 0; t < HAKO_NS_COUNT; t++)
    if (retry[t] && hako_ns_join (fds[t], (enum hako_ns) t, paths ? paths[t] : NULL, err) < 0)
      return -1;
  return 0;
}

int
hako_ns_open_of_pid (pid_t pid, int fds[HAKO_NS_COUNT], hako_error_t **err)
{
  for (int i = 0; i < HAKO_NS_COUNT; i++)
    fds[i] = -1;
  for (int i = 0; i < HAKO_NS_COUNT; i++)
    {
      char path[64], self[64];
      snprintf (path, sizeof path, "/proc/%d/ns/%s", (int) pid, hako_ns_table[i].proc_name);
      snprintf (self, sizeof self, "/proc/self/ns/%s", hako_ns_table[i].proc_name);
      struct stat a, b;
      if (stat (path, &a) < 0)
        {
          if (errno == ENOENT && i == HAKO_NS_TIME)
            continue; /* a kernel without time namespaces */
          return hako_error_sys (err, "open `%s`", path);
        }
      if (stat (self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
        continue;
      fds[i] = open (path, O_RDONLY | O_CLOEXEC);
      if (fds[i] < 0)
        return hako_error_sys (err, "open `%s`", path);
    }
  return 0;
}
