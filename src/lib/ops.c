/* SPDX-License-Identifier: Apache-2.0 */
/* The operations on an existing container that are not its lifecycle:
   list, ps, pause, resume, update, events; and --preserve-fds.  */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cleanup.h"
#include "container-internal.h"
#include "hako.h"
#include "log.h"
#include "spec.h"

int
hako_preserve_fds_check (int n, hako_exec_plan_t *plan, hako_error_t **err)
{
  if (n < 0)
    return hako_error_set (err, 0, "--preserve-fds: %d is negative", n);
  /* systemd socket activation: LISTEN_FDS meant for us are passed on. */
  int listen = 0;
  const char *lp = getenv ("LISTEN_PID"), *lf = getenv ("LISTEN_FDS");
  if (lp && lf && atoi (lp) == (int) getpid ())
    listen = atoi (lf);
  for (int fd = 3; fd < 3 + listen + n; fd++)
    if (fcntl (fd, F_GETFD) < 0)
      return hako_error_set (err, EBADF, "--preserve-fds: descriptor %d is not open", fd);
  plan->preserve_fds = listen + n;
  if (listen > 0 && plan->env)
    {
      plan->env = hako_xrealloc (plan->env, (plan->env_len + 4) * sizeof (char *));
      plan->env[plan->env_len++] = hako_strdup_printf ("LISTEN_FDS=%d", listen);
      plan->env[plan->env_len++] = hako_xstrdup ("LISTEN_PID=1");
      plan->env[plan->env_len] = NULL;
    }
  return 0;
}

static int
open_record (hako_context_t *ctx, const char *id, bool lock, hako_container_dir_t **d, hako_st_record **rec,
             enum hako_status *st, hako_error_t **err)
{
  if (hako_state_open (hako_state_root (ctx), id, lock, d, err) < 0)
    return -1;
  if (hako_state_read (*d, rec, err) < 0)
    return -1;
  *st = hako_state_status (*d, *rec);
  return 0;
}

int
hako_container_list (hako_context_t *ctx, struct hako_list_entry **entries, size_t *n, hako_error_t **err)
{
  *entries = NULL;
  *n = 0;
  const char *root = hako_state_root (ctx);
  cleanup_dir DIR *dir = opendir (root);
  if (dir == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return hako_error_sys (err, "open `%s`", root);
    }
  size_t cap = 0;
  struct dirent *de;
  while ((de = readdir (dir)) != NULL)
    {
      if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
        continue;
      hako_container_dir_t *d = NULL;
      hako_st_record *rec = NULL;
      enum hako_status st;
      hako_error_t *e = NULL;
      if (open_record (ctx, de->d_name, false, &d, &rec, &st, &e) < 0)
        {
          /* A create in progress or a leftover: show it, do not fail. */
          hako_error_free (e);
          if (d == NULL)
            continue;
          st = hako_state_lock_busy (d) ? HAKO_STATUS_CREATING : HAKO_STATUS_STOPPED;
        }
      if (*n == cap)
        *entries = hako_xrealloc (*entries, (cap = cap * 2 + 16) * sizeof (**entries));
      struct hako_list_entry *en = &(*entries)[(*n)++];
      memset (en, 0, sizeof (*en));
      en->id = hako_xstrdup (de->d_name);
      en->status = hako_xstrdup (hako_status_name (st));
      if (rec)
        {
          en->pid = st == HAKO_STATUS_STOPPED ? 0 : (pid_t) rec->pid;
          en->oci_version = hako_xstrdup (rec->oci_version);
          en->bundle = hako_xstrdup (rec->bundle);
          en->rootfs = hako_xstrdup (rec->rootfs ? rec->rootfs : "");
          en->created = hako_xstrdup (rec->created ? rec->created : "");
          en->owner = rec->owner;
          if (rec->annotations && rec->annotations->len)
            {
              yajl_gen g = hako_json_gen_new (0);
              yajl_gen_map_open (g);
              for (size_t i = 0; i < rec->annotations->len; i++)
                {
                  hako_json_gen_key (g, rec->annotations->keys[i]);
                  hako_json_gen_string (g, rec->annotations->values[i]);
                }
              yajl_gen_map_close (g);
              en->annotations_json = hako_json_gen_finish (g, NULL);
            }
        }
      else
        {
          en->bundle = hako_xstrdup ("");
          en->oci_version = hako_xstrdup ("");
          en->rootfs = hako_xstrdup ("");
          en->created = hako_xstrdup ("");
        }
      hako_st_record_free (rec);
      hako_state_close (d);
    }
  return 0;
}

void
hako_list_entries_free (struct hako_list_entry *e, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (e[i].id);
      free (e[i].status);
      free (e[i].bundle);
      free (e[i].rootfs);
      free (e[i].created);
      free (e[i].annotations_json);
      free (e[i].oci_version);
    }
  free (e);
}

int
hako_container_pids (hako_context_t *ctx, const char *id, pid_t **pids, size_t *n, hako_error_t **err)
{
  cleanup_container_dir hako_container_dir_t *d = NULL;
  hako_st_record *rec = NULL;
  enum hako_status st;
  *pids = NULL;
  *n = 0;
  if (open_record (ctx, id, false, &d, &rec, &st, err) < 0)
    {
      hako_st_record_free (rec);
      return -1;
    }
  int rc = 0;
  if (st == HAKO_STATUS_STOPPED)
    rc = hako_error_set (err, 0, "container `%s` is not running", id);
  else if (rec->cgroup)
    rc = hako_cgroup_pids (rec->cgroup, pids, n, err);
  else
    {
      *pids = hako_xcalloc (1, sizeof (pid_t));
      (*pids)[0] = (pid_t) rec->pid;
      *n = 1;
    }
  hako_st_record_free (rec);
  return rc;
}

static int
pause_resume (hako_context_t *ctx, const char *id, bool pause, hako_error_t **err)
{
  cleanup_container_dir hako_container_dir_t *d = NULL;
  hako_st_record *rec = NULL;
  enum hako_status st;
  if (open_record (ctx, id, true, &d, &rec, &st, err) < 0)
    {
      hako_st_record_free (rec);
      return -1;
    }
  int rc = 0;
  if (pause && st != HAKO_STATUS_RUNNING && st != HAKO_STATUS_CREATED)
    rc = hako_error_set (err, 0, "cannot pause a container that is %s", hako_status_name (st));
  else if (! pause && st != HAKO_STATUS_PAUSED)
    rc = hako_error_set (err, 0, "cannot resume a container that is %s", hako_status_name (st));
  else
    rc = hako_cgroup_freeze (rec->cgroup, pause, err);
  hako_st_record_free (rec);
  return rc;
}

int
hako_container_pause (hako_context_t *ctx, const char *id, hako_error_t **err)
{
  return pause_resume (ctx, id, true, err);
}

int
hako_container_resume (hako_context_t *ctx, const char *id, hako_error_t **err)
{
  return pause_resume (ctx, id, false, err);
}

int
hako_container_update (hako_context_t *ctx, const char *id, const char *json, size_t len, hako_error_t **err)
{
  cleanup_container_dir hako_container_dir_t *d = NULL;
  hako_st_record *rec = NULL;
  enum hako_status st;
  if (open_record (ctx, id, true, &d, &rec, &st, err) < 0)
    {
      hako_st_record_free (rec);
      return -1;
    }
  int rc = 0;
  hako_spec_linux_resources *r = NULL;
  if (st == HAKO_STATUS_STOPPED)
    rc = hako_error_set (err, 0, "cannot update a container that is stopped");
  else if (rec->cgroup == NULL)
    rc = hako_error_set (err, 0, "container `%s` has no cgroup to update", id);
  if (rc == 0)
    {
      r = hako_spec_resources_parse_data (json, len, "resources", err);
      if (r == NULL)
        rc = -1;
    }
  /* runc: an unlimited memory without a swap value frees swap too.  */
  if (rc == 0 && r->memory && r->memory->has_limit && r->memory->limit == -1 && ! r->memory->has_swap)
    {
      r->memory->swap = -1;
      r->memory->has_swap = true;
    }
  if (rc == 0)
    {
      enum hako_cgroup_layout l = strcmp (rec->cgroup->layout, "v2") == 0       ? HAKO_CGROUP_V2
                                  : strcmp (rec->cgroup->layout, "hybrid") == 0 ? HAKO_CGROUP_HYBRID
                                                                                : HAKO_CGROUP_V1;
      rc = hako_cgroup_validate (r, l, err);
    }
  if (rc == 0)
    rc = hako_cgroup_update (rec->cgroup, r, err);
  hako_spec_linux_resources_free (r);
  hako_st_record_free (rec);
  return rc;
}

/* One event line as runc prints it: {"type":…,"id":…[,"data":…]}.  */
static int
emit_event (int fd, const char *type, const char *id, const char *data, hako_error_t **err)
{
  yajl_gen g = hako_json_gen_new (0);
  yajl_gen_map_open (g);
  hako_json_gen_key (g, "type");
  hako_json_gen_string (g, type);
  hako_json_gen_key (g, "id");
  hako_json_gen_string (g, id);
  yajl_gen_map_close (g);
  size_t len = 0;
  cleanup_free char *head = hako_json_gen_finish (g, &len);
  head[len - 1] = '\0';
  cleanup_free char *line
      = data ? hako_strdup_printf ("%s,\"data\":%s}\n", head, data) : hako_strdup_printf ("%s}\n", head);
  size_t n = strlen (line);
  for (size_t off = 0; off < n;)
    {
      ssize_t w = write (fd, line + off, n - off);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return hako_error_sys (err, "write events");
      off += (size_t) w;
    }
  return 0;
}

static const char *
v1_memory_dir (const hako_st_cgroup *cg)
{
  for (size_t i = 0; cg->paths && i < cg->paths->len; i++)
    if (strstr (cg->paths->keys[i], "memory"))
      return cg->paths->values[i];
  return NULL;
}

/* A descriptor that becomes readable on an OOM in the container's memory
   cgroup: v1 an eventfd registered for memory.oom_control (also signalled
   when the cgroup goes away); v2 an inotify watch on memory.events, whose
   oom_kill count tells.  -1 when there is no memory cgroup.  */
static int
oom_watch (const hako_st_cgroup *cg, bool *v2)
{
  *v2 = strcmp (cg->layout, "v2") == 0;
  if (*v2)
    {
      int fd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
      cleanup_free char *f = hako_strdup_printf ("%s/memory.events", cg->unified_path);
      if (fd >= 0 && inotify_add_watch (fd, f, IN_MODIFY | IN_DELETE_SELF) < 0)
        {
          close (fd);
          fd = -1;
        }
      return fd;
    }
  const char *dir = v1_memory_dir (cg);
  if (dir == NULL)
    return -1;
  cleanup_free char *ctl = hako_strdup_printf ("%s/memory.oom_control", dir);
  cleanup_close int ofd = open (ctl, O_RDONLY | O_CLOEXEC);
  int efd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  char buf[64];
  snprintf (buf, sizeof buf, "%d %d", efd, ofd);
  if (ofd < 0 || efd < 0 || hako_cgroup_write (dir, "cgroup.event_control", buf, NULL) < 0)
    {
      if (efd >= 0)
        close (efd);
      return -1;
    }
  return efd;
}

static uint64_t
oom_kills (const hako_st_cgroup *cg)
{
  cleanup_free char *s = NULL;
  if (hako_cgroup_read (cg->unified_path, "memory.events", &s, NULL) < 0)
    return 0;
  const char *p = strstr (s, "oom_kill ");
  return p ? strtoull (p + 9, NULL, 10) : 0;
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* runc's events: with --stats one statistics event; otherwise a stats
   event every interval and an oom event on each OOM, until the container
   stops or its cgroup goes away.  */
int
hako_container_events (hako_context_t *ctx, const char *id, bool stats_only, unsigned interval_ms, int fd,
                       hako_error_t **err)
{
  cleanup_container_dir hako_container_dir_t *d = NULL;
  hako_st_record *rec = NULL;
  enum hako_status st;
  if (open_record (ctx, id, false, &d, &rec, &st, err) < 0)
    {
      hako_st_record_free (rec);
      return -1;
    }
  int rc = 0;
  if (st == HAKO_STATUS_STOPPED)
    rc = hako_error_set (err, 0, "container with id %s is not running", id);
  else if (rec->cgroup == NULL)
    rc = hako_error_set (err, 0, "container `%s` has no cgroup to report on", id);
  if (rc == 0 && stats_only)
    {
      cleanup_free char *stats = NULL;
      rc = hako_cgroup_stats_json (rec->cgroup, &stats, err);
      if (rc == 0)
        rc = emit_event (fd, "stats", id, stats, err);
    }
  if (rc < 0 || stats_only)
    {
      hako_st_record_free (rec);
      return rc;
    }
  bool v2 = false;
  cleanup_close int ofd = oom_watch (rec->cgroup, &v2);
  uint64_t kills = v2 ? oom_kills (rec->cgroup) : 0;
  int64_t next = now_ms () + interval_ms;
  while (rc == 0)
    {
      int64_t wait = next - now_ms ();
      struct pollfd p = { ofd, POLLIN, 0 };
      int n = poll (&p, ofd >= 0 ? 1 : 0, wait < 0 ? 0 : (int) wait);
      if (n < 0 && errno != EINTR)
        rc = hako_error_sys (err, "events: poll");
      else if (n > 0)
        {
          char buf[4096];
          while (read (ofd, buf, sizeof buf) > 0)
            ;
          bool gone = access (v2 ? rec->cgroup->unified_path : v1_memory_dir (rec->cgroup), F_OK) < 0;
          if (gone)
            break;
          uint64_t k = v2 ? oom_kills (rec->cgroup) : kills + 1;
          if (k > kills)
            rc = emit_event (fd, "oom", id, NULL, err);
          kills = k;
        }
      else if (n == 0)
        {
          next += interval_ms;
          if (hako_state_status (d, rec) == HAKO_STATUS_STOPPED)
            break;
          cleanup_free char *stats = NULL;
          hako_error_t *e = NULL;
          if (hako_cgroup_stats_json (rec->cgroup, &stats, &e) < 0)
            {
              /* The cgroup went away with the container.  */
              hako_error_free (e);
              break;
            }
          rc = emit_event (fd, "stats", id, stats, err);
        }
    }
  hako_st_record_free (rec);
  return rc;
}
