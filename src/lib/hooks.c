/* SPDX-License-Identifier: Apache-2.0 */
/* Applies: hooks.* (how one hook runs; when, is container.c and init.c).  */
#include <config.h>

#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

extern char **environ;

static int
pidfd_open_ (pid_t pid)
{
  return (int) syscall (SYS_pidfd_open, pid, 0);
}

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
run_one (const hako_spec_hook *h, size_t idx, const char *kind, const char *state, hako_error_t **err)
{
  int pipefd[2];
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return hako_error_sys (err, "%s hook %zu: pipe", kind, idx);
  /* The state may exceed a pipe's buffer: write it from here while the
     hook reads, so the hook may also ignore it.  */
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (pipefd[0]);
      close (pipefd[1]);
      return hako_error_sys (err, "%s hook %zu: fork", kind, idx);
    }
  if (pid == 0)
    {
      /* Its own process group, so that a timeout kills what it started too. */
      setpgid (0, 0);
      dup2 (pipefd[0], 0);
      sigset_t all;
      sigemptyset (&all);
      sigprocmask (SIG_SETMASK, &all, NULL);
      char *argv0[] = { h->path, NULL };
      char **argv = h->args_len ? h->args : argv0;
      char **env = h->has_env ? h->env : environ;
      execve (h->path, argv, env);
      dprintf (2, "hako: %s hook `%s`: %s\n", kind, h->path, strerror (errno));
      _exit (127);
    }
  close (pipefd[0]);
  cleanup_close int wfd = pipefd[1];
  signal (SIGPIPE, SIG_IGN);
  size_t len = strlen (state), off = 0;
  while (off < len)
    {
      ssize_t w = write (wfd, state + off, len - off);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        break; /* EPIPE: the hook does not read its stdin */
      off += (size_t) w;
    }
  close (TAKE_FD (wfd));

  int status = 0;
  if (h->has_timeout)
    {
      cleanup_close int pfd = pidfd_open_ (pid);
      long long deadline = now_ms () + h->timeout * 1000;
      for (;;)
        {
          long long left = deadline - now_ms ();
          if (left <= 0)
            {
              kill (-pid, SIGKILL);
              kill (pid, SIGKILL);
              waitpid (pid, NULL, 0);
              return hako_error_set (err, ETIMEDOUT, "%s hook %zu (`%s`) timed out after %lld s", kind, idx, h->path,
                                     (long long) h->timeout);
            }
          struct pollfd p = { pfd, POLLIN, 0 };
          int r = poll (&p, 1, (int) (left > 1000000 ? 1000000 : left));
          if (r > 0)
            break;
          if (r < 0 && errno != EINTR)
            break;
        }
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return hako_error_sys (err, "%s hook %zu: wait", kind, idx);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  if (WIFSIGNALED (status))
    return hako_error_set (err, 0, "%s hook %zu (`%s`) killed by signal %d", kind, idx, h->path, WTERMSIG (status));
  return hako_error_set (err, 0, "%s hook %zu (`%s`) failed with exit status %d", kind, idx, h->path,
                         WEXITSTATUS (status));
}

int
hako_hooks_run (hako_spec_hook *const *hooks, size_t n, const char *kind, const char *state_json, hako_error_t **err)
{
  for (size_t i = 0; i < n; i++)
    {
      hako_debug ("running %s hook %zu: %s", kind, i, hooks[i]->path);
      if (run_one (hooks[i], i, kind, state_json, err) < 0)
        return -1;
    }
  return 0;
}

void
hako_hooks_run_warn (hako_spec_hook *const *hooks, size_t n, const char *kind, const char *state_json)
{
  for (size_t i = 0; i < n; i++)
    {
      hako_error_t *err = NULL;
      hako_debug ("running %s hook %zu: %s", kind, i, hooks[i]->path);
      if (run_one (hooks[i], i, kind, state_json, &err) < 0)
        {
          hako_warn ("%s", err->msg);
          hako_error_free (err);
        }
    }
}
