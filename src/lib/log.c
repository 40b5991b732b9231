/* SPDX-License-Identifier: Apache-2.0 */
#include <config.h>

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "json-support.h"

static int log_fd = 2;
static bool log_json = false;
static enum hako_log_level log_level = HAKO_LOG_WARNING;

int
hako_log_init (const char *file, const char *format, hako_error_t **err)
{
  if (format != NULL)
    {
      if (strcmp (format, "json") == 0)
        log_json = true;
      else if (strcmp (format, "text") == 0)
        log_json = false;
      else
        return hako_error_set (err, 0, "invalid log format `%s` (expected text or json)", format);
    }
  if (file != NULL && strcmp (file, "/dev/stderr") != 0)
    {
      int fd = open (file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0)
        return hako_error_sys (err, "open log file `%s`", file);
      log_fd = fd;
    }
  return 0;
}

void
hako_log_set_level (enum hako_log_level level)
{
  log_level = level;
}

enum hako_log_level
hako_log_get_level (void)
{
  return log_level;
}

bool
hako_log_is_stderr (void)
{
  return log_fd == 2;
}

int
hako_log_fd (void)
{
  return log_fd;
}

void
hako_log_set_fd (int fd)
{
  log_fd = fd;
}

static const char *const level_names[] = { "error", "warning", "info", "debug" };

static void
write_all (int fd, const char *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t r = write (fd, buf, len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return;
      buf += r;
      len -= (size_t) r;
    }
}

/* RFC 3339 with microseconds, UTC: containerd decodes it as time.Time.  */
static void
format_time (char *buf, size_t size)
{
  struct timeval tv;
  struct tm tm;
  gettimeofday (&tv, NULL);
  gmtime_r (&tv.tv_sec, &tm);
  size_t n = strftime (buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf + n, size - n, ".%06ldZ", (long) tv.tv_usec);
}

static void
emit (int fd, bool json, enum hako_log_level level, const char *msg)
{
  if (json)
    {
      char when[64];
      format_time (when, sizeof when);
      yajl_gen g = hako_json_gen_new (0);
      yajl_gen_map_open (g);
      hako_json_gen_key (g, "level");
      hako_json_gen_string (g, level_names[level]);
      hako_json_gen_key (g, "msg");
      hako_json_gen_string (g, msg);
      hako_json_gen_key (g, "time");
      hako_json_gen_string (g, when);
      yajl_gen_map_close (g);
      size_t len;
      cleanup_free char *line = hako_json_gen_finish (g, &len);
      line = hako_xrealloc (line, len + 2);
      line[len] = '\n';
      write_all (fd, line, len + 1);
    }
  else
    {
      cleanup_free char *line = NULL;
      int n = hako_xasprintf (&line, "hako: %s%s\n",
                              level == HAKO_LOG_ERROR     ? ""
                              : level == HAKO_LOG_WARNING ? "warning: "
                              : level == HAKO_LOG_DEBUG   ? "debug: "
                                                          : "",
                              msg);
      write_all (fd, line, (size_t) n);
    }
}

void
hako_log (enum hako_log_level level, const char *fmt, ...)
{
  if (level > log_level)
    return;
  int saved = errno;
  cleanup_free char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  emit (log_fd, log_json, level, msg);
  if (level <= HAKO_LOG_WARNING && log_fd != 2 && isatty (2))
    emit (2, false, level, msg);
  errno = saved;
}

void
hako_log_error (const hako_error_t *err)
{
  cleanup_free char *msg = hako_error_text (err);
  emit (log_fd, log_json, HAKO_LOG_ERROR, msg);
  if (log_fd != 2)
    emit (2, false, HAKO_LOG_ERROR, msg);
}
