/* SPDX-License-Identifier: Apache-2.0 */
/* The lifecycle, parent side: create, start, run, state, kill, delete.
   Applies: hooks.prestart, createRuntime, poststart, poststop (their
   timing); annotations (into the state).  Each operation is a flat list
   of steps; the comments say why the order matters.  */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cleanup.h"
#include "cloned-exe.h"
#include "container-internal.h"
#include "hako.h"
#include "hooks.h"
#include "init.h"
#include "log.h"
#include "mounts.h"
#include "seccomp-notify.h"
#include "state.h"
#include "sync.h"
#include "terminal.h"
#include "userns.h"
#include "validate.h"

const char *
hako_state_root (hako_context_t *ctx)
{
  static char *cached;
  if (cached)
    return cached;
  if (ctx->state_root && ctx->state_root[0])
    {
      if (ctx->state_root[0] == '/')
        cached = hako_xstrdup (ctx->state_root);
      else
        {
          char cwd[4096];
          cached = hako_strdup_printf ("%s/%s", getcwd (cwd, sizeof cwd) ? cwd : ".", ctx->state_root);
        }
      return cached;
    }
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  const char *user = getenv ("USER");
  /* As runc: uid 0 in a user namespace (rootless podman) is not the
     host's root, unless $USER says it is.  */
  if (xdg && xdg[0] == '/'
      && (geteuid () != 0 || ((user == NULL || strcmp (user, "root") != 0) && hako_in_user_namespace ())))
    cached = hako_strdup_printf ("%s/hako", xdg);
  else
    cached = hako_xstrdup ("/run/hako");
  return cached;
}

/* ------------------------------------------------------------------ state */

char *
hako_state_json (const hako_st_record *rec, enum hako_status status, bool pretty)
{
  yajl_gen g = hako_json_gen_new (pretty ? HAKO_JSON_PRETTY : 0);
  yajl_gen_map_open (g);
  hako_json_gen_key (g, "ociVersion");
  hako_json_gen_string (g, rec->oci_version);
  hako_json_gen_key (g, "id");
  hako_json_gen_string (g, rec->id);
  hako_json_gen_key (g, "pid");
  yajl_gen_integer (g, status == HAKO_STATUS_STOPPED ? 0 : rec->pid);
  hako_json_gen_key (g, "status");
  hako_json_gen_string (g, hako_status_name (status));
  hako_json_gen_key (g, "bundle");
  hako_json_gen_string (g, rec->bundle);
  hako_json_gen_key (g, "rootfs");
  hako_json_gen_string (g, rec->rootfs ? rec->rootfs : "");
  hako_json_gen_key (g, "created");
  hako_json_gen_string (g, rec->created ? rec->created : "");
  hako_json_gen_key (g, "owner");
  hako_json_gen_string (g, "");
  if (rec->annotations && rec->annotations->len > 0)
    {
      hako_json_gen_key (g, "annotations");
      yajl_gen_map_open (g);
      for (size_t i = 0; i < rec->annotations->len; i++)
        {
          hako_json_gen_key (g, rec->annotations->keys[i]);
          hako_json_gen_string (g, rec->annotations->values[i]);
        }
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
  return hako_json_gen_finish (g, NULL);
}

int
hako_container_state (hako_context_t *ctx, const char *id, char **json, hako_error_t **err)
{
  cleanup_container_dir hako_container_dir_t *d = NULL;
  if (hako_state_open (hako_state_root (ctx), id, false, &d, err) < 0)
    return -1;
  hako_st_record *rec = NULL;
  if (hako_state_read (d, &rec, err) < 0)
    {
      /* A create killed before it wrote anything. */
      if (err && *err && (*err)->status == ENOENT && ! hako_state_lock_busy (d))
        {
          hako_error_free (*err);
          *err = NULL;
          return hako_error_set (err, 0, "container `%s` is a leftover of a failed create: run `delete --force %s`", id,
                                 id);
        }
      return -1;
    }
  *json = hako_state_json (rec, hako_state_status (d, rec), true);
  hako_st_record_free (rec);
  return 0;
}

/* ------------------------------------------------------------------ create */

static int
write_pid_file (const char *path, pid_t pid, hako_error_t **err)
{
  cleanup_free char *abs = NULL;
  if (path[0] != '/')
    {
      char cwd[4096];
      if (getcwd (cwd, sizeof cwd) == NULL)
        return hako_error_sys (err, "getcwd");
      abs = hako_strdup_printf ("%s/%s", cwd, path);
      path = abs;
    }
  cleanup_free char *dir = hako_xstrdup (path);
  char *slash = strrchr (dir, '/');
  *slash = '\0';
  cleanup_free char *tmp = hako_strdup_printf ("%s/.%s.%d", dir[0] ? dir : "", slash + 1, (int) getpid ());
  cleanup_close int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0)
    return hako_error_sys (err, "pid file `%s`", path);
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%d", (int) pid);
  if (write (fd, buf, (size_t) n) != n || rename (tmp, path) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return hako_error_set (err, saved, "pid file `%s`", path);
    }
  return 0;
}

/* The start socket: the init waits on it in the created state.  Bound
   through the directory's descriptor, so a long --root still fits.  */
static int
listen_start_socket (hako_container_dir_t *d, hako_error_t **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", d->dirfd, HAKO_START_SOCKET);
  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return hako_error_sys (err, "start socket");
  if (bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return hako_error_sys (err, "bind the start socket in `%s`", d->path);
  if (listen (fd, 4) < 0)
    return hako_error_sys (err, "listen on the start socket");
  return TAKE_FD (fd);
}

int
hako_connect_start_socket (hako_container_dir_t *d, hako_error_t **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", d->dirfd, HAKO_START_SOCKET);
  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return hako_error_sys (err, "start socket");
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return hako_error_sys (err, "connect to the container init");
  return TAKE_FD (fd);
}

static hako_st_record *
record_new (const char *id, const hako_bundle_t *b, hako_context_t *ctx)
{
  hako_st_record *rec = hako_xcalloc (1, sizeof (*rec));
  rec->oci_version = hako_xstrdup (b->config->oci_version);
  rec->id = hako_xstrdup (id);
  rec->bundle = hako_xstrdup (b->bundle);
  rec->rootfs = hako_xstrdup (b->rootfs);
  rec->created = hako_rfc3339_now ();
  rec->owner = geteuid ();
  rec->has_owner = true;
  /* auto, as runc: not uid 0, or uid 0 in a user namespace.  */
  rec->rootless = ctx->rootless == 1 || (ctx->rootless == -1 && (geteuid () != 0 || hako_in_user_namespace ()));
  rec->has_rootless = true;
  const hako_spec_map_string *a = b->config->annotations;
  if (a && a->len)
    {
      rec->annotations = hako_xcalloc (1, sizeof (*rec->annotations));
      rec->annotations->keys = hako_xcalloc (a->len + 1, sizeof (char *));
      rec->annotations->values = hako_xcalloc (a->len + 1, sizeof (char *));
      for (size_t i = 0; i < a->len; i++)
        {
          rec->annotations->keys[i] = hako_xstrdup (a->keys[i]);
          rec->annotations->values[i] = hako_xstrdup (a->values[i]);
        }
      rec->annotations->len = a->len;
    }
  return rec;
}

static bool
has_hooks (hako_spec_hook *const *h, size_t n)
{
  (void) h;
  return n > 0;
}

/* Fault injection for the tests: HAKO_TEST_CRASH_AT=STEP kills hako by
   SIGKILL at that step, as a crash would, so that they can check what
   state reports and that delete --force removes everything.  */
static void
crash_point (const char *step)
{
  const char *at = getenv ("HAKO_TEST_CRASH_AT");
  if (at && strcmp (at, step) == 0)
    raise (SIGKILL);
}

/* Everything a create made, undone in reverse; used on every failure path
   and by delete.  Missing pieces are fine.  */
static void
undo_create (hako_container_dir_t *d, hako_st_record *rec, pid_t pid)
{
  if (pid > 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
    }
  if (rec && rec->cgroup)
    {
      hako_cgroup_kill (rec->cgroup, SIGKILL, NULL);
      hako_cgroup_destroy (rec->cgroup, NULL);
    }
  if (d)
    hako_state_remove (d, NULL);
}

struct create_result
{
  hako_container_dir_t *dir;
  hako_bundle_t *bundle;
  hako_st_record *rec;
  hako_init_t *init;
  pid_t pid;
  int sync_fd;        /* parent's end */
  int console_master; /* run in the foreground with a terminal */
};

static void
create_result_clear (struct create_result *r)
{
  if (r->sync_fd >= 0)
    close (r->sync_fd);
  if (r->console_master >= 0)
    close (r->console_master);
  if (r->init)
    {
      hako_ns_plan_close (&r->init->ns);
      hako_exec_plan_clear (&r->init->exec);
      if (r->init->console_fd >= 0)
        close (r->init->console_fd);
      if (r->init->start_fd >= 0)
        close (r->init->start_fd);
      free (r->init);
    }
  hako_st_record_free (r->rec);
  hako_bundle_free (r->bundle);
  hako_state_close (r->dir);
  memset (r, 0, sizeof (*r));
  r->sync_fd = r->console_master = -1;
}

/* Parent half of the sync protocol (sync.h), up to READY.  */
static int
drive_init (struct create_result *r, hako_error_t **err)
{
  hako_init_t *init = r->init;
  const hako_spec_config *config = r->bundle->config;
  hako_sync_msg_t msg;
  pid_t child = r->pid;

  if (init->late_userns && init->ns.create[HAKO_NS_USER])
    {
      if (hako_sync_expect (r->sync_fd, SYNC_GO, &msg, "container init", err) < 0)
        return -1;
      hako_sync_msg_clear (&msg);
      if (hako_userns_write_maps (child, config->linux, err) < 0)
        return -1;
      if (hako_sync_send (r->sync_fd, SYNC_GO, NULL, 0, -1, err) < 0)
        return -1;
    }
  if (init->late_userns && init->ns.create[HAKO_NS_PID])
    {
      if (hako_sync_expect (r->sync_fd, SYNC_PID, &msg, "container init", err) < 0)
        return -1;
      pid_t real = (pid_t) atoi (msg.data);
      hako_sync_msg_clear (&msg);
      waitpid (child, NULL, 0);
      r->pid = real;
    }
  else if (! init->late_userns && init->ns.create[HAKO_NS_USER])
    {
      if (hako_userns_write_maps (child, config->linux, err) < 0)
        return -1;
    }
  init->pid = r->pid;
  unsigned long long start = 0;
  hako_process_start_time (r->pid, &start);
  r->rec->pid = r->pid;
  r->rec->has_pid = true;
  r->rec->pid_start = start;
  r->rec->has_pid_start = true;
  /* Recorded now, so that a crash from here on leaves a pid that
     delete --force can kill.  */
  if (hako_state_write (r->dir, r->rec, err) < 0)
    return -1;
  /* GO, then the cgroup: the first write to a cgroup.procs waits for an
     RCU grace period (milliseconds), which the init spends building its
     mounts.  It waits for CGROUP before it makes its cgroup namespace
     (whose root is the cgroup it is in) or mounts a cgroup file system,
     and before anything of the container runs.  */
  cleanup_free char *state = hako_state_json (r->rec, HAKO_STATUS_CREATING, false);
  if (hako_sync_send (r->sync_fd, SYNC_GO, state, strlen (state), -1, err) < 0)
    return -1;
  if (hako_cgroup_enter (r->rec->cgroup, r->pid, err) < 0
      || hako_sync_send (r->sync_fd, SYNC_CGROUP, NULL, 0, -1, err) < 0)
    return -1;
  for (;;)
    {
      int rr = hako_sync_recv (r->sync_fd, &msg, err);
      if (rr < 0)
        return -1;
      if (rr == 1)
        return hako_error_set (err, 0, "container init exited before it was ready");
      switch (msg.type)
        {
        case SYNC_ERROR:
          hako_error_set (err, 0, "%s", msg.data);
          hako_sync_msg_clear (&msg);
          return -1;
        case SYNC_HOOKS:
          hako_sync_msg_clear (&msg);
          if (config->hooks
              && (hako_hooks_run (config->hooks->prestart, config->hooks->prestart_len, "prestart", state, err) < 0
                  || hako_hooks_run (config->hooks->create_runtime, config->hooks->create_runtime_len, "createRuntime",
                                     state, err)
                         < 0))
            return -1;
          if (hako_sync_send (r->sync_fd, SYNC_HOOKS_DONE, NULL, 0, -1, err) < 0)
            return -1;
          break;
        case SYNC_CONSOLE:
          r->console_master = msg.fd;
          msg.fd = -1;
          hako_sync_msg_clear (&msg);
          break;
        case SYNC_READY:
          hako_sync_msg_clear (&msg);
          return 0;
        default:
          hako_sync_msg_clear (&msg);
          return hako_error_set (err, 0, "container init: unexpected message %u", msg.type);
        }
    }
}

/* Everything up to the created state.  RUN_MODE: no start socket, the
   start goes over the sync pair.  */
static int
do_create (hako_context_t *ctx, const struct hako_create_options *o, bool run_mode, bool foreground,
           struct create_result *r, hako_error_t **err)
{
  memset (r, 0, sizeof (*r));
  r->sync_fd = r->console_master = -1;
  if (hako_validate_id (o->id, err) < 0)
    return -1;
  /* 1. Read and check the whole config before anything exists.  */
  if (hako_bundle_load (o->bundle, o->config_file, &r->bundle, err) < 0)
    return -1;
  const hako_spec_config *config = r->bundle->config;
  if (hako_validate_config (config, r->bundle, err) < 0)
    return -1;
  /* Before anything exists: from a sealed copy of hako when the container
     could reach its binary (cloned-exe.c); nothing in the common case.  */
  if (hako_cloned_exe_ensure (config, NULL, err) < 0)
    return -1;
  const hako_spec_process *p = config->process;
  bool terminal = p && p->has_terminal && p->terminal;
  if (terminal && o->console_socket == NULL && ! (run_mode && foreground))
    return hako_error_set (err, 0, "process.terminal is true: --console-socket is required when detached");
  if (! terminal && o->console_socket)
    return hako_error_set (err, 0, "--console-socket given, but process.terminal is false");

  r->init = hako_xcalloc (1, sizeof (*r->init));
  hako_init_t *init = r->init;
  init->sync_fd = init->parent_fd = init->start_fd = init->console_fd = -1;
  for (int i = 0; i < HAKO_NS_COUNT; i++)
    init->ns.join_fd[i] = -1;
  init->id = o->id;
  init->bundle = r->bundle;
  init->no_pivot = o->no_pivot;
  init->no_new_keyring = o->no_new_keyring;
  if (hako_ns_plan_build (config->linux, &init->ns, err) < 0)
    return -1;
  /* The process's ids must exist in a user namespace we make: found here,
     not by a setuid failing at start.  */
  if (p && p->user && init->ns.create[HAKO_NS_USER])
    {
      const hako_spec_linux *l = config->linux;
      if (hako_userns_to_host (l->uid_mappings, l->uid_mappings_len, p->user->uid) < 0)
        return hako_error_set (err, 0, "process.user.uid: %u is not mapped by linux.uidMappings", p->user->uid);
      if (hako_userns_to_host (l->gid_mappings, l->gid_mappings_len, p->user->gid) < 0)
        return hako_error_set (err, 0, "process.user.gid: %u is not mapped by linux.gidMappings", p->user->gid);
      for (size_t i = 0; i < p->user->additional_gids_len; i++)
        if (hako_userns_to_host (l->gid_mappings, l->gid_mappings_len, p->user->additional_gids[i]) < 0)
          return hako_error_set (err, 0, "process.user.additionalGids[%zu]: %u is not mapped by linux.gidMappings", i,
                                 p->user->additional_gids[i]);
    }
  if (p && hako_exec_plan_init (&init->exec, p, config->linux, hako_state_root (ctx), false, err) < 0)
    return -1;
  init->exec.preserve_fds = o->preserve_fds;
  init->exec.in_userns = init->ns.create[HAKO_NS_USER] || init->ns.join_fd[HAKO_NS_USER] >= 0;
  /* setgroups is denied in a user namespace we make only when we write
     its gid map ourselves without privilege; one joined by path, as an
     unprivileged user, is taken to deny it.  */
  init->exec.setgroups_allowed = ! init->exec.in_userns || geteuid () == 0
                                 || (init->ns.create[HAKO_NS_USER] && ! hako_userns_denies_setgroups (config->linux));
  if (hako_preserve_fds_check (o->preserve_fds, &init->exec, err) < 0)
    return -1;
  bool other_joins = false;
  for (int t = 0; t < HAKO_NS_COUNT; t++)
    if (t != HAKO_NS_USER && t != HAKO_NS_PID && t != HAKO_NS_TIME && init->ns.join_fd[t] >= 0)
      other_joins = true;
  init->late_userns = init->ns.join_fd[HAKO_NS_USER] >= 0 || (init->ns.create[HAKO_NS_USER] && other_joins);
  init->parent_hooks = config->hooks
                       && (has_hooks (config->hooks->prestart, config->hooks->prestart_len)
                           || has_hooks (config->hooks->create_runtime, config->hooks->create_runtime_len));
  if (o->console_socket && (init->console_fd = hako_console_socket_connect (o->console_socket, err)) < 0)
    return -1;

  /* 2. Claim the id.  From here on, failures undo what exists.  */
  if (hako_state_claim (hako_state_root (ctx), o->id, &r->dir, err) < 0)
    return -1;
  r->rec = record_new (o->id, r->bundle, ctx);
  r->rec->new_pid_namespace = init->ns.create[HAKO_NS_PID];
  r->rec->has_new_pid_namespace = true;
  /* The marker makes state say "creating" until the init is ready.  */
  int rc = 0, mfd = openat (r->dir->dirfd, HAKO_CREATING_FILE, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (mfd < 0)
    rc = hako_error_sys (err, "create `%s/%s`", r->dir->path, HAKO_CREATING_FILE);
  else
    close (mfd);
  if (rc == 0)
    rc = hako_state_write_file (r->dir, HAKO_CONFIG_FILE, r->bundle->config_json, r->bundle->config_len, err);
  if (rc == 0)
    crash_point ("after-claim");

  /* 3. The cgroup, with its limits, before the child exists.  */
  if (rc == 0)
    {
      struct hako_cgroup_request req = {
        .id = o->id,
        .cgroups_path = config->linux ? config->linux->cgroups_path : NULL,
        .resources = config->linux ? config->linux->resources : NULL,
        .systemd = ctx->systemd_cgroup,
        .disabled = ctx->no_cgroups,
        .rootless = r->rec->rootless,
        .config = config,
        .owner_uid = (uid_t) -1,
      };
      rc = hako_cgroup_create (&req, &r->rec->cgroup, err);
    }
  /* The record right after the cgroup exists, so that a crash from here
     on leaves what delete --force needs to remove it.  */
  if (rc == 0)
    rc = hako_state_write (r->dir, r->rec, err);
  if (rc == 0)
    crash_point ("after-cgroup");
  init->cgroup = r->rec->cgroup;
  init->state_dirfd = r->dir ? r->dir->dirfd : -1;
  if (rc == 0 && ! run_mode)
    {
      init->start_fd = listen_start_socket (r->dir, err);
      rc = init->start_fd < 0 ? -1 : 0;
    }
  int pair[2] = { -1, -1 };
  if (rc == 0 && socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
    rc = hako_error_sys (err, "socketpair");
  /* Id-mapped bind mounts need the host's rights: made here, attached by the init.  */
  if (rc == 0)
    rc = hako_mount_trees_prepare (config, r->bundle->bundle, &init->mount_trees, err);
  if (rc == 0)
    {
      init->sync_fd = pair[1];
      init->parent_fd = pair[0];
      r->sync_fd = pair[0];
      /* 4. The init.  */
      rc = hako_init_spawn (init, &r->pid, err);
      close (pair[1]);
      init->sync_fd = -1;
    }
  hako_mount_trees_free (init->mount_trees, config->mounts_len);
  init->mount_trees = NULL;
  if (rc == 0)
    crash_point ("after-spawn");
  if (rc == 0)
    rc = drive_init (r, err);
  if (rc == 0)
    crash_point ("after-ready");
  if (rc == 0 && o->pid_file)
    rc = write_pid_file (o->pid_file, r->pid, err);
  if (rc == 0 && unlinkat (r->dir->dirfd, HAKO_CREATING_FILE, 0) < 0)
    rc = hako_error_sys (err, "remove `%s/%s`", r->dir->path, HAKO_CREATING_FILE);
  if (rc < 0)
    {
      if (r->pid > 0 && r->rec->pid > 0 && r->rec->pid != r->pid)
        kill (r->rec->pid, SIGKILL);
      undo_create (r->dir, r->rec, r->pid);
      return -1;
    }
  return 0;
}

int
hako_container_create (hako_context_t *ctx, const struct hako_create_options *opts, hako_error_t **err)
{
  struct create_result r;
  int rc = do_create (ctx, opts, false, false, &r, err);
  create_result_clear (&r);
  return rc;
}

/* ------------------------------------------------------------------ start */

/* After START: wait until the init has exec'd (the socket closes on
   execve) or failed; forward a seccomp notify descriptor if one comes.  */
static int
wait_exec (int sock, const hako_st_record *rec, const hako_spec_config *config, const char *state, hako_error_t **err)
{
  for (;;)
    {
      hako_sync_msg_t msg;
      int rr = hako_sync_recv (sock, &msg, err);
      if (rr < 0)
        return -1;
      /* EOF: the socket closed on execve.  A failure before it sends
         ERROR first; a process that ran and exited at once (/bin/true)
         must not read as a failure, so liveness is not checked here.  */
      if (rr == 1)
        return 0;
      if (msg.type == SYNC_ERROR)
        {
          hako_error_set (err, 0, "%s", msg.data);
          hako_sync_msg_clear (&msg);
          return -1;
        }
      if (msg.type == SYNC_SECCOMP_FD)
        {
          const hako_spec_seccomp *s = config->linux ? config->linux->seccomp : NULL;
          int r = hako_seccomp_notify_send (s ? s->listener_path : NULL, s ? s->listener_metadata : NULL, state,
                                            (pid_t) rec->pid, msg.fd, err);
          hako_sync_msg_clear (&msg);
          if (r < 0)
            return -1;
          continue;
        }
      hako_sync_msg_clear (&msg);
    }
}

static int
run_poststart (hako_st_record *rec, const hako_spec_config *config, hako_error_t **err)
{
  if (config->hooks == NULL || config->hooks->poststart_len == 0)
    return 0;
  cleanup_free char *state = hako_state_json (rec, HAKO_STATUS_RUNNING, false);
  if (hako_hooks_run (config->hooks->poststart, config->hooks->poststart_len, "poststart", state, err) < 0)
    {
      /* runtime-spec 1.3: a failed poststart stops the container.  */
      if (rec->cgroup)
        hako_cgroup_kill (rec->cgroup, SIGKILL, NULL);
      kill ((pid_t) rec->pid, SIGKILL);
      return -1;
    }
  return 0;
}

int
hako_container_start (hako_context_t *ctx, const char *id, hako_error_t **err)
{
  cleanup_container_dir hako_container_dir_t *d = NULL;
  if (hako_state_open (hako_state_root (ctx), id, true, &d, err) < 0)
    return -1;
  hako_st_record *rec = NULL;
  if (hako_state_read (d, &rec, err) < 0)
    return -1;
  hako_spec_config *config = NULL;
  int rc = 0;
  enum hako_status st = hako_state_status (d, rec);
  if (st != HAKO_STATUS_CREATED)
    rc = hako_error_set (err, 0, "cannot start a container that is %s", hako_status_name (st));
  if (rc == 0)
    {
      config = hako_state_config (d, err);
      if (config == NULL)
        rc = -1;
    }
  cleanup_close int sock = -1;
  if (rc == 0)
    {
      sock = hako_connect_start_socket (d, err);
      rc = sock < 0 ? -1 : 0;
    }
  /* The socket file marks the created state: it goes once the init has
     our connection, before START, so that the init running the process
     never reads as created (and a start that dies here leaves an init
     that exits on EOF: stopped).  */
  if (rc == 0)
    unlinkat (d->dirfd, HAKO_START_SOCKET, 0);
  cleanup_free char *state = hako_state_json (rec, HAKO_STATUS_CREATED, false);
  if (rc == 0)
    rc = hako_sync_send (sock, SYNC_START, state, strlen (state), -1, err);
  if (rc == 0)
    {
      crash_point ("after-start-request");
      rc = wait_exec (sock, rec, config, state, err);
    }
  if (rc == 0)
    rc = run_poststart (rec, config, err);
  hako_spec_config_free (config);
  hako_st_record_free (rec);
  return rc;
}

/* ------------------------------------------------------------------ kill */

static int
pidfd_open_ (pid_t pid)
{
  return (int) syscall (SYS_pidfd_open, pid, 0);
}

/* Signal the init through a pidfd, after checking that the pid is still
   the init's (its start time), so that a recycled pid is never hit.  */
int
hako_signal_init (const hako_st_record *rec, int sig, hako_error_t **err)
{
  cleanup_close int pfd = pidfd_open_ ((pid_t) rec->pid);
  if (pfd < 0 || ! hako_process_alive ((pid_t) rec->pid, rec->pid_start))
    return hako_error_set (err, ESRCH, "container not running");
  if (syscall (SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
    return hako_error_sys (err, "send signal %d to the container", sig);
  return 0;
}

int
hako_container_kill (hako_context_t *ctx, const char *id, int sig, bool all, hako_error_t **err)
{
  cleanup_container_dir hako_container_dir_t *d = NULL;
  if (hako_state_open (hako_state_root (ctx), id, false, &d, err) < 0)
    return -1;
  hako_st_record *rec = NULL;
  if (hako_state_read (d, &rec, err) < 0)
    return -1;
  int rc = 0;
  enum hako_status st = hako_state_status (d, rec);
  if (st == HAKO_STATUS_STOPPED || st == HAKO_STATUS_CREATING)
    rc = hako_error_set (err, ESRCH, "container not running");
  else if (all && rec->cgroup)
    rc = hako_cgroup_kill (rec->cgroup, sig, err);
  else
    rc = hako_signal_init (rec, sig, err);
  /* A frozen process cannot die: thaw after SIGKILL, as runc does.  */
  if (rc == 0 && st == HAKO_STATUS_PAUSED && sig == SIGKILL && rec->cgroup)
    hako_cgroup_freeze (rec->cgroup, false, NULL);
  hako_st_record_free (rec);
  return rc;
}

/* ------------------------------------------------------------------ delete */

/* Wait until the init is gone, up to TIMEOUT_MS.  */
static bool
wait_gone (const hako_st_record *rec, int timeout_ms)
{
  cleanup_close int pfd = pidfd_open_ ((pid_t) rec->pid);
  if (pfd < 0)
    return true;
  if (! hako_process_alive ((pid_t) rec->pid, rec->pid_start))
    return true;
  struct pollfd p = { pfd, POLLIN, 0 };
  return poll (&p, 1, timeout_ms) > 0;
}

static int
stop_everything (hako_st_record *rec, hako_error_t **err)
{
  if (rec->pid > 0 && hako_process_alive ((pid_t) rec->pid, rec->pid_start))
    {
      if (rec->cgroup)
        {
          hako_cgroup_kill (rec->cgroup, SIGKILL, NULL);
          hako_cgroup_freeze (rec->cgroup, false, NULL);
        }
      hako_signal_init (rec, SIGKILL, NULL);
      if (! wait_gone (rec, 10000))
        return hako_error_set (err, ETIMEDOUT, "the container's init did not exit after SIGKILL");
    }
  if (rec->cgroup)
    {
      /* Without a pid namespace other processes outlive the init.  */
      for (int i = 0; i < 500; i++)
        {
          pid_t *pids = NULL;
          size_t n = 0;
          hako_cgroup_pids (rec->cgroup, &pids, &n, NULL);
          free (pids);
          if (n == 0)
            break;
          hako_cgroup_kill (rec->cgroup, SIGKILL, NULL);
          usleep (2000);
        }
    }
  return 0;
}

int
hako_delete_record (hako_container_dir_t *d, hako_st_record *rec, hako_error_t **err)
{
  if (stop_everything (rec, err) < 0)
    return -1;
  if (rec->cgroup && hako_cgroup_destroy (rec->cgroup, err) < 0)
    return -1;
  /* poststop: after the container is gone, before delete returns; a
     failure is a warning (runtime.md).  */
  hako_spec_config *config = hako_state_config (d, NULL);
  if (config && config->hooks && config->hooks->poststop_len)
    {
      cleanup_free char *state = hako_state_json (rec, HAKO_STATUS_STOPPED, false);
      hako_hooks_run_warn (config->hooks->poststop, config->hooks->poststop_len, "poststop", state);
    }
  hako_spec_config_free (config);
  return hako_state_remove (d, err);
}

/* A create killed between making its cgroup and recording it leaves no
   state.json: the cgroup it would have made is found from the config
   copy.  */
static void
forget_unrecorded_cgroup (hako_context_t *ctx, hako_container_dir_t *d, const char *id)
{
  hako_spec_config *config = hako_state_config (d, NULL);
  if (config == NULL)
    return;
  struct hako_cgroup_request req = {
    .id = id,
    .cgroups_path = config->linux ? config->linux->cgroups_path : NULL,
    .systemd = ctx->systemd_cgroup,
    .disabled = ctx->no_cgroups,
  };
  hako_cgroup_remove_unrecorded (&req);
  hako_spec_config_free (config);
}

int
hako_container_delete (hako_context_t *ctx, const char *id, bool force, hako_error_t **err)
{
  cleanup_container_dir hako_container_dir_t *d = NULL;
  if (hako_state_open (hako_state_root (ctx), id, true, &d, err) < 0)
    {
      /* containerd deletes with --force what may be gone already.  */
      if (force && err && *err && (*err)->status == ENOENT)
        {
          hako_error_free (*err);
          *err = NULL;
          return 0;
        }
      return -1;
    }
  hako_st_record *rec = NULL;
  if (hako_state_read (d, &rec, err) < 0)
    {
      if (! force)
        {
          hako_error_prefix (err, "a failed create left this container; use delete --force");
          return -1;
        }
      hako_error_free (*err);
      *err = NULL;
      forget_unrecorded_cgroup (ctx, d, id);
      return hako_state_remove (d, err);
    }
  int rc = 0;
  enum hako_status st = hako_state_status (d, rec);
  if (! force && (st == HAKO_STATUS_RUNNING || st == HAKO_STATUS_PAUSED))
    rc = hako_error_set (err, 0, "cannot delete container %s that is not stopped: %s", id, hako_status_name (st));
  if (rc == 0)
    rc = hako_delete_record (d, rec, err);
  hako_st_record_free (rec);
  return rc;
}

/* ------------------------------------------------------------------ run */

static int
wait_status (pid_t pid, int *status)
{
  int ws;
  while (waitpid (pid, &ws, 0) < 0)
    if (errno != EINTR)
      return -1;
  *status = WIFEXITED (ws) ? WEXITSTATUS (ws) : WIFSIGNALED (ws) ? 128 + WTERMSIG (ws) : 1;
  return 0;
}

/* The foreground: forward signals to the init, relay the terminal, reap
   orphans (we are a subreaper), until the init exits.  */
static int
foreground_wait (pid_t init_pid, struct hako_relay *relay, int sigfd, int *status)
{
  int rc = -1;
  for (;;)
    {
      struct signalfd_siginfo si;
      bool got_signal;
      if (relay)
        got_signal = hako_relay_step (relay, sigfd, -1) == 1;
      else
        {
          struct pollfd p = { sigfd, POLLIN, 0 };
          got_signal = poll (&p, 1, -1) > 0;
        }
      if (! got_signal)
        continue;
      if (read (sigfd, &si, sizeof si) != sizeof si)
        continue;
      if (si.ssi_signo == SIGCHLD)
        {
          int ws;
          pid_t w;
          bool done = false;
          while ((w = waitpid (-1, &ws, WNOHANG)) > 0)
            if (w == init_pid)
              {
                *status = WIFEXITED (ws) ? WEXITSTATUS (ws) : WIFSIGNALED (ws) ? 128 + WTERMSIG (ws) : 1;
                done = true;
              }
          if (done)
            {
              rc = 0;
              break;
            }
          continue;
        }
      if (si.ssi_signo == SIGWINCH && relay)
        {
          hako_relay_resize (relay);
          continue;
        }
      kill (init_pid, (int) si.ssi_signo);
    }
  return rc;
}

int
hako_container_run (hako_context_t *ctx, const struct hako_create_options *o, int *status, hako_error_t **err)
{
  bool foreground = ! o->detach;
  /* Signals for the container are held from before the clone; the init
     resets its mask before execve.  */
  sigset_t all, old;
  sigfillset (&all);
  sigdelset (&all, SIGSEGV);
  sigdelset (&all, SIGBUS);
  sigdelset (&all, SIGILL);
  sigdelset (&all, SIGFPE);
  if (foreground)
    {
      sigprocmask (SIG_BLOCK, &all, &old);
      if (! o->no_subreaper)
        prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
  struct create_result r;
  int rc = do_create (ctx, o, true, foreground, &r, err);
  cleanup_close int sigfd = -1;
  if (rc == 0 && foreground)
    {
      sigfd = signalfd (-1, &all, SFD_CLOEXEC);
      if (sigfd < 0)
        rc = hako_error_sys (err, "signalfd");
    }
  /* The terminal in raw mode and its size on the pty before the process
     starts (the relay's end drains the last output and restores it).  */
  struct hako_relay *relay = rc == 0 && foreground && r.console_master >= 0 ? hako_relay_new (r.console_master) : NULL;
  if (rc == 0)
    {
      cleanup_free char *state = hako_state_json (r.rec, HAKO_STATUS_CREATED, false);
      rc = hako_sync_send (r.sync_fd, SYNC_START, state, strlen (state), -1, err);
      if (rc == 0)
        rc = wait_exec (r.sync_fd, r.rec, r.bundle->config, state, err);
      if (rc == 0)
        rc = run_poststart (r.rec, r.bundle->config, err);
      if (rc < 0)
        undo_create (r.dir, r.rec, r.pid);
    }
  if (rc < 0)
    {
      hako_relay_free (relay);
      create_result_clear (&r);
      if (foreground)
        sigprocmask (SIG_SETMASK, &old, NULL);
      return -1;
    }
  /* Release the lock: the container is running and others may act on it. */
  flock (r.dir->dirfd, LOCK_UN);
  r.dir->locked = false;
  if (! foreground)
    {
      *status = 0;
      create_result_clear (&r);
      return 0;
    }
  close (r.sync_fd);
  r.sync_fd = -1;
  if (foreground_wait (r.pid, relay, sigfd, status) < 0)
    wait_status (r.pid, status);
  hako_relay_free (relay);
  if (! o->keep)
    {
      hako_error_t *derr = NULL;
      if (hako_state_lock (r.dir, &derr) == 0)
        {
          hako_st_record *rec = NULL;
          if (hako_state_read (r.dir, &rec, &derr) == 0)
            {
              hako_delete_record (r.dir, rec, &derr);
              hako_st_record_free (rec);
            }
        }
      if (derr)
        {
          hako_warn ("delete after run: %s", derr->msg);
          hako_error_free (derr);
        }
    }
  create_result_clear (&r);
  sigprocmask (SIG_SETMASK, &old, NULL);
  return 0;
}
