/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: process.apparmorProfile, process.selinuxLabel; checks
   linux.mountLabel (the mounts apply it).  */
#include <config.h>

#include "lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cleanup.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

bool
hako_apparmor_enabled (void)
{
  char c = 0;
  int fd = open ("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  if (read (fd, &c, 1) != 1)
    c = 0;
  close (fd);
  return c == 'Y';
}

bool
hako_selinux_enabled (void)
{
  struct stat st;
  return stat ("/sys/fs/selinux/enforce", &st) == 0;
}

/* Whether the AppArmor profile NAME is loaded, from the list securityfs
   gives ("name (mode)" a line).  Unknown (true) when the list cannot be
   read, or for stacked, namespaced or hat names: the kernel decides.  */
static bool
apparmor_profile_loaded (const char *name)
{
  if (strcmp (name, "unconfined") == 0 || strstr (name, "//") || name[0] == ':')
    return true;
  cleanup_fclose FILE *f = fopen ("/sys/kernel/security/apparmor/profiles", "re");
  if (f == NULL)
    return true;
  size_t n = strlen (name);
  char line[4096];
  while (fgets (line, sizeof line, f))
    if (strncmp (line, name, n) == 0 && strncmp (line + n, " (", 2) == 0)
      return true;
  return false;
}

int
hako_lsm_check (const char *apparmor, const char *selinux, const char *mount_label, hako_error_t **err)
{
  if (apparmor && apparmor[0] && ! hako_apparmor_enabled ())
    return hako_error_set (err, 0, "process.apparmorProfile: `%s` asked for, but AppArmor is not enabled on this host",
                           apparmor);
  if (apparmor && apparmor[0] && ! apparmor_profile_loaded (apparmor))
    return hako_error_set (err, ENOENT, "process.apparmorProfile: the profile `%s` is not loaded (apparmor_parser)",
                           apparmor);
  if (selinux && selinux[0] && ! hako_selinux_enabled ())
    return hako_error_set (err, 0, "process.selinuxLabel: `%s` asked for, but SELinux is not enabled on this host",
                           selinux);
  if (mount_label && mount_label[0] && ! hako_selinux_enabled ())
    return hako_error_set (err, 0, "linux.mountLabel: `%s` asked for, but SELinux is not enabled on this host",
                           mount_label);
  return 0;
}

/* Write an attribute of our own task, checking that the file really is on
   procfs: a mount over /proc inside the container must not redirect it
   (CVE-2019-16884).  */
static int
write_attr (const char *path, const char *value, hako_error_t **err)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return hako_error_sys (err, "open `%s`", path);
  struct statfs sf;
  if (fstatfs (fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
    return hako_error_set (err, EPERM, "`%s` is not on procfs", path);
  size_t len = strlen (value);
  if (write (fd, value, len) != (ssize_t) len)
    return hako_error_sys (err, "write `%s` to `%s`", value, path);
  return 0;
}

int
hako_lsm_apply_exec_label (const char *apparmor, const char *selinux, hako_error_t **err)
{
  char tid[64];
  if (apparmor)
    {
      cleanup_free char *v = hako_strdup_printf ("exec %s", apparmor);
      snprintf (tid, sizeof tid, "/proc/thread-self/attr/apparmor/exec");
      if (access (tid, F_OK) < 0)
        snprintf (tid, sizeof tid, "/proc/thread-self/attr/exec");
      if (write_attr (tid, v, err) < 0)
        return -1;
    }
  if (selinux)
    {
      snprintf (tid, sizeof tid, "/proc/thread-self/attr/exec");
      if (write_attr (tid, selinux, err) < 0)
        return -1;
    }
  return 0;
}
