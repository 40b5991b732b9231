/* SPDX-License-Identifier: Apache-2.0 */
/* The state store (src/lib/state.c): container ids that could escape the
   root, atomic writes (a reader never sees a partial file), and the lock
   that serializes commands on one container across processes.  */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "state.h"
#include "tap.h"

static char root[64];

static char *
err_text (hako_error_t *err)
{
  char *t = err ? hako_error_text (err) : NULL;
  hako_error_free (err);
  return t;
}

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
rm_rf (const char *path)
{
  char *cmd = hako_strdup_printf ("rm -rf '%s'", path);
  if (system (cmd) != 0)
    printf ("# could not remove %s\n", path);
  free (cmd);
}

static int
count_entries (const char *dir)
{
  DIR *d = opendir (dir);
  int n = 0;
  struct dirent *de;
  while (d && (de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
      n++;
  if (d)
    closedir (d);
  return n;
}

/* Claim ID for a test, or fail that test.  */
static hako_container_dir_t *
claim (const char *id)
{
  hako_container_dir_t *d = NULL;
  hako_error_t *err = NULL;
  if (hako_state_claim (root, id, &d, &err) < 0)
    {
      tap_ok (0, "claim `%s`: %s", id, err->msg);
      hako_error_free (err);
      return NULL;
    }
  return d;
}

/* All a child wrote to the pipe FD (closed here), as a string.  */
static void
read_all (int fd, char *buf, size_t size)
{
  size_t n = 0;
  ssize_t r;
  while (n + 1 < size && (r = read (fd, buf + n, size - 1 - n)) > 0)
    n += (size_t) r;
  buf[n] = '\0';
  close (fd);
}

static void
read_file (const char *file, char *buf, size_t size)
{
  int fd = open (file, O_RDONLY);
  if (fd < 0)
    buf[0] = '\0';
  else
    read_all (fd, buf, size);
}

static void
test_ids (void)
{
  char long_id[300];
  memset (long_id, 'a', 251);
  long_id[251] = '\0';
  const struct
  {
    const char *id, *want;
  } bad[] = {
    { "", "container id cannot be empty" },
    { "../x", "invalid container id `../x`: it may not start with `.`" },
    { "/", "invalid container id `/`: only [A-Za-z0-9_+.-] are allowed" },
    { "a/b", "invalid container id `a/b`: only [A-Za-z0-9_+.-] are allowed" },
    { "/etc", "invalid container id `/etc`: only [A-Za-z0-9_+.-] are allowed" },
    { ".x", "invalid container id `.x`: it may not start with `.`" },
    { ".", "invalid container id `.`: it may not start with `.`" },
    { "..", "invalid container id `..`: it may not start with `.`" },
    { "a b", "invalid container id `a b`: only [A-Za-z0-9_+.-] are allowed" },
    { long_id, NULL },
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      hako_error_t *err = NULL;
      int r = hako_validate_id (bad[i].id, &err);
      char *t = err_text (err);
      if (bad[i].want)
        tap_is_str (t, bad[i].want, "id `%s` is rejected", bad[i].id);
      else
        tap_ok (r < 0 && t && strstr (t, "longer than 250 characters"), "an id of 251 characters is rejected");
      free (t);
    }
  hako_error_t *err = NULL;
  tap_ok (hako_validate_id (NULL, &err) < 0, "no id is rejected");
  hako_error_free (err);

  long_id[250] = '\0';
  const char *good[] = { "abc", "a.b", "x..y", "A-1_+z", "0", long_id };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    {
      err = NULL;
      int r = hako_validate_id (good[i], &err);
      tap_ok (r == 0, "id `%.20s` (%zu characters) is accepted", good[i], strlen (good[i]));
      hako_error_free (err);
    }

  /* The store itself refuses them before touching the file system.  */
  hako_container_dir_t *d = NULL;
  err = NULL;
  char *outside = hako_strdup_printf ("%s/../escaped", root);
  tap_ok (hako_state_claim (root, "../escaped", &d, &err) < 0 && access (outside, F_OK) < 0,
          "claim with `../escaped` creates nothing outside the root");
  hako_error_free (err);
  free (outside);
  err = NULL;
  tap_ok (hako_state_open (root, "..", false, &d, &err) < 0, "open `..` is refused");
  hako_error_free (err);

  /* A symlink where a container directory should be is not followed.  */
  char *link = hako_strdup_printf ("%s/evil", root);
  if (symlink ("/tmp", link) < 0)
    printf ("# symlink: %s\n", strerror (errno));
  err = NULL;
  d = NULL;
  int r = hako_state_open (root, "evil", false, &d, &err);
  char *t = err_text (err);
  tap_ok (r < 0 && t && strcmp (t, "container `evil` does not exist: No such file or directory") == 0,
          "a symlinked container directory is not followed");
  free (t);
  hako_state_close (d);
  unlink (link);
  free (link);
}

static void
test_claim_and_records (void)
{
  hako_container_dir_t *d = NULL, *d2 = NULL;
  hako_error_t *err = NULL;
  tap_ok (hako_state_claim (root, "c1", &d, &err) == 0 && d->locked, "claim creates a locked directory");
  int r = hako_state_claim (root, "c1", &d2, &err);
  char *t = err_text (err);
  err = NULL;
  tap_is_str (r < 0 ? t : NULL, "container `c1` already exists: File exists", "a second claim of the same id fails");
  free (t);
  struct stat st;
  char *path = hako_strdup_printf ("%s/c1", root);
  tap_ok (stat (path, &st) == 0 && (st.st_mode & 0777) == 0700, "the container directory is private (0700)");

  hako_st_record rec = { 0 };
  rec.oci_version = (char *) "1.3.0";
  rec.id = (char *) "c1";
  rec.bundle = (char *) "/bundle";
  rec.pid = 1234;
  rec.pid_start = 99;
  tap_ok (hako_state_write (d, &rec, &err) == 0, "write a record");
  hako_st_record *back = NULL;
  tap_ok (hako_state_read (d, &back, &err) == 0 && back->pid == 1234 && back->pid_start == 99
              && strcmp (back->bundle, "/bundle") == 0,
          "read it back");
  hako_st_record_free (back);
  char *file = hako_strdup_printf ("%s/c1/state.json", root);
  tap_ok (stat (file, &st) == 0 && (st.st_mode & 0777) == 0600, "state.json is private (0600)");
  free (file);
  tap_ok (count_entries (path) == 1, "no temporary file is left next to it");

  tap_ok (hako_state_remove (d, &err) == 0 && access (path, F_OK) < 0, "remove deletes the directory");
  hako_state_close (d);
  d = NULL;
  r = hako_state_open (root, "c1", false, &d, &err);
  t = err_text (err);
  tap_is_str (r < 0 ? t : NULL, "container `c1` does not exist: No such file or directory",
              "a removed container does not exist");
  free (t);
  free (path);
}

/* While one process rewrites state.json over and over with two different
   large contents, another reads it: each read must see one of them whole.  */
static void
test_atomic_write (void)
{
  hako_error_t *err = NULL;
  hako_container_dir_t *d = claim ("atomic");
  if (d == NULL)
    return;
  size_t size = 256 * 1024;
  char *a = hako_xmalloc (size), *b = hako_xmalloc (size);
  memset (a, 'a', size);
  memset (b, 'b', size);
  if (hako_state_write_file (d, "state.json", a, size, &err) < 0)
    hako_error_free (err), err = NULL;
  char *file = hako_strdup_printf ("%s/atomic/state.json", root);
  int pipefd[2];
  if (pipe (pipefd) < 0)
    abort ();
  pid_t reader = fork ();
  if (reader == 0)
    {
      close (pipefd[0]);
      char *buf = malloc (size + 1);
      long reads = 0, bad = 0;
      double end = now () + 1.0;
      while (now () < end)
        {
          int fd = open (file, O_RDONLY);
          if (fd < 0)
            {
              bad++; /* the name must always exist */
              continue;
            }
          size_t n = 0;
          ssize_t r;
          while (n < size + 1 && (r = read (fd, buf + n, size + 1 - n)) > 0)
            n += (size_t) r;
          close (fd);
          reads++;
          if (n != size || (buf[0] != 'a' && buf[0] != 'b') || memchr (buf, buf[0] == 'a' ? 'b' : 'a', n) != NULL)
            bad++;
        }
      dprintf (pipefd[1], "%ld %ld", reads, bad);
      _exit (0);
    }
  close (pipefd[1]);
  int writes = 0, failed = 0;
  double end = now () + 1.0;
  while (now () < end)
    {
      if (hako_state_write_file (d, "state.json", writes % 2 ? a : b, size, &err) < 0)
        {
          failed++;
          hako_error_free (err);
          err = NULL;
        }
      writes++;
    }
  char result[64];
  read_all (pipefd[0], result, sizeof result);
  waitpid (reader, NULL, 0);
  long reads = 0, bad = -1;
  sscanf (result, "%ld %ld", &reads, &bad);
  tap_ok (failed == 0 && writes > 10, "%d rewrites of a 256 KiB state.json", writes);
  tap_ok (reads > 10 && bad == 0, "%ld concurrent reads: every one saw a whole file (%ld partial or missing)", reads,
          bad);
  char *dir = hako_strdup_printf ("%s/atomic", root);
  tap_ok (count_entries (dir) == 1, "no temporary file is left behind");
  hako_state_remove (d, &err);
  hako_state_close (d);
  free (dir);
  free (file);
  free (a);
  free (b);
}

/* Process A holds the lock; process B's locked open must wait for it.  */
static void
test_lock_waits (void)
{
  hako_error_t *err = NULL;
  hako_container_dir_t *d = claim ("locked");
  if (d == NULL)
    return;
  hako_container_dir_t *peek = NULL;
  hako_state_open (root, "locked", false, &peek, &err);
  tap_ok (peek && hako_state_lock_busy (peek), "an unlocked opener sees the lock held (a create in progress)");

  int pipefd[2];
  if (pipe (pipefd) < 0)
    abort ();
  double start = now ();
  pid_t child = fork ();
  if (child == 0)
    {
      close (pipefd[0]);
      /* The lock belongs to the open file description, which fork shares:
         let go of the parent's copy, as a separate command would not have it. */
      close (d->dirfd);
      hako_container_dir_t *cd = NULL;
      hako_error_t *cerr = NULL;
      int r = hako_state_open (root, "locked", true, &cd, &cerr);
      dprintf (pipefd[1], "%d %f", r, now ());
      _exit (0);
    }
  close (pipefd[1]);
  struct timespec pause = { 0, 400 * 1000 * 1000 };
  nanosleep (&pause, NULL);
  double released = now ();
  hako_state_close (d); /* closing the descriptor releases the lock */
  char result[64];
  read_all (pipefd[0], result, sizeof result);
  waitpid (child, NULL, 0);
  int r = -1;
  double got = 0;
  sscanf (result, "%d %lf", &r, &got);
  tap_ok (r == 0 && got >= released - 0.01,
          "a second process gets the lock only after the first lets go (waited %.2f s)", got - start);
  tap_ok (peek && ! hako_state_lock_busy (peek), "once released, the lock is free");
  hako_state_close (peek);
}

/* Two processes increment a counter kept in the container directory, each
   step under the lock: no update may be lost.  */
static void
test_lock_serializes (void)
{
  hako_error_t *err = NULL;
  hako_container_dir_t *d = claim ("counter");
  if (d == NULL)
    return;
  hako_state_write_file (d, "n", "0", 1, &err);
  hako_state_close (d);
  char *file = hako_strdup_printf ("%s/counter/n", root);
  const int steps = 50;
  pid_t kids[2];
  for (int k = 0; k < 2; k++)
    {
      kids[k] = fork ();
      if (kids[k] != 0)
        continue;
      for (int i = 0; i < steps; i++)
        {
          hako_container_dir_t *cd = NULL;
          hako_error_t *cerr = NULL;
          if (hako_state_open (root, "counter", true, &cd, &cerr) < 0)
            _exit (1);
          char buf[32];
          read_file (file, buf, sizeof buf);
          int v = atoi (buf);
          sched_yield ();
          char out[32];
          int len = snprintf (out, sizeof out, "%d", v + 1);
          if (hako_state_write_file (cd, "n", out, (size_t) len, &cerr) < 0)
            _exit (1);
          hako_state_close (cd);
        }
      _exit (0);
    }
  int ok = 1;
  for (int k = 0; k < 2; k++)
    {
      int status;
      waitpid (kids[k], &status, 0);
      ok = ok && WIFEXITED (status) && WEXITSTATUS (status) == 0;
    }
  char buf[32];
  read_file (file, buf, sizeof buf);
  tap_ok (ok && atoi (buf) == 2 * steps, "two processes, %d locked increments each: counter is %s", steps, buf);
  free (file);
}

/* A delete that removes the directory while another command waits for the
   lock: the waiter must see "does not exist", not a dead directory.  */
static void
test_lock_then_removed (void)
{
  hako_error_t *err = NULL;
  hako_container_dir_t *d = claim ("gone");
  if (d == NULL)
    return;
  int pipefd[2];
  if (pipe (pipefd) < 0)
    abort ();
  pid_t child = fork ();
  if (child == 0)
    {
      close (pipefd[0]);
      close (d->dirfd);
      hako_container_dir_t *cd = NULL;
      hako_error_t *cerr = NULL;
      int r = hako_state_open (root, "gone", true, &cd, &cerr);
      dprintf (pipefd[1], "%d %s", r, r < 0 ? cerr->msg : "opened");
      _exit (0);
    }
  close (pipefd[1]);
  struct timespec pause = { 0, 200 * 1000 * 1000 };
  nanosleep (&pause, NULL);
  hako_state_remove (d, &err);
  hako_state_close (d);
  char result[128];
  read_all (pipefd[0], result, sizeof result);
  waitpid (child, NULL, 0);
  tap_is_str (result, "-1 container `gone` does not exist",
              "a waiter on a container deleted meanwhile is told it is gone");
}

int
main (void)
{
  snprintf (root, sizeof root, "/tmp/hako-test-state.%d", (int) getpid ());
  hako_error_t *err = NULL;
  char *nested = hako_strdup_printf ("%s/run/hako", root);
  tap_ok (hako_state_root_ensure (nested, &err) == 0 && access (nested, F_OK) == 0,
          "the root is created with its parents");
  free (nested);
  test_ids ();
  test_claim_and_records ();
  test_atomic_write ();
  test_lock_waits ();
  test_lock_serializes ();
  test_lock_then_removed ();
  rm_rf (root);
  return tap_done ();
}
