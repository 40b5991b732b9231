/* SPDX-License-Identifier: Apache-2.0 */
/* Signal names for kill, and nothing from config.json.  */
#include <config.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "process.h"

static const struct
{
  const char *name;
  int sig;
} signals[] = {
  { "HUP", SIGHUP },   { "INT", SIGINT },       { "QUIT", SIGQUIT },     { "ILL", SIGILL },   { "TRAP", SIGTRAP },
  { "ABRT", SIGABRT }, { "IOT", SIGIOT },       { "BUS", SIGBUS },       { "FPE", SIGFPE },   { "KILL", SIGKILL },
  { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },     { "USR2", SIGUSR2 },     { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },
  { "TERM", SIGTERM }, { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },     { "CLD", SIGCHLD },  { "CONT", SIGCONT },
  { "STOP", SIGSTOP }, { "TSTP", SIGTSTP },     { "TTIN", SIGTTIN },     { "TTOU", SIGTTOU }, { "URG", SIGURG },
  { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },     { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
  { "IO", SIGIO },     { "POLL", SIGPOLL },     { "PWR", SIGPWR },       { "SYS", SIGSYS },
};

/* "TERM", "SIGTERM", "sigterm", "15", "RTMIN+3", "SIGRTMAX-1"; and "0",
   no signal, as for kill(1): only whether the process is there.  */
int
hako_signal_from_name (const char *name)
{
  if (name == NULL || *name == '\0')
    return -1;
  if (strcmp (name, "0") == 0)
    return 0;
  char *end;
  long n = strtol (name, &end, 10);
  if (*end == '\0')
    return (n > 0 && n < NSIG) ? (int) n : -1;
  if (strncasecmp (name, "SIG", 3) == 0)
    name += 3;
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    if (strcasecmp (signals[i].name, name) == 0)
      return signals[i].sig;
  if (strncasecmp (name, "RTMIN", 5) == 0 || strncasecmp (name, "RTMAX", 5) == 0)
    {
      bool min = strncasecmp (name, "RTMIN", 5) == 0;
      int base = min ? SIGRTMIN : SIGRTMAX;
      const char *rest = name + 5;
      if (*rest == '\0')
        return base;
      long off = strtol (rest, &end, 10);
      if (*end != '\0')
        return -1;
      int s = base + (int) off;
      return (s >= SIGRTMIN && s <= SIGRTMAX) ? s : -1;
    }
  return -1;
}

const char *
hako_signal_name (int sig)
{
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    if (signals[i].sig == sig)
      return signals[i].name;
  return NULL;
}
