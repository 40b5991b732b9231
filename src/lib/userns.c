/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: linux.uidMappings, linux.gidMappings.  */
#include <config.h>

#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"

static char *
format_map (hako_spec_id_mapping *const *maps, size_t n)
{
  size_t cap = n * 40 + 1, len = 0;
  char *s = hako_xmalloc (cap);
  s[0] = '\0';
  for (size_t i = 0; i < n; i++)
    len += (size_t) snprintf (s + len, cap - len, "%u %u %u\n", maps[i]->container_id, maps[i]->host_id, maps[i]->size);
  return s;
}

static int
write_file (const char *path, const char *data, hako_error_t **err)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return hako_error_sys (err, "open `%s`", path);
  size_t len = strlen (data);
  if (write (fd, data, len) != (ssize_t) len)
    return hako_error_sys (err, "write `%s`", path);
  return 0;
}

/* newuidmap PID  containerID hostID size ...  */
static int
run_helper (const char *helper, pid_t pid, hako_spec_id_mapping *const *maps, size_t n, hako_error_t **err)
{
  char **argv = hako_xcalloc (n * 3 + 3, sizeof (char *));
  argv[0] = (char *) helper;
  argv[1] = hako_strdup_printf ("%d", (int) pid);
  for (size_t i = 0; i < n; i++)
    {
      argv[2 + i * 3] = hako_strdup_printf ("%u", maps[i]->container_id);
      argv[3 + i * 3] = hako_strdup_printf ("%u", maps[i]->host_id);
      argv[4 + i * 3] = hako_strdup_printf ("%u", maps[i]->size);
    }
  pid_t child = fork ();
  if (child == 0)
    {
      execvp (helper, argv);
      _exit (127);
    }
  int status = 0;
  if (child > 0)
    while (waitpid (child, &status, 0) < 0 && errno == EINTR)
      ;
  for (size_t i = 1; argv[i]; i++)
    free (argv[i]);
  free (argv);
  if (child < 0)
    return hako_error_sys (err, "fork %s", helper);
  if (! WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      if (WIFEXITED (status) && WEXITSTATUS (status) == 127)
        return hako_error_set (err, ENOENT, "%s not found (install the Debian package uidmap)", helper);
      return hako_error_set (err, 0, "%s failed for the container's user namespace", helper);
    }
  return 0;
}

static bool
only_self (hako_spec_id_mapping *const *maps, size_t n, unsigned self)
{
  return n == 1 && maps[0]->size == 1 && maps[0]->host_id == self;
}

int
hako_userns_write_maps (pid_t pid, const hako_spec_linux *linux, hako_error_t **err)
{
  char path[64];
  bool root = geteuid () == 0;
  cleanup_free char *uids = format_map (linux->uid_mappings, linux->uid_mappings_len);
  cleanup_free char *gids = format_map (linux->gid_mappings, linux->gid_mappings_len);

  if (root || only_self (linux->gid_mappings, linux->gid_mappings_len, getegid ()))
    {
      if (! root)
        {
          /* An unprivileged writer of gid_map must give up setgroups.  */
          snprintf (path, sizeof path, "/proc/%d/setgroups", (int) pid);
          if (write_file (path, "deny", err) < 0)
            return -1;
        }
      snprintf (path, sizeof path, "/proc/%d/gid_map", (int) pid);
      if (write_file (path, gids, err) < 0)
        return -1;
    }
  else if (run_helper ("newgidmap", pid, linux->gid_mappings, linux->gid_mappings_len, err) < 0)
    return -1;

  if (root || only_self (linux->uid_mappings, linux->uid_mappings_len, geteuid ()))
    {
      snprintf (path, sizeof path, "/proc/%d/uid_map", (int) pid);
      if (write_file (path, uids, err) < 0)
        return -1;
    }
  else if (run_helper ("newuidmap", pid, linux->uid_mappings, linux->uid_mappings_len, err) < 0)
    return -1;
  return 0;
}

bool
hako_userns_denies_setgroups (const hako_spec_linux *linux)
{
  return geteuid () != 0 && only_self (linux->gid_mappings, linux->gid_mappings_len, getegid ());
}

bool
hako_userns_setgroups_allowed (pid_t pid)
{
  char path[64], buf[16] = "";
  snprintf (path, sizeof path, "/proc/%d/setgroups", (int) pid);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read (fd, buf, sizeof buf - 1) < 0)
    return true;
  return strncmp (buf, "deny", 4) != 0;
}

long long
hako_userns_to_host (hako_spec_id_mapping *const *maps, size_t n, unsigned id)
{
  if (n == 0)
    return id;
  for (size_t i = 0; i < n; i++)
    if (id >= maps[i]->container_id && id - maps[i]->container_id < maps[i]->size)
      return (long long) maps[i]->host_id + (id - maps[i]->container_id);
  return -1;
}

/* The initial user namespace's inode number (PROC_USER_INIT_INO): one stat
   instead of reading and parsing /proc/self/uid_map.  */
#define INIT_USER_NS_INO 0xEFFFFFFDU

bool
hako_in_user_namespace (void)
{
  static int cached = -1;
  if (cached < 0)
    {
      struct stat st;
      cached = stat ("/proc/self/ns/user", &st) == 0 && st.st_ino != INIT_USER_NS_INO;
    }
  return cached;
}
