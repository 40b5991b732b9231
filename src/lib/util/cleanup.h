/* SPDX-License-Identifier: Apache-2.0 */
/* Scope-bound release of resources, and explicit ownership transfer. */
#ifndef HAKO_CLEANUP_H
#define HAKO_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void
hako_freep (void *p)
{
  free (*(void **) p);
}

static inline void
hako_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}

static inline void
hako_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
}

static inline void
hako_closedirp (DIR **d)
{
  if (*d)
    closedir (*d);
}

static inline void
hako_strvfreep (char ***v)
{
  if (*v)
    {
      for (char **p = *v; *p; p++)
        free (*p);
      free (*v);
    }
}

#define cleanup_free __attribute__ ((cleanup (hako_freep)))
#define cleanup_close __attribute__ ((cleanup (hako_closep)))
#define cleanup_fclose __attribute__ ((cleanup (hako_fclosep)))
#define cleanup_dir __attribute__ ((cleanup (hako_closedirp)))
#define cleanup_strv __attribute__ ((cleanup (hako_strvfreep)))

/* Hand a pointer or descriptor to a new owner: the local variable is
   emptied so that its cleanup does nothing.  */
#define TAKE_PTR(p)                                                                                                    \
  ({                                                                                                                   \
    __typeof__ (p) take_tmp_ = (p);                                                                                    \
    (p) = NULL;                                                                                                        \
    take_tmp_;                                                                                                         \
  })
#define TAKE_FD(fd)                                                                                                    \
  ({                                                                                                                   \
    int take_fd_ = (fd);                                                                                               \
    (fd) = -1;                                                                                                         \
    take_fd_;                                                                                                          \
  })

#endif
