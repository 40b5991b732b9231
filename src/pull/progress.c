/* SPDX-License-Identifier: Apache-2.0 */
/* A progress bar per layer on a terminal: digest, bar, bytes, rate.
   Redrawn at most ten times a second; nothing at all when disabled.  */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pull.h"

static pthread_mutex_t draw_lock = PTHREAD_MUTEX_INITIALIZER;
static bool downloading;

void
progress_set_downloading (bool on)
{
  pthread_mutex_lock (&draw_lock);
  downloading = on;
  pthread_mutex_unlock (&draw_lock);
}

double
pull_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
human (char *buf, size_t n, double v)
{
  static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
  int u = 0;
  while (v >= 1024 && u < 4)
    {
      v /= 1024;
      u++;
    }
  snprintf (buf, n, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
}

void
progress_start (pull_progress_t *p, bool enabled, const char *verb, const char *digest, int64_t total)
{
  memset (p, 0, sizeof (*p));
  p->enabled = enabled;
  p->verb = verb;
  p->download = strcmp (verb, "downloading") == 0;
  p->label = digest;
  p->total = total;
  p->start = pull_now ();
}

static void
draw (pull_progress_t *p, const char *verb, bool final)
{
  char done[32], total[32], rate[32];
  double el = pull_now () - p->start;
  human (done, sizeof done, (double) p->done);
  human (total, sizeof total, (double) p->total);
  human (rate, sizeof rate, el > 0 ? (double) p->done / el : 0);
  char bar[31];
  int fill = p->total > 0 ? (int) ((double) p->done * 30 / (double) p->total) : 30;
  if (fill > 30)
    fill = 30;
  for (int i = 0; i < 30; i++)
    bar[i] = i < fill ? '#' : '-';
  bar[30] = '\0';
  const char *hex = pull_digest_hex (p->label);
  pthread_mutex_lock (&draw_lock);
  if (final || p->download || ! downloading)
    {
      fprintf (stderr, "\r%.12s %-11s [%s] %10s / %-10s %10s/s\033[K%s", hex, verb, bar, done, total, rate,
               final ? "\n" : "");
      fflush (stderr);
    }
  pthread_mutex_unlock (&draw_lock);
}

void
progress_update (pull_progress_t *p, int64_t done)
{
  p->done = done;
  if (! p->enabled)
    return;
  double t = pull_now ();
  if (t - p->last_draw < 0.1)
    return;
  p->last_draw = t;
  draw (p, p->verb, false);
}

void
progress_finish (pull_progress_t *p, const char *verb)
{
  if (! p->enabled)
    return;
  draw (p, verb, true);
}
