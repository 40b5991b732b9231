/* SPDX-License-Identifier: Apache-2.0 */
/* libhako: the public interface the CLI is written against.

   Every function returns an int, negative on failure with *ERR filled (see
   error.h), unless its comment says otherwise.  A hako_context_t carries
   the global options; the per-command options are the arguments.  */
#ifndef HAKO_H
#define HAKO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

typedef struct hako_context
{
  const char *state_root; /* --root; NULL means the default */
  bool systemd_cgroup;    /* --systemd-cgroup or --cgroup-manager systemd */
  bool no_cgroups;        /* --cgroup-manager disabled */
  int rootless;           /* --rootless: -1 auto, 0 false, 1 true */
  bool debug;
} hako_context_t;

/* The directory --root resolves to (made absolute).  Returns a pointer
   owned by the context's cache; never NULL.  */
const char *hako_state_root (hako_context_t *ctx);

struct hako_create_options
{
  const char *id;
  const char *bundle;      /* NULL: the current directory */
  const char *config_file; /* NULL: BUNDLE/config.json */
  const char *pid_file;
  const char *console_socket;
  int preserve_fds;
  bool no_pivot;
  bool no_new_keyring;
  /* run only */
  bool detach;
  bool keep;
  bool no_subreaper;
};

int hako_container_create (hako_context_t *ctx, const struct hako_create_options *opts, hako_error_t **err);
int hako_container_start (hako_context_t *ctx, const char *id, hako_error_t **err);
/* Create and start; in the foreground, wait and return the exit status
   (128+N for a signal N) in *STATUS.  */
int hako_container_run (hako_context_t *ctx, const struct hako_create_options *opts, int *status, hako_error_t **err);

/* The state JSON (spec state plus runc's extra fields), malloc'd.  */
int hako_container_state (hako_context_t *ctx, const char *id, char **json, hako_error_t **err);

int hako_container_kill (hako_context_t *ctx, const char *id, int signum, bool all, hako_error_t **err);
int hako_container_delete (hako_context_t *ctx, const char *id, bool force, hako_error_t **err);
int hako_container_pause (hako_context_t *ctx, const char *id, hako_error_t **err);
int hako_container_resume (hako_context_t *ctx, const char *id, hako_error_t **err);

struct hako_list_entry
{
  char *id;
  pid_t pid;
  char *status;
  char *bundle;
  char *rootfs;
  char *created;
  uid_t owner;
  char *annotations_json; /* NULL when there are none */
  char *oci_version;      /* the config's, as recorded at create ("" if unknown) */
};
int hako_container_list (hako_context_t *ctx, struct hako_list_entry **entries, size_t *n, hako_error_t **err);
void hako_list_entries_free (struct hako_list_entry *entries, size_t n);

/* Host pids of every process of the container (its cgroup).  */
int hako_container_pids (hako_context_t *ctx, const char *id, pid_t **pids, size_t *n, hako_error_t **err);

struct hako_exec_options
{
  const char *id;
  const char *process_file; /* --process; "-" is stdin */
  char *const *args;        /* the command when there is no --process */
  bool tty;
  bool tty_set; /* --tty given explicitly */
  const char *console_socket;
  bool detach;
  const char *pid_file;
  char *const *env; /* --env K=V, appended */
  const char *cwd;
  const char *user; /* uid[:gid] */
  char *const *additional_gids;
  char *const *caps; /* --cap, added */
  bool no_new_privs;
  int preserve_fds;
  const char *process_label;
  const char *apparmor;
  const char *cgroup; /* --cgroup [ctrl:]path, a sub-cgroup */
  bool ignore_paused;
};
int hako_container_exec (hako_context_t *ctx, const struct hako_exec_options *opts, int *status, hako_error_t **err);

/* update: RESOURCES_JSON is an OCI linux.resources object.  */
int hako_container_update (hako_context_t *ctx, const char *id, const char *resources_json, size_t len,
                           hako_error_t **err);

/* events: one JSON object per line to FD; interval 0 with STATS_ONLY. */
int hako_container_events (hako_context_t *ctx, const char *id, bool stats_only, unsigned interval_ms, int fd,
                           hako_error_t **err);

/* spec: the default config as JSON (tab-indented like runc's).  */
int hako_spec_default_json (bool rootless, char **json, hako_error_t **err);
/* features document, pretty JSON.  */
int hako_features_json (char **json, hako_error_t **err);
/* validate: every problem found, one per line in *REPORT (NULL if none).
   Returns the number of problems, or -1 when the bundle cannot be read.  */
int hako_validate_bundle (const char *bundle, const char *config_file, char **report, hako_error_t **err);

#endif
