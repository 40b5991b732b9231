/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_NAMESPACES_H
#define HAKO_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "runtime-spec.h"

enum hako_ns
{
  HAKO_NS_USER = 0, /* first: joining it first gives the rights to join the rest */
  HAKO_NS_PID,
  HAKO_NS_NET,
  HAKO_NS_IPC,
  HAKO_NS_UTS,
  HAKO_NS_CGROUP,
  HAKO_NS_TIME,
  HAKO_NS_MNT, /* last: after it, host paths are gone */
  HAKO_NS_COUNT
};

struct hako_ns_info
{
  const char *spec_name; /* linux.namespaces[].type */
  const char *proc_name; /* /proc/<pid>/ns/<name> */
  int flag;              /* CLONE_NEW* */
};
extern const struct hako_ns_info hako_ns_table[HAKO_NS_COUNT];
int hako_ns_from_name (const char *name);

/* What to do with each namespace type.  */
typedef struct hako_ns_plan
{
  bool create[HAKO_NS_COUNT];
  int join_fd[HAKO_NS_COUNT]; /* -1 unless joined by path */
  char *join_path[HAKO_NS_COUNT];
} hako_ns_plan_t;

/* Check the namespaces (duplicates, absolute paths, that each path is a
   namespace of its type) and open the ones to join.  */
int hako_ns_plan_build (const hako_spec_linux *linux, hako_ns_plan_t *plan, hako_error_t **err);
void hako_ns_plan_close (hako_ns_plan_t *plan);
int hako_ns_plan_flags (const hako_ns_plan_t *plan);

/* setns into FD (a namespace of type NS).  */
int hako_ns_join (int fd, enum hako_ns ns, const char *what, hako_error_t **err);
/* Join every namespace in FDS (-1: none) but pid and time, which apply to
   children.  One the user namespace does not own (a netns given by path)
   takes the host's rights, one it owns may take the user namespace's
   (rootless): the others are tried first, then the user namespace, then
   what was refused before it.  PATHS (or NULL) name them in errors.  */
int hako_ns_join_user_last (const int fds[HAKO_NS_COUNT], char *const paths[HAKO_NS_COUNT], hako_error_t **err);
/* Open /proc/<pid>/ns/<name> of each type for exec; skip those that are the
   same as ours.  */
int hako_ns_open_of_pid (pid_t pid, int fds[HAKO_NS_COUNT], hako_error_t **err);

#endif
