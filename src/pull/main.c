/* SPDX-License-Identifier: Apache-2.0 */
/* hako-pull: the command line, and the only place that prints errors and
   exits.  A pull is a flat list of steps; the order matters because a
   failed pull must leave nothing: the bundle is built in a sibling
   temporary directory and renamed into place last, and downloaded blobs
   enter the cache only after the bundle is complete.  */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "pull.h"

#define DEFAULT_CACHE "/var/lib/hako"

volatile sig_atomic_t pull_interrupted;
volatile sig_atomic_t pull_cancelled;

static void
on_signal (int sig)
{
  pull_interrupted = sig;
}

static void
usage (FILE *out)
{
  fprintf (out, "Usage: hako-pull [options] IMAGE BUNDLE [-- ARGS...]\n"
                "       hako-pull images [--cache DIR] [--format table|json]\n"
                "       hako-pull rmi [--cache DIR] IMAGE...\n"
                "       hako-pull prune [--cache DIR] [-q]\n\n"
                "Fetch IMAGE and write BUNDLE/rootfs and BUNDLE/config.json for `hako run -b BUNDLE`.\n"
                "ARGS replace the image's Cmd.\n\n"
                "IMAGE: busybox, alpine:3.19, hashicorp/http-echo, localhost:5000/team/app:tag,\n"
                "       NAME@sha256:DIGEST, docker://NAME, oci:DIR[:TAG], oci-archive:FILE[:TAG]\n\n"
                "Image options:\n"
                "  --cache DIR            blob cache (default " DEFAULT_CACHE ")\n"
                "  --pull POLICY          missing (default: use the cache when it has the image),\n"
                "                         always (ask the registry), never (cache only)\n"
                "  --platform OS/ARCH[/VARIANT]  the image of an index to use (default: this host's)\n"
                "  --creds USER:PASSWORD  registry credentials\n"
                "  --authfile FILE        credentials file (default: $REGISTRY_AUTH_FILE, then\n"
                "                         containers' auth.json, then ~/.docker/config.json)\n"
                "  --tls-verify=BOOL      check the registry's certificate (default true); false also\n"
                "                         allows plain HTTP (always allowed for localhost/127.0.0.1)\n"
                "  -q, --quiet            no progress bars (they appear only on a terminal anyway)\n\n"
                "Bundle options:\n"
                "  --hostname NAME        the container's hostname\n"
                "  -e, --env KEY=VALUE    set an environment variable (KEY alone: from this environment)\n"
                "  --cpus N               CPU quota in CPUs (e.g. 1.5)\n"
                "  -m, --memory SIZE      memory limit (e.g. 256m, 1g)\n"
                "  --pids-limit N         maximum number of processes\n"
                "  --read-only            read-only root file system\n"
                "  -t, --tty              give the process a terminal\n"
                "  --net MODE             none (default: own namespace with lo only), host, or bridge\n"
                "                         (hako-net hooks; see hako-pull(1))\n"
                "  -p, --publish HOST:CONTAINER[/tcp|udp]  publish a port (needs --net bridge)\n"
                "  --net-config FILE      hako-net configuration (default /etc/hako/net.json)\n\n"
                "  -h, --help             print this help\n"
                "  -v, --version          print the version\n");
}

static int
fail (hako_error_t *err)
{
  cleanup_free char *t = hako_error_text (err);
  fprintf (stderr, "hako-pull: %s\n", t);
  hako_error_free (err);
  return 1;
}

static int __attribute__ ((format (printf, 1, 2))) bad_usage (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  fprintf (stderr, "hako-pull: ");
  vfprintf (stderr, fmt, ap);
  fprintf (stderr, "\nTry `hako-pull --help`.\n");
  va_end (ap);
  return 2;
}

static const char *
cache_dir (const char *opt)
{
  if (opt)
    return opt;
  return DEFAULT_CACHE;
}

/* ------------------------------------------------------------ images, rmi, prune */

static int
cmd_admin (const char *cmd, int argc, char **argv)
{
  static const struct option longopts[] = {
    { "cache", required_argument, NULL, 'c' },
    { "format", required_argument, NULL, 'f' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *cache = NULL, *format = "table";
  bool quiet = false;
  int c;
  optind = 1;
  while ((c = getopt_long (argc, argv, "+qh", longopts, NULL)) != -1)
    switch (c)
      {
      case 'c':
        cache = optarg;
        break;
      case 'f':
        format = optarg;
        break;
      case 'q':
        quiet = true;
        break;
      case 'h':
        usage (stdout);
        return 0;
      default:
        return 2;
      }
  bool is_images = strcmp (cmd, "images") == 0;
  if (! is_images && strcmp (format, "table") != 0)
    return bad_usage ("--format is an option of `images` only");
  if (quiet && strcmp (cmd, "prune") != 0)
    return bad_usage ("--quiet is an option of `prune` only");
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return bad_usage ("--format `%s`: expected table or json", format);
  if (strcmp (cmd, "rmi") == 0 && optind >= argc)
    return bad_usage ("rmi: name at least one IMAGE");
  if (strcmp (cmd, "rmi") != 0 && optind < argc)
    return bad_usage ("unexpected argument `%s`", argv[optind]);

  hako_error_t *err = NULL;
  pull_cache_t *pc = NULL;
  /* Listing shares the lock with pulls; removing waits for them.  */
  int ret = cache_open (cache_dir (cache), ! is_images, &pc, &err);
  if (ret == 0)
    {
      if (is_images)
        ret = cache_list (pc, strcmp (format, "json") == 0, stdout, &err);
      else if (strcmp (cmd, "rmi") == 0)
        ret = cache_rmi (pc, argv + optind, (size_t) (argc - optind), &err);
      else
        ret = cache_prune (pc, quiet, &err);
    }
  cache_close (pc);
  return ret < 0 ? fail (err) : 0;
}

/* ------------------------------------------------------------ pull */

/* BUNDLE must not exist, or be an empty directory (which is replaced).  */
static int
check_bundle (const char *bundle, hako_error_t **err)
{
  struct stat st;
  if (lstat (bundle, &st) < 0)
    {
      if (errno != ENOENT)
        return hako_error_sys (err, "bundle `%s`", bundle);
      return 0;
    }
  if (! S_ISDIR (st.st_mode))
    return hako_error_set (err, 0, "bundle `%s` exists and is not a directory", bundle);
  cleanup_dir DIR *d = opendir (bundle);
  if (d == NULL)
    return hako_error_sys (err, "bundle `%s`", bundle);
  struct dirent *de;
  while ((de = readdir (d)))
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      return hako_error_set (err, 0, "bundle `%s` exists and is not empty", bundle);
  return 0;
}

typedef struct pull_job
{
  const char *image;
  const char *bundle;
  pull_opts_t o;
  bundle_opts_t b;
} pull_job_t;

static int
unpack_all (const pull_image_t *img, pull_cache_t *cache, int rootfd, bool progress, hako_error_t **err)
{
  unpack_stats_t st = { 0 };
  for (size_t i = 0; i < img->manifest->layers_len; i++)
    if (unpack_layer (rootfd, img->blob_paths[i], img->manifest->layers[i], &img->streams[img->stream_of[i]], progress,
                      &st, err)
        < 0)
      {
        /* A damaged cached blob goes, so that the next pull fetches it.  */
        size_t cl = strlen (cache->dir);
        const char *p = img->blob_paths[i];
        if (st.blob_damaged && strncmp (p, cache->dir, cl) == 0 && strncmp (p + cl, "/blobs/", 7) == 0
            && unlink (p) == 0)
          hako_error_prefix (err, "cache `%s` (blob removed; pull again)", cache->dir);
        return -1;
      }
  if (st.skipped_devices)
    fprintf (stderr, "hako-pull: warning: %llu device nodes not made (only root can make them)\n",
             (unsigned long long) st.skipped_devices);
  return 0;
}

typedef struct unpack_job
{
  const pull_image_t *img;
  pull_cache_t *cache;
  int rootfd;
  bool progress;
  hako_error_t *err;
  int ret;
} unpack_job_t;

static void *
unpack_thread (void *arg)
{
  unpack_job_t *u = arg;
  u->ret = unpack_all (u->img, u->cache, u->rootfd, u->progress, &u->err);
  if (u->ret < 0)
    pull_cancelled = 1; /* the downloads stop */
  return NULL;
}

/* Layers are unpacked (in a thread) while they download: each layer's
   bytes are read from its staged file as they arrive.  The first failure
   stops the other side and is the one reported.  */
static int
download_and_unpack (pull_image_t *img, pull_cache_t *cache, int rootfd, const pull_opts_t *o, hako_error_t **err)
{
  if (img->n_pending == 0)
    return unpack_all (img, cache, rootfd, o->progress, err);
  unpack_job_t u = { .img = img, .cache = cache, .rootfd = rootfd, .progress = o->progress };
  pthread_t t;
  int e = pthread_create (&t, NULL, unpack_thread, &u);
  if (e != 0)
    return hako_error_set (err, e, "pthread_create");
  hako_error_t *derr = NULL;
  int dret = image_download (img, o, &derr);
  pthread_join (t, NULL);
  if (u.ret < 0 && (dret == 0 || derr->status == ECANCELED))
    {
      hako_error_free (derr);
      *err = u.err;
      return -1;
    }
  hako_error_free (u.err);
  if (dret < 0)
    *err = derr;
  return dret;
}

static int
do_pull (pull_job_t *j, hako_error_t **err)
{
  cleanup_ref pull_ref_t *ref = NULL;
  if (bundle_check_opts (&j->b, err) < 0 || pull_ref_parse (j->image, &ref, err) < 0
      || check_bundle (j->bundle, err) < 0)
    return -1;

  /* The temporary bundle beside the final one (same file system).  */
  cleanup_free char *bdir = hako_xstrdup (j->bundle);
  size_t bl = strlen (bdir);
  while (bl > 1 && bdir[bl - 1] == '/')
    bdir[--bl] = '\0';
  char *slash = strrchr (bdir, '/');
  cleanup_free char *parent = slash
                                  ? (slash == bdir ? hako_xstrdup ("/") : hako_xstrndup (bdir, (size_t) (slash - bdir)))
                                  : hako_xstrdup (".");
  const char *base = slash ? slash + 1 : bdir;
  cleanup_close int pfd = open (parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (pfd < 0)
    return hako_error_sys (err, "bundle directory `%s`", parent);

  pull_cache_t *cache = NULL;
  pull_image_t *img = NULL;
  int ret = cache_open (cache_dir (j->o.cache_dir), false, &cache, err);
  if (ret == 0)
    ret = image_fetch (ref, &j->o, cache, &img, err);

  cleanup_free char *tmpl = hako_strdup_printf ("%s/.%s.hako-pull-XXXXXX", parent, base);
  bool made = false;
  if (ret == 0)
    {
      if (mkdtemp (tmpl) == NULL)
        ret = hako_error_sys (err, "create `%s`", tmpl);
      else
        made = true;
    }
  const char *tmpbase = strrchr (tmpl, '/') + 1;
  cleanup_close int bfd = -1;
  cleanup_close int rootfd = -1;
  if (ret == 0)
    {
      bfd = openat (pfd, tmpbase, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (bfd < 0 || mkdirat (bfd, "rootfs", 0755) < 0
          || (rootfd = openat (bfd, "rootfs", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        ret = hako_error_sys (err, "create `%s/rootfs`", tmpl);
    }
  if (ret == 0)
    ret = download_and_unpack (img, cache, rootfd, &j->o, err);
  if (ret == 0)
    ret = bundle_write_config (bfd, rootfd, img, &j->b, err);
  if (ret == 0)
    ret = image_commit (ref, cache, img, err);
  if (ret == 0 && renameat (pfd, tmpbase, pfd, base) < 0)
    ret = hako_error_sys (err, "rename `%s` to `%s`", tmpl, j->bundle);
  if (ret == 0)
    made = false;
  if (made)
    {
      hako_error_t *e = NULL;
      if (pull_remove_tree_at (pfd, tmpbase, &e) < 0)
        {
          cleanup_free char *t = hako_error_text (e);
          fprintf (stderr, "hako-pull: cleaning up `%s`: %s\n", tmpl, t);
        }
      hako_error_free (e);
    }
  image_free (img);
  cache_close (cache);
  if (ret == 0 && j->o.progress)
    fprintf (stderr, "bundle %s ready: hako run -b %s ID\n", j->bundle, j->bundle);
  return ret;
}

static int
parse_bool (const char *s, bool *out)
{
  if (strcmp (s, "true") == 0 || strcmp (s, "1") == 0)
    *out = true;
  else if (strcmp (s, "false") == 0 || strcmp (s, "0") == 0)
    *out = false;
  else
    return -1;
  return 0;
}

enum
{
  O_CACHE = 256,
  O_CREDS,
  O_AUTHFILE,
  O_TLS,
  O_PLATFORM,
  O_PULL,
  O_HOSTNAME,
  O_CPUS,
  O_PIDS,
  O_READONLY,
  O_NET,
  O_NETCONF,
};

static int
cmd_pull (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "cache", required_argument, NULL, O_CACHE },
    { "creds", required_argument, NULL, O_CREDS },
    { "authfile", required_argument, NULL, O_AUTHFILE },
    { "tls-verify", optional_argument, NULL, O_TLS },
    { "platform", required_argument, NULL, O_PLATFORM },
    { "pull", required_argument, NULL, O_PULL },
    { "quiet", no_argument, NULL, 'q' },
    { "hostname", required_argument, NULL, O_HOSTNAME },
    { "env", required_argument, NULL, 'e' },
    { "cpus", required_argument, NULL, O_CPUS },
    { "memory", required_argument, NULL, 'm' },
    { "pids-limit", required_argument, NULL, O_PIDS },
    { "read-only", no_argument, NULL, O_READONLY },
    { "tty", no_argument, NULL, 't' },
    { "net", required_argument, NULL, O_NET },
    { "publish", required_argument, NULL, 'p' },
    { "net-config", required_argument, NULL, O_NETCONF },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'v' },
    { NULL, 0, NULL, 0 },
  };
  /* Everything after the first `--` is the command.  */
  int nopts = argc;
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--") == 0)
      {
        nopts = i;
        break;
      }
  pull_job_t j = { 0 };
  j.o.tls_verify = true;
  j.o.policy = "missing";
  cleanup_strv char **env = NULL;
  cleanup_strv char **publish = NULL;
  size_t n_env = 0, n_publish = 0;
  int c;
  hako_error_t *err = NULL;
  while ((c = getopt_long (nopts, argv, "qe:m:tp:hv", longopts, NULL)) != -1)
    {
      switch (c)
        {
        case O_CACHE:
          j.o.cache_dir = optarg;
          break;
        case O_CREDS:
          j.o.creds = optarg;
          break;
        case O_AUTHFILE:
          j.o.auth_file = optarg;
          break;
        case O_TLS:
          if (optarg && parse_bool (optarg, &j.o.tls_verify) < 0)
            return bad_usage ("--tls-verify `%s`: expected true or false", optarg);
          if (optarg == NULL)
            j.o.tls_verify = true;
          j.o.tls_verify_set = true;
          break;
        case O_PLATFORM:
          j.o.platform = optarg;
          break;
        case O_PULL:
          if (strcmp (optarg, "missing") != 0 && strcmp (optarg, "always") != 0 && strcmp (optarg, "never") != 0)
            return bad_usage ("--pull `%s`: expected missing, always or never", optarg);
          j.o.policy = optarg;
          break;
        case 'q':
          j.o.quiet = true;
          break;
        case O_HOSTNAME:
          j.b.hostname = optarg;
          break;
        case 'e':
          env = hako_xrealloc (env, (n_env + 2) * sizeof (char *));
          env[n_env++] = hako_xstrdup (optarg);
          env[n_env] = NULL;
          break;
        case O_CPUS:
          j.b.cpus = optarg;
          break;
        case 'm':
          j.b.memory = optarg;
          break;
        case O_PIDS:
          j.b.pids_limit = optarg;
          break;
        case O_READONLY:
          j.b.read_only = true;
          break;
        case 't':
          j.b.tty = true;
          break;
        case O_NET:
          j.b.net = optarg;
          break;
        case 'p':
          publish = hako_xrealloc (publish, (n_publish + 2) * sizeof (char *));
          publish[n_publish] = publish[n_publish + 1] = NULL;
          if (bundle_parse_publish (optarg, &publish[n_publish], &err) < 0)
            return fail (err);
          n_publish++;
          break;
        case O_NETCONF:
          j.b.net_config = optarg;
          break;
        case 'h':
          usage (stdout);
          return 0;
        case 'v':
          printf ("hako-pull version %s\ncommit: %s\n", PACKAGE_VERSION, HAKO_COMMIT);
          return 0;
        default:
          return 2;
        }
    }
  if (nopts - optind != 2)
    return bad_usage ("expected IMAGE and BUNDLE (and the command after `--`)");
  j.image = argv[optind];
  j.bundle = argv[optind + 1];
  j.b.env = env;
  j.b.n_env = n_env;
  j.b.publish = publish;
  j.b.n_publish = n_publish;
  if (nopts < argc)
    {
      j.b.args = argv + nopts + 1;
      j.b.n_args = (size_t) (argc - nopts - 1);
    }
  j.o.progress = ! j.o.quiet && isatty (STDERR_FILENO);
  return do_pull (&j, &err) < 0 ? fail (err) : 0;
}

int
main (int argc, char **argv)
{
  struct sigaction sa = { .sa_handler = on_signal };
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);
  umask (022);
  if (argc >= 2 && (strcmp (argv[1], "images") == 0 || strcmp (argv[1], "rmi") == 0 || strcmp (argv[1], "prune") == 0))
    return cmd_admin (argv[1], argc - 1, argv + 1);
  int ret = cmd_pull (argc, argv);
  if (pull_interrupted && ret != 0)
    return 128 + pull_interrupted;
  return ret;
}
