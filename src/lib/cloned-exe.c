/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: nothing of the config; guards the runtime binary.

   The attack (CVE-2019-5736): a process in the container opens
   /proc/<pid>/exe of a hako process that entered the container (the init
   before its execve, an exec child), keeps the descriptor, and once hako
   has exited reopens it for writing and replaces the host's binary.

   Opening that link needs ptrace access to the hako process.  Both
   processes that enter the container are made non-dumpable first, and
   then access needs CAP_SYS_PTRACE in the user namespace of their mm,
   which is the host's (hako was exec'd there).  So the binary is safe
   unless the container may hold CAP_SYS_PTRACE in the host's user
   namespace: no user namespace of its own and CAP_SYS_PTRACE in its
   bounding set.  A pid namespace shared with the host (or joined) also
   shows it hako processes that are dumpable (run, exec in the
   foreground), reachable by a root with enough capabilities.  In those
   cases only, hako runs from a sealed memfd copy of itself: what
   /proc/<pid>/exe then names can never be written.  The common case (a
   new pid namespace, default capabilities) costs nothing.  */
#include <config.h>

#include "cloned-exe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "json-support.h"
#include "log.h"

#ifndef F_SEAL_SEAL
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

extern char **environ;

static bool
bounding_has_ptrace (const hako_spec_process *p)
{
  /* No capabilities object: the process keeps what hako has.  */
  if (p == NULL || p->capabilities == NULL)
    return p != NULL;
  for (size_t i = 0; i < p->capabilities->bounding_len; i++)
    if (strcmp (p->capabilities->bounding[i], "CAP_SYS_PTRACE") == 0)
      return true;
  return false;
}

bool
hako_cloned_exe_needed (const hako_spec_config *config, const hako_spec_process *extra)
{
  const hako_spec_linux *l = config->linux;
  bool new_pidns = false;
  for (size_t i = 0; l && i < l->namespaces_len; i++)
    {
      const char *t = l->namespaces[i]->type;
      bool created = l->namespaces[i]->path == NULL || l->namespaces[i]->path[0] == '\0';
      if (strcmp (t, "user") == 0)
        return false; /* no capability over the host's user namespace */
      if (strcmp (t, "pid") == 0 && created)
        new_pidns = true;
    }
  return ! new_pidns || bounding_has_ptrace (config->process) || bounding_has_ptrace (extra);
}

/* argv of this process, from /proc/self/cmdline.  */
static char **
own_argv (hako_error_t **err)
{
  cleanup_close int fd = open ("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      hako_error_sys (err, "open /proc/self/cmdline");
      return NULL;
    }
  size_t len;
  char *buf = hako_json_read_fd (fd, "/proc/self/cmdline", &len, err);
  if (buf == NULL)
    return NULL;
  size_t argc = 0;
  for (size_t i = 0; i < len; i++)
    argc += buf[i] == '\0';
  if (argc == 0)
    {
      free (buf);
      hako_error_set (err, EINVAL, "/proc/self/cmdline is empty");
      return NULL;
    }
  char **argv = hako_xcalloc (argc + 1, sizeof (char *));
  size_t k = 0;
  for (size_t i = 0; i < len && k < argc; i += strlen (buf + i) + 1)
    argv[k++] = buf + i;
  return argv; /* the strings live in one buffer, the one argv[0] points to */
}

int
hako_cloned_exe_ensure (const hako_spec_config *config, const hako_spec_process *extra, hako_error_t **err)
{
  if (! hako_cloned_exe_needed (config, extra))
    return 0;
  cleanup_close int self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return hako_error_sys (err, "open /proc/self/exe");
  int seals = fcntl (self, F_GET_SEALS);
  if (seals >= 0 && (seals & F_SEAL_WRITE))
    return 0; /* already running from the sealed copy */
  struct stat st;
  if (fstat (self, &st) < 0)
    return hako_error_sys (err, "stat /proc/self/exe");
  cleanup_close int copy = memfd_create ("hako", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (copy < 0 && errno == EINVAL)
    copy = memfd_create ("hako", MFD_CLOEXEC | MFD_ALLOW_SEALING); /* kernels before 6.3 */
  if (copy < 0)
    return hako_error_sys (err, "memfd_create for a sealed copy of hako");
  for (off_t off = 0; off < st.st_size;)
    {
      ssize_t n = sendfile (copy, self, &off, (size_t) (st.st_size - off));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return hako_error_sys (err, "copy hako into a memfd");
    }
  if (fcntl (copy, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
    return hako_error_sys (err, "seal the copy of hako");
  char **argv = own_argv (err);
  if (argv == NULL)
    return -1;
  hako_debug ("the container may reach hako's binary: running from a sealed copy");
  fexecve (copy, argv, environ);
  int saved = errno;
  free (argv[0]);
  free (argv);
  return hako_error_set (err, saved, "re-execute hako from its sealed copy");
}
