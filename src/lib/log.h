/* SPDX-License-Identifier: Apache-2.0 */
/* The log sink: stderr or a --log file, as text or as runc-style JSON
   lines ({"level":…,"msg":…,"time":…}) that containerd and podman read. */
#ifndef HAKO_LOG_H
#define HAKO_LOG_H

#include <stdbool.h>

#include "error.h"

enum hako_log_level
{
  HAKO_LOG_ERROR = 0,
  HAKO_LOG_WARNING = 1,
  HAKO_LOG_INFO = 2,
  HAKO_LOG_DEBUG = 3,
};

/* FILE NULL means stderr.  FORMAT is "text" or "json".  */
int hako_log_init (const char *file, const char *format, hako_error_t **err);
void hako_log_set_level (enum hako_log_level level);
enum hako_log_level hako_log_get_level (void);
bool hako_log_is_stderr (void);
/* The descriptor logs go to; child processes keep it open to report.  */
int hako_log_fd (void);
void hako_log_set_fd (int fd);

void hako_log (enum hako_log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
#define hako_warn(...) hako_log (HAKO_LOG_WARNING, __VA_ARGS__)
#define hako_info(...) hako_log (HAKO_LOG_INFO, __VA_ARGS__)
#define hako_debug(...)                                                                                                \
  do                                                                                                                   \
    {                                                                                                                  \
      if (hako_log_get_level () >= HAKO_LOG_DEBUG)                                                                     \
        hako_log (HAKO_LOG_DEBUG, __VA_ARGS__);                                                                        \
    }                                                                                                                  \
  while (0)

/* Log ERR at error level.  When the log is a file, the message also goes to
   stderr, so that a person at a shell sees it (runc does the same).  */
void hako_log_error (const hako_error_t *err);

#endif
