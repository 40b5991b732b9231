/* SPDX-License-Identifier: Apache-2.0 */
/* The blob cache: an OCI image layout (image-layout.md) under --cache
   (default /var/lib/hako), so skopeo and umoci can read it too:

     oci-layout, index.json     one manifest descriptor per pulled name,
                                annotated org.opencontainers.image.ref.name
     blobs/<algo>/<hex>         content-addressed, complete and verified
     staging/                   downloads in progress (removed by prune)
     gc.lock                    shared by every pull, exclusive for rmi and
                                prune: nothing is collected under a pull
     index.lock                 serializes updates of index.json

   A blob appears under blobs/ only by rename(2) of a file whose digest and
   size were checked, so concurrent pulls never see half a blob; two pulls
   fetching the same blob both rename the same bytes into place.  */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "pull.h"

#define REF_NAME "org.opencontainers.image.ref.name"
#define PULLED "io.hako.pulled"

static int
mkdir_p (const char *path, hako_error_t **err)
{
  cleanup_free char *p = hako_xstrdup (path);
  for (char *s = p + 1;; s++)
    {
      if (*s == '/' || *s == '\0')
        {
          char c = *s;
          *s = '\0';
          if (mkdir (p, 0700) < 0 && errno != EEXIST)
            return hako_error_sys (err, "mkdir `%s`", p);
          *s = c;
          if (c == '\0')
            return 0;
        }
    }
}

int
pull_write_all (int fd, const void *data, size_t len)
{
  const char *p = data;
  for (size_t off = 0; off < len;)
    {
      ssize_t w = write (fd, p + off, len - off);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return -1;
      off += (size_t) w;
    }
  return 0;
}

static int
write_file_at (int dirfd, const char *name, const char *data, size_t len, hako_error_t **err)
{
  cleanup_free char *tmp = hako_strdup_printf ("%s.%d.tmp", name, (int) getpid ());
  cleanup_close int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return hako_error_sys (err, "create `%s`", tmp);
  if (pull_write_all (fd, data, len) < 0)
    {
      int e = errno;
      unlinkat (dirfd, tmp, 0);
      return hako_error_set (err, e, "write `%s`", tmp);
    }
  if (fsync (fd) < 0 || renameat (dirfd, tmp, dirfd, name) < 0)
    {
      int e = errno;
      unlinkat (dirfd, tmp, 0);
      return hako_error_set (err, e, "write `%s`", name);
    }
  return 0;
}

int
cache_open (const char *dir, bool exclusive, pull_cache_t **out, hako_error_t **err)
{
  pull_cache_t *c = hako_xcalloc (1, sizeof (*c));
  c->dirfd = c->gc_lock_fd = -1;
  *out = c;
  if (dir[0] != '/')
    {
      cleanup_free char *cwd = getcwd (NULL, 0);
      c->dir = hako_strdup_printf ("%s/%s", cwd ? cwd : ".", dir);
    }
  else
    c->dir = hako_xstrdup (dir);
  cleanup_free char *blobs = hako_strdup_printf ("%s/blobs/sha256", c->dir);
  cleanup_free char *staging = hako_strdup_printf ("%s/staging", c->dir);
  if (mkdir_p (blobs, err) < 0 || mkdir_p (staging, err) < 0)
    {
      hako_error_prefix (err, "cache");
      return -1;
    }
  c->dirfd = open (c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (c->dirfd < 0)
    return hako_error_sys (err, "cache `%s`", c->dir);
  c->gc_lock_fd = openat (c->dirfd, "gc.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (c->gc_lock_fd < 0)
    return hako_error_sys (err, "cache `%s/gc.lock`", c->dir);
  if (flock (c->gc_lock_fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
    return hako_error_sys (err, "lock `%s/gc.lock`", c->dir);
  if (faccessat (c->dirfd, "oci-layout", F_OK, 0) < 0)
    {
      static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
      if (write_file_at (c->dirfd, "oci-layout", layout, sizeof layout - 1, err) < 0)
        return -1;
    }
  return 0;
}

void
cache_close (pull_cache_t *c)
{
  if (c == NULL)
    return;
  if (c->dirfd >= 0)
    close (c->dirfd);
  if (c->gc_lock_fd >= 0)
    close (c->gc_lock_fd);
  free (c->dir);
  free (c);
}

static char *
blob_rel (const char *digest)
{
  const char *colon = strchr (digest, ':');
  return hako_strdup_printf ("blobs/%.*s/%s", (int) (colon - digest), digest, colon + 1);
}

char *
cache_blob_path (pull_cache_t *c, const char *digest)
{
  cleanup_free char *rel = blob_rel (digest);
  if (faccessat (c->dirfd, rel, F_OK, 0) < 0)
    return NULL;
  return hako_strdup_printf ("%s/%s", c->dir, rel);
}

int
cache_stage_open (pull_cache_t *c, char **path, hako_error_t **err)
{
  char *p = hako_strdup_printf ("%s/staging/blob-XXXXXX", c->dir);
  int fd = mkostemp (p, O_CLOEXEC);
  if (fd < 0)
    {
      hako_error_sys (err, "create `%s`", p);
      free (p);
      return -1;
    }
  *path = p;
  return fd;
}

int
cache_commit_blob (pull_cache_t *c, const char *staged, const char *digest, hako_error_t **err)
{
  cleanup_free char *rel = blob_rel (digest);
  cleanup_free char *dir = hako_xstrdup (rel);
  *strrchr (dir, '/') = '\0';
  if (mkdirat (c->dirfd, dir, 0700) < 0 && errno != EEXIST)
    return hako_error_sys (err, "cache: mkdir `%s`", dir);
  if (chmod (staged, 0644) < 0 || renameat (AT_FDCWD, staged, c->dirfd, rel) < 0)
    return hako_error_sys (err, "cache: store %s", digest);
  return 0;
}

int
cache_put_blob (pull_cache_t *c, const char *digest, const char *data, size_t len, hako_error_t **err)
{
  cleanup_free char *rel = blob_rel (digest);
  if (faccessat (c->dirfd, rel, F_OK, 0) == 0)
    return 0;
  cleanup_free char *staged = NULL;
  cleanup_close int fd = cache_stage_open (c, &staged, err);
  if (fd < 0)
    return -1;
  if (pull_write_all (fd, data, len) < 0)
    {
      int e = errno;
      unlink (staged);
      return hako_error_set (err, e, "cache: write %s", digest);
    }
  if (cache_commit_blob (c, staged, digest, err) < 0)
    {
      unlink (staged);
      return -1;
    }
  return 0;
}

int
cache_read_blob (pull_cache_t *c, const char *digest, int64_t size, char **body, size_t *len, hako_error_t **err)
{
  cleanup_free char *rel = blob_rel (digest);
  cleanup_close int fd = openat (c->dirfd, rel, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return hako_error_sys (err, "cache: blob %s", digest);
  char *data = hako_json_read_fd (fd, rel, len, err);
  if (data == NULL)
    return -1;
  if (pull_verify_buffer ("cached blob", data, *len, digest, size, err) < 0)
    {
      /* A damaged blob is dropped, so the next pull fetches it again.  */
      unlinkat (c->dirfd, rel, 0);
      free (data);
      hako_error_prefix (err, "cache `%s` (removed; pull again)", c->dir);
      return -1;
    }
  *body = data;
  return 0;
}

/* The cache's index.json, or an empty index when there is none.  */
static hako_img_index *
read_index (pull_cache_t *c, hako_error_t **err)
{
  cleanup_free char *path = hako_strdup_printf ("%s/index.json", c->dir);
  if (access (path, F_OK) < 0 && errno == ENOENT)
    {
      hako_img_index *ix = hako_xcalloc (1, sizeof (*ix));
      ix->schema_version = 2;
      ix->media_type = hako_xstrdup (MT_OCI_INDEX);
      return ix;
    }
  return hako_img_index_parse_file (path, err);
}

static int
write_index (pull_cache_t *c, hako_img_index *ix, hako_error_t **err)
{
  size_t len = 0;
  cleanup_free char *json = hako_img_index_to_json (ix, 0, &len, err);
  if (json == NULL)
    return -1;
  return write_file_at (c->dirfd, "index.json", json, len, err);
}

static int
lock_index (pull_cache_t *c, hako_error_t **err)
{
  int fd = openat (c->dirfd, "index.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return hako_error_sys (err, "cache `%s/index.lock`", c->dir);
  if (flock (fd, LOCK_EX) < 0)
    {
      close (fd);
      return hako_error_sys (err, "lock `%s/index.lock`", c->dir);
    }
  return fd;
}

const char *
pull_annotation (const hako_img_descriptor *d, const char *key)
{
  if (d->annotations == NULL)
    return NULL;
  for (size_t i = 0; i < d->annotations->len; i++)
    if (strcmp (d->annotations->keys[i], key) == 0)
      return d->annotations->values[i];
  return NULL;
}

static const char *
ref_name_of (const hako_img_descriptor *d)
{
  return pull_annotation (d, REF_NAME);
}

static char *
now_rfc3339 (void)
{
  char buf[64];
  time_t t = time (NULL);
  struct tm tm;
  gmtime_r (&t, &tm);
  strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return hako_xstrdup (buf);
}

int
cache_tag (pull_cache_t *c, const char *name, const hako_img_descriptor *manifest, hako_error_t **err)
{
  cleanup_close int lock = lock_index (c, err);
  if (lock < 0)
    return -1;
  hako_img_index *ix = read_index (c, err);
  if (ix == NULL)
    return -1;
  size_t w = 0;
  for (size_t i = 0; i < ix->manifests_len; i++)
    {
      const char *n = ref_name_of (ix->manifests[i]);
      if (n && strcmp (n, name) == 0)
        hako_img_descriptor_free (ix->manifests[i]);
      else
        ix->manifests[w++] = ix->manifests[i];
    }
  ix->manifests = hako_xrealloc (ix->manifests, (w + 2) * sizeof (*ix->manifests));
  hako_img_descriptor *d = hako_xcalloc (1, sizeof (*d));
  d->media_type = hako_xstrdup (manifest->media_type);
  d->digest = hako_xstrdup (manifest->digest);
  d->size = manifest->size;
  d->annotations = hako_xcalloc (1, sizeof (*d->annotations));
  d->annotations->keys = hako_xcalloc (3, sizeof (char *));
  d->annotations->values = hako_xcalloc (3, sizeof (char *));
  d->annotations->keys[0] = hako_xstrdup (REF_NAME);
  d->annotations->values[0] = hako_xstrdup (name);
  d->annotations->keys[1] = hako_xstrdup (PULLED);
  d->annotations->values[1] = now_rfc3339 ();
  d->annotations->len = 2;
  if (manifest->platform)
    {
      d->platform = hako_xcalloc (1, sizeof (*d->platform));
      d->platform->os = hako_xstrdup (manifest->platform->os);
      d->platform->architecture = hako_xstrdup (manifest->platform->architecture);
      if (manifest->platform->variant)
        d->platform->variant = hako_xstrdup (manifest->platform->variant);
    }
  ix->manifests[w++] = d;
  ix->manifests_len = w;
  int ret = write_index (c, ix, err);
  hako_img_index_free (ix);
  return ret;
}

int
cache_lookup (pull_cache_t *c, const char *name, hako_img_descriptor **out, hako_error_t **err)
{
  *out = NULL;
  hako_img_index *ix = read_index (c, err);
  if (ix == NULL)
    return -1;
  for (size_t i = 0; i < ix->manifests_len; i++)
    {
      const char *n = ref_name_of (ix->manifests[i]);
      if (n && strcmp (n, name) == 0)
        {
          *out = ix->manifests[i];
          ix->manifests[i] = ix->manifests[--ix->manifests_len];
          break;
        }
    }
  hako_img_index_free (ix);
  return 0;
}

/* The manifest of an index entry, read from the cache (verified).  */
static hako_img_manifest *
entry_manifest (pull_cache_t *c, const hako_img_descriptor *d, hako_error_t **err)
{
  cleanup_free char *body = NULL;
  size_t len = 0;
  if (cache_read_blob (c, d->digest, d->size, &body, &len, err) < 0)
    return NULL;
  return hako_img_manifest_parse_data (body, len, d->digest, err);
}

static void
split_name (const char *name, char **repo, char **tag)
{
  const char *at = strchr (name, '@');
  const char *slash = strrchr (name, '/');
  const char *colon = strrchr (slash ? slash : name, ':');
  if (at)
    {
      *repo = hako_xstrndup (name, (size_t) (at - name));
      *tag = hako_xstrdup ("");
    }
  else if (colon)
    {
      *repo = hako_xstrndup (name, (size_t) (colon - name));
      *tag = hako_xstrdup (colon + 1);
    }
  else
    {
      *repo = hako_xstrdup (name);
      *tag = hako_xstrdup ("");
    }
}

static void
human_size (char *buf, size_t n, uint64_t v)
{
  if (v < 1000)
    snprintf (buf, n, "%llu B", (unsigned long long) v);
  else if (v < 1000 * 1000)
    snprintf (buf, n, "%.1f kB", (double) v / 1e3);
  else if (v < 1000ull * 1000 * 1000)
    snprintf (buf, n, "%.1f MB", (double) v / 1e6);
  else
    snprintf (buf, n, "%.2f GB", (double) v / 1e9);
}

static int
summarize (pull_cache_t *c, const hako_img_descriptor *d, hako_img_image_summary *s, hako_error_t **err)
{
  hako_img_manifest *m = entry_manifest (c, d, err);
  if (m == NULL)
    return -1;
  s->digest = hako_xstrdup (d->digest);
  s->config = hako_xstrdup (m->config->digest);
  s->size = (uint64_t) d->size + (uint64_t) m->config->size;
  for (size_t i = 0; i < m->layers_len; i++)
    s->size += (uint64_t) m->layers[i]->size;
  cleanup_free char *cfg = NULL;
  size_t len = 0;
  int ret = cache_read_blob (c, m->config->digest, m->config->size, &cfg, &len, err);
  hako_img_image_config *ic = ret == 0 ? hako_img_config_parse_data (cfg, len, m->config->digest, err) : NULL;
  hako_img_manifest_free (m);
  if (ic == NULL)
    return -1;
  if (ic->created)
    s->created = hako_xstrdup (ic->created);
  s->platform = hako_strdup_printf ("%s/%s%s%s", ic->os, ic->architecture, ic->variant ? "/" : "",
                                    ic->variant ? ic->variant : "");
  hako_img_image_config_free (ic);
  const char *pulled = pull_annotation (d, PULLED);
  if (pulled)
    s->pulled = hako_xstrdup (pulled);
  return 0;
}

int
cache_list (pull_cache_t *c, bool json, FILE *out, hako_error_t **err)
{
  hako_img_index *ix = read_index (c, err);
  if (ix == NULL)
    return -1;
  int ret = 0;
  if (json)
    fputs ("[", out);
  else
    fprintf (out, "%-40s %-16s %-19s %-10s %s\n", "REPOSITORY", "TAG", "DIGEST", "SIZE", "CREATED");
  for (size_t i = 0; i < ix->manifests_len && ret == 0; i++)
    {
      const char *name = ref_name_of (ix->manifests[i]);
      if (name == NULL)
        continue;
      hako_img_image_summary s = { 0 };
      split_name (name, &s.repository, &s.tag);
      ret = summarize (c, ix->manifests[i], &s, err);
      if (ret == 0 && json)
        {
          cleanup_free char *j = hako_img_summary_to_json (&s, 0, NULL, err);
          if (j == NULL)
            ret = -1;
          else
            fprintf (out, "%s%s", i ? "," : "", j);
        }
      else if (ret == 0)
        {
          char size[32];
          human_size (size, sizeof size, s.size);
          fprintf (out, "%-40s %-16s %-19.19s %-10s %s\n", s.repository, s.tag[0] ? s.tag : "<none>", s.digest, size,
                   s.created ? s.created : "-");
        }
      free (s.repository);
      free (s.tag);
      free (s.digest);
      free (s.config);
      free (s.created);
      free (s.platform);
      free (s.pulled);
      if (ret < 0)
        hako_error_prefix (err, "image %s", name);
    }
  if (json && ret == 0)
    fputs ("]\n", out);
  hako_img_index_free (ix);
  return ret;
}

/* A cheap set of strings: a sorted array searched by bsearch.  */
typedef struct strset
{
  char **v;
  size_t n, cap;
} strset_t;

static void
strset_add (strset_t *s, const char *x)
{
  if (s->n == s->cap)
    {
      s->cap = s->cap ? s->cap * 2 : 16;
      s->v = hako_xrealloc (s->v, s->cap * sizeof (char *));
    }
  s->v[s->n++] = hako_xstrdup (x);
}

static int
cmpstr (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static bool
strset_has (strset_t *s, const char *x)
{
  return s->n && bsearch (&x, s->v, s->n, sizeof (char *), cmpstr) != NULL;
}

static void
strset_free (strset_t *s)
{
  for (size_t i = 0; i < s->n; i++)
    free (s->v[i]);
  free (s->v);
}

/* Remove every blob no index entry reaches, and staged leftovers of dead
   pulls.  The caller holds gc.lock exclusively, so no pull is running.  */
static int
collect (pull_cache_t *c, hako_img_index *ix, bool quiet, hako_error_t **err)
{
  strset_t keep = { 0 };
  for (size_t i = 0; i < ix->manifests_len; i++)
    {
      const hako_img_descriptor *d = ix->manifests[i];
      strset_add (&keep, d->digest);
      hako_error_t *e = NULL;
      hako_img_manifest *m = entry_manifest (c, d, &e);
      hako_error_free (e);
      if (m == NULL)
        continue;
      strset_add (&keep, m->config->digest);
      for (size_t j = 0; j < m->layers_len; j++)
        strset_add (&keep, m->layers[j]->digest);
      hako_img_manifest_free (m);
    }
  qsort (keep.v, keep.n, sizeof (char *), cmpstr);
  uint64_t freed = 0, count = 0;
  const char *algos[] = { "sha256", "sha512" };
  for (size_t a = 0; a < 2; a++)
    {
      cleanup_free char *dir = hako_strdup_printf ("%s/blobs/%s", c->dir, algos[a]);
      cleanup_dir DIR *d = opendir (dir);
      if (d == NULL)
        continue;
      struct dirent *de;
      while ((de = readdir (d)))
        {
          if (de->d_name[0] == '.')
            continue;
          cleanup_free char *digest = hako_strdup_printf ("%s:%s", algos[a], de->d_name);
          if (strset_has (&keep, digest))
            continue;
          struct stat st;
          if (fstatat (dirfd (d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            freed += (uint64_t) st.st_size;
          if (unlinkat (dirfd (d), de->d_name, 0) < 0)
            {
              strset_free (&keep);
              return hako_error_sys (err, "remove `%s/%s`", dir, de->d_name);
            }
          count++;
        }
    }
  strset_free (&keep);
  cleanup_free char *staging = hako_strdup_printf ("%s/staging", c->dir);
  cleanup_dir DIR *sd = opendir (staging);
  if (sd)
    {
      struct dirent *de;
      while ((de = readdir (sd)))
        if (de->d_name[0] != '.' && unlinkat (dirfd (sd), de->d_name, 0) == 0)
          count++;
    }
  if (! quiet)
    printf ("removed %llu blobs, %.1f MB\n", (unsigned long long) count, (double) freed / 1e6);
  return 0;
}

/* Whether index entry D is what the user named: a reference (normalized
   as pull does), or a manifest digest or a prefix of its hex of at least
   four digits.  */
static bool
entry_matches (const hako_img_descriptor *d, const char *want, const char *norm)
{
  const char *n = ref_name_of (d);
  if (n && norm && strcmp (n, norm) == 0)
    return true;
  if (strcmp (d->digest, want) == 0)
    return true;
  size_t wl = strlen (want);
  const char *hex = pull_digest_hex (d->digest);
  const char *w = strncmp (want, "sha256:", 7) == 0 ? want + 7 : want;
  wl = strlen (w);
  return wl >= 4 && strncmp (hex, w, wl) == 0 && strspn (w, "0123456789abcdef") == wl;
}

int
cache_rmi (pull_cache_t *c, char *const *names, size_t n, hako_error_t **err)
{
  cleanup_close int lock = lock_index (c, err);
  if (lock < 0)
    return -1;
  hako_img_index *ix = read_index (c, err);
  if (ix == NULL)
    return -1;
  bool *drop = hako_xcalloc (ix->manifests_len + 1, sizeof (bool));
  int ret = 0;
  for (size_t k = 0; k < n && ret == 0; k++)
    {
      cleanup_free char *norm = NULL;
      pull_ref_t *ref = NULL;
      hako_error_t *e = NULL;
      if (pull_ref_parse (names[k], &ref, &e) == 0 && ref->transport == PULL_DOCKER)
        norm = pull_ref_name (ref);
      pull_ref_free (ref);
      hako_error_free (e);
      bool found = false;
      for (size_t i = 0; i < ix->manifests_len; i++)
        if (entry_matches (ix->manifests[i], names[k], norm))
          drop[i] = found = true;
      if (! found)
        ret = hako_error_set (err, 0, "image `%s` is not in the cache `%s`", names[k], c->dir);
    }
  if (ret == 0)
    {
      size_t w = 0;
      for (size_t i = 0; i < ix->manifests_len; i++)
        {
          if (drop[i])
            {
              const char *nm = ref_name_of (ix->manifests[i]);
              printf ("untagged %s\n", nm ? nm : ix->manifests[i]->digest);
              hako_img_descriptor_free (ix->manifests[i]);
            }
          else
            ix->manifests[w++] = ix->manifests[i];
        }
      ix->manifests_len = w;
      ret = write_index (c, ix, err);
    }
  if (ret == 0)
    ret = collect (c, ix, false, err);
  free (drop);
  hako_img_index_free (ix);
  return ret;
}

int
cache_prune (pull_cache_t *c, bool quiet, hako_error_t **err)
{
  cleanup_close int lock = lock_index (c, err);
  if (lock < 0)
    return -1;
  hako_img_index *ix = read_index (c, err);
  if (ix == NULL)
    return -1;
  int ret = collect (c, ix, quiet, err);
  hako_img_index_free (ix);
  return ret;
}
