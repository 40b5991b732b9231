/* SPDX-License-Identifier: Apache-2.0 */
/* From a reference to a manifest, its config and its layers' blobs:
   through the cache (--pull missing|always|never), a registry, an OCI
   layout directory or an OCI archive.  An index or manifest list is
   narrowed to one platform (the host's or --platform).  Blobs fetched by
   this pull stay in the cache's staging directory until the pull has
   succeeded (image_commit), so a failed pull leaves the cache as it was. */
#include <config.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cleanup.h"
#include "pull.h"

void
pull_host_platform (const char **os, const char **arch, const char **variant)
{
  static struct utsname u;
  uname (&u);
  *os = "linux";
  *variant = NULL;
  const char *m = u.machine;
  if (strcmp (m, "x86_64") == 0)
    *arch = "amd64";
  else if (strcmp (m, "aarch64") == 0 || strcmp (m, "arm64") == 0)
    {
      *arch = "arm64";
      *variant = "v8";
    }
  else if (strncmp (m, "armv7", 5) == 0)
    {
      *arch = "arm";
      *variant = "v7";
    }
  else if (strncmp (m, "armv6", 5) == 0)
    {
      *arch = "arm";
      *variant = "v6";
    }
  else if (m[0] == 'i' && strcmp (m + 2, "86") == 0)
    *arch = "386";
  else if (strcmp (m, "ppc64le") == 0 || strcmp (m, "s390x") == 0 || strcmp (m, "riscv64") == 0
           || strcmp (m, "mips64") == 0 || strcmp (m, "loongarch64") == 0)
    *arch = m;
  else
    *arch = m;
}

typedef struct want_platform
{
  char *os, *arch, *variant; /* variant may be NULL: any */
  bool explicit_;
} want_platform_t;

static int
want_platform (const pull_opts_t *o, want_platform_t *w, hako_error_t **err)
{
  memset (w, 0, sizeof (*w));
  if (o->platform == NULL)
    {
      const char *os, *arch, *variant;
      pull_host_platform (&os, &arch, &variant);
      w->os = hako_xstrdup (os);
      w->arch = hako_xstrdup (arch);
      w->variant = variant ? hako_xstrdup (variant) : NULL;
      return 0;
    }
  w->explicit_ = true;
  cleanup_free char *s = hako_xstrdup (o->platform);
  char *a = strchr (s, '/');
  char *v = a ? strchr (a + 1, '/') : NULL;
  if (a == NULL || a == s || a[1] == '\0' || a[1] == '/' || (v && (v[1] == '\0' || strchr (v + 1, '/'))))
    return hako_error_set (err, 0, "--platform `%s`: expected OS/ARCH[/VARIANT]", o->platform);
  *a = '\0';
  if (v)
    *v = '\0';
  w->os = hako_xstrdup (s);
  w->arch = hako_xstrdup (a + 1);
  w->variant = v ? hako_xstrdup (v + 1) : NULL;
  return 0;
}

static void
want_free (want_platform_t *w)
{
  free (w->os);
  free (w->arch);
  free (w->variant);
}

/* arm64's variant v8 is also written as nothing.  */
static bool
variant_eq (const char *arch, const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return a == b || (strcmp (arch, "arm64") == 0 && (a ? strcmp (a, "v8") == 0 : strcmp (b, "v8") == 0));
  return strcmp (a, b) == 0;
}

static char *
platform_text (const char *os, const char *arch, const char *variant)
{
  return hako_strdup_printf ("%s/%s%s%s", os, arch, variant ? "/" : "", variant ? variant : "");
}

static bool
is_index_type (const char *mt)
{
  return mt && (strcmp (mt, MT_OCI_INDEX) == 0 || strcmp (mt, MT_DOCKER_LIST) == 0);
}

static bool
is_manifest_type (const char *mt)
{
  return mt && (strcmp (mt, MT_OCI_MANIFEST) == 0 || strcmp (mt, MT_DOCKER_MANIFEST) == 0);
}

/* The one manifest of index IX for the wanted platform.  */
static int
select_platform (const hako_img_index *ix, const want_platform_t *w, const char *where, const hako_img_descriptor **out,
                 hako_error_t **err)
{
  const hako_img_descriptor *best = NULL;
  for (size_t i = 0; i < ix->manifests_len; i++)
    {
      const hako_img_descriptor *d = ix->manifests[i];
      const hako_img_platform *p = d->platform;
      if (! is_manifest_type (d->media_type) || p == NULL)
        continue;
      if (strcmp (p->os, w->os) != 0 || strcmp (p->architecture, w->arch) != 0)
        continue;
      if (w->variant && ! variant_eq (w->arch, p->variant, w->variant))
        {
          /* Without --platform, a host variant is a preference only.  */
          if (w->explicit_)
            continue;
          if (best == NULL)
            best = d;
          continue;
        }
      best = d;
      break;
    }
  if (best)
    {
      *out = best;
      return 0;
    }
  /* What there is, for the message.  */
  size_t cap = 256, n = 0;
  cleanup_free char *avail = hako_xcalloc (1, cap);
  for (size_t i = 0; i < ix->manifests_len; i++)
    {
      const hako_img_platform *p = ix->manifests[i]->platform;
      if (p == NULL)
        continue;
      cleanup_free char *t = platform_text (p->os, p->architecture, p->variant);
      size_t tl = strlen (t);
      if (n + tl + 3 >= cap)
        {
          cap = (n + tl + 3) * 2;
          avail = hako_xrealloc (avail, cap);
        }
      n += (size_t) sprintf (avail + n, "%s%s", n ? ", " : "", t);
    }
  cleanup_free char *wt = platform_text (w->os, w->arch, w->variant);
  return hako_error_set (err, 0, "%s: no image for platform %s (available: %s)", where, wt, n ? avail : "none");
}

/* ------------------------------------------------------------ sources */

/* Where manifests and blobs come from: a registry, or a layout dir.  */
typedef struct source
{
  registry_t *reg;
  char *layout; /* directory */
} source_t;

static int
layout_read (const char *layout, const char *digest, int64_t size, char **body, size_t *len, hako_error_t **err)
{
  if (pull_digest_check (digest, err) < 0)
    return -1;
  const char *colon = strchr (digest, ':');
  cleanup_free char *path = hako_strdup_printf ("%s/blobs/%.*s/%s", layout, (int) (colon - digest), digest, colon + 1);
  if (size < 0 || (uint64_t) size > PULL_MAX_DOC)
    return hako_error_set (err, 0, "%s: size %lld too large for a document", path, (long long) size);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return hako_error_sys (err, "blob `%s`", path);
  char *data = hako_json_read_fd (fd, path, len, err);
  if (data == NULL)
    return -1;
  if (pull_verify_buffer (path, data, *len, digest, size, err) < 0)
    {
      free (data);
      return -1;
    }
  *body = data;
  return 0;
}

/* A document by descriptor: from the cache when it is there, else the
   source.  Always verified.  */
static int
get_doc (source_t *src, pull_cache_t *cache, const hako_img_descriptor *d, char **body, size_t *len, hako_error_t **err)
{
  if (pull_digest_check (d->digest, err) < 0)
    return -1;
  if (src->layout)
    return layout_read (src->layout, d->digest, d->size, body, len, err);
  cleanup_free char *cached = cache ? cache_blob_path (cache, d->digest) : NULL;
  if (cached)
    return cache_read_blob (cache, d->digest, d->size, body, len, err);
  if (src->reg == NULL)
    return hako_error_set (err, 0, "blob %s is not in the cache", d->digest);
  if (is_manifest_type (d->media_type) || is_index_type (d->media_type))
    {
      cleanup_free char *ct = NULL;
      if (registry_get_manifest (src->reg, d->digest, body, len, &ct, err) < 0)
        return -1;
      if (pull_verify_buffer ("manifest", *body, *len, d->digest, d->size, err) < 0)
        {
          free (*body);
          *body = NULL;
          return -1;
        }
      return 0;
    }
  if (registry_get_small_blob (src->reg, d, body, err) < 0)
    return -1;
  *len = (size_t) d->size;
  return 0;
}

static const char *
detect_type (const char *content_type, const char *body, size_t len, hako_error_t **err)
{
  if (content_type)
    {
      const char *types[] = { MT_OCI_INDEX, MT_DOCKER_LIST, MT_OCI_MANIFEST, MT_DOCKER_MANIFEST };
      for (size_t i = 0; i < 4; i++)
        if (strncmp (content_type, types[i], strlen (types[i])) == 0)
          return types[i];
    }
  hako_img_versioned *v = hako_img_versioned_parse_data (body, len, "manifest", err);
  if (v == NULL)
    return NULL;
  const char *r = NULL;
  if (v->media_type && (is_index_type (v->media_type) || is_manifest_type (v->media_type)))
    r = strcmp (v->media_type, MT_OCI_INDEX) == 0      ? MT_OCI_INDEX
        : strcmp (v->media_type, MT_DOCKER_LIST) == 0  ? MT_DOCKER_LIST
        : strcmp (v->media_type, MT_OCI_MANIFEST) == 0 ? MT_OCI_MANIFEST
                                                       : MT_DOCKER_MANIFEST;
  else if (v->schema_version == 1)
    hako_error_set (err, 0, "Docker schema 1 manifests are not supported (deprecated); repush the image");
  else if (v->has_manifests)
    r = MT_OCI_INDEX;
  else if (v->config)
    r = MT_OCI_MANIFEST;
  else
    hako_error_set (err, 0, "not an image manifest or index (media type %s)", content_type ? content_type : "unknown");
  hako_img_versioned_free (v);
  return r;
}

/* From a top-level document (BODY, its descriptor TOP) to the platform's
   manifest: fills IMG's manifest, its descriptor and its JSON.  */
static int
resolve_manifest (source_t *src, pull_cache_t *cache, const pull_opts_t *o, hako_img_descriptor *top, char *body,
                  size_t len, const char *content_type, const char *where, pull_image_t *img, char **mjson,
                  hako_error_t **err)
{
  const char *type = detect_type (content_type, body, len, err);
  if (type == NULL)
    return -1;
  cleanup_free char *mbody = NULL;
  size_t mlen = len;
  want_platform_t w;
  if (want_platform (o, &w, err) < 0)
    return -1;
  int ret = 0;
  if (is_index_type (type))
    {
      hako_img_index *ix = hako_img_index_parse_data (body, len, where, err);
      const hako_img_descriptor *pick = NULL;
      if (ix == NULL || select_platform (ix, &w, where, &pick, err) < 0)
        ret = -1;
      if (ret == 0)
        ret = get_doc (src, cache, pick, &mbody, &mlen, err);
      if (ret == 0)
        {
          img->manifest_desc = hako_xcalloc (1, sizeof (*img->manifest_desc));
          img->manifest_desc->media_type = hako_xstrdup (pick->media_type);
          img->manifest_desc->digest = hako_xstrdup (pick->digest);
          img->manifest_desc->size = pick->size;
          img->manifest_desc->platform = hako_xcalloc (1, sizeof (hako_img_platform));
          img->manifest_desc->platform->os = hako_xstrdup (pick->platform->os);
          img->manifest_desc->platform->architecture = hako_xstrdup (pick->platform->architecture);
          if (pick->platform->variant)
            img->manifest_desc->platform->variant = hako_xstrdup (pick->platform->variant);
          type = detect_type (NULL, mbody, mlen, err);
          if (type == NULL || ! is_manifest_type (type))
            ret = type == NULL ? -1 : hako_error_set (err, 0, "%s: an index inside an index is not supported", where);
        }
      hako_img_index_free (ix);
    }
  else
    {
      mbody = hako_xmalloc (len + 1);
      memcpy (mbody, body, len);
      mbody[len] = '\0';
      img->manifest_desc = top;
      top = NULL;
    }
  if (ret == 0)
    {
      img->manifest = hako_img_manifest_parse_data (mbody, mlen, img->manifest_desc->digest, err);
      if (img->manifest == NULL)
        ret = -1;
    }
  if (ret == 0)
    {
      const char *cmt = img->manifest->config->media_type;
      if (strcmp (cmt, MT_OCI_CONFIG) != 0 && strcmp (cmt, MT_DOCKER_CONFIG) != 0)
        ret = hako_error_set (err, 0, "%s: not a container image (config media type %s)", where, cmt);
    }
  if (ret == 0)
    {
      size_t clen = 0;
      ret = get_doc (src, cache, img->manifest->config, &img->config_json, &clen, err);
      if (ret == 0)
        {
          img->config = hako_img_config_parse_data (img->config_json, clen, "image config", err);
          if (img->config == NULL)
            ret = -1;
        }
    }
  if (ret == 0 && (strcmp (img->config->os, w.os) != 0 || strcmp (img->config->architecture, w.arch) != 0))
    {
      cleanup_free char *have = platform_text (img->config->os, img->config->architecture, img->config->variant);
      cleanup_free char *want = platform_text (w.os, w.arch, w.variant);
      ret = hako_error_set (err, 0, "%s: the image is for %s, not %s%s", where, have, want,
                            w.explicit_ ? "" : " (choose with --platform)");
    }
  want_free (&w);
  hako_img_descriptor_free (top);
  if (ret == 0)
    *mjson = TAKE_PTR (mbody);
  return ret;
}

/* ------------------------------------------------------------ layouts */

/* One regular file of an oci-archive, at NAME (cleaned: no `..`, no
   leading `/`) under the fresh directory DIRFD, which holds only what this
   function made: directories and files, never a symlink to follow.  */
static int
archive_file (struct archive *a, int dirfd, const char *name, const char *file, hako_error_t **err)
{
  cleanup_free char *p = hako_xstrdup (name);
  for (char *s = strchr (p, '/'); s; s = strchr (s + 1, '/'))
    {
      *s = '\0';
      if (mkdirat (dirfd, p, 0700) < 0 && errno != EEXIST)
        return hako_error_sys (err, "oci-archive `%s`: mkdir `%s`", file, p);
      *s = '/';
    }
  cleanup_close int fd = openat (dirfd, p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return hako_error_sys (err, "oci-archive `%s`: create `%s`", file, p);
  const void *buf;
  size_t size;
  la_int64_t off;
  int r;
  while ((r = archive_read_data_block (a, &buf, &size, &off)) == ARCHIVE_OK)
    if (pwrite (fd, buf, size, off) != (ssize_t) size)
      return hako_error_sys (err, "oci-archive `%s`: write `%s`", file, p);
  if (r != ARCHIVE_EOF)
    return hako_error_set (err, 0, "oci-archive `%s`: %s", file, archive_error_string (a));
  return 0;
}

/* Extract an oci-archive (a tar of a layout) into a private directory.
   Only its directories and regular files matter.  */
static int
extract_archive (const char *file, char **dir, hako_error_t **err)
{
  const char *tmpdir = getenv ("TMPDIR");
  cleanup_free char *tmpl = hako_strdup_printf ("%s/hako-pull-archive-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/var/tmp");
  if (mkdtemp (tmpl) == NULL)
    return hako_error_sys (err, "mkdtemp `%s`", tmpl);
  *dir = hako_xstrdup (tmpl);
  cleanup_close int dirfd = open (tmpl, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return hako_error_sys (err, "open `%s`", tmpl);
  struct archive *a = archive_read_new ();
  archive_read_support_format_tar (a);
  archive_read_support_filter_all (a);
  int ret = 0;
  if (archive_read_open_filename (a, file, 1 << 16) != ARCHIVE_OK)
    ret = hako_error_set (err, archive_errno (a), "oci-archive `%s`: %s", file, archive_error_string (a));
  struct archive_entry *e;
  while (ret == 0)
    {
      int r = archive_read_next_header (a, &e);
      if (r == ARCHIVE_EOF)
        break;
      if (r < ARCHIVE_WARN)
        {
          ret = hako_error_set (err, 0, "oci-archive `%s`: %s", file, archive_error_string (a));
          break;
        }
      if (archive_entry_filetype (e) != AE_IFREG || archive_entry_hardlink (e))
        continue;
      const char *name = archive_entry_pathname (e);
      while (name && (name[0] == '/' || (name[0] == '.' && name[1] == '/')))
        name += name[0] == '/' ? 1 : 2;
      if (name == NULL || name[0] == '\0' || strstr (name, "..") || strstr (name, "//"))
        {
          ret = hako_error_set (err, 0, "oci-archive `%s`: unexpected entry `%s`", file, name ? name : "");
          break;
        }
      ret = archive_file (a, dirfd, name, file, err);
    }
  archive_read_free (a);
  return ret;
}

static int
fetch_layout (const pull_ref_t *ref, const pull_opts_t *o, const char *dir, pull_image_t *img, char **mjson,
              hako_error_t **err)
{
  cleanup_free char *where = pull_ref_name (ref);
  cleanup_free char *lpath = hako_strdup_printf ("%s/oci-layout", dir);
  hako_img_oci_layout *l = hako_img_layout_parse_file (lpath, err);
  if (l == NULL)
    {
      hako_error_prefix (err, "%s: not an OCI image layout", where);
      return -1;
    }
  bool v1 = strncmp (l->image_layout_version, "1.", 2) == 0;
  hako_img_oci_layout_free (l);
  if (! v1)
    return hako_error_set (err, 0, "%s: unsupported imageLayoutVersion", where);
  cleanup_free char *ipath = hako_strdup_printf ("%s/index.json", dir);
  hako_img_index *ix = hako_img_index_parse_file (ipath, err);
  if (ix == NULL)
    return -1;
  const hako_img_descriptor *pick = NULL;
  for (size_t i = 0; i < ix->manifests_len && pick == NULL; i++)
    {
      const hako_img_descriptor *d = ix->manifests[i];
      const char *name = pull_annotation (d, "org.opencontainers.image.ref.name");
      if (ref->tag ? (name && strcmp (name, ref->tag) == 0) : ix->manifests_len == 1)
        pick = d;
    }
  int ret = 0;
  if (pick == NULL)
    ret = ref->tag ? hako_error_set (err, 0, "%s: no image named `%s` in the layout", where, ref->tag)
                   : hako_error_set (err, 0, "%s: the layout holds %zu images; name one as %s:NAME", where,
                                     ix->manifests_len, where);
  source_t src = { .layout = (char *) dir };
  cleanup_free char *body = NULL;
  size_t len = 0;
  if (ret == 0)
    ret = get_doc (&src, NULL, pick, &body, &len, err);
  if (ret == 0)
    {
      hako_img_descriptor *top = hako_xcalloc (1, sizeof (*top));
      top->media_type = hako_xstrdup (pick->media_type);
      top->digest = hako_xstrdup (pick->digest);
      top->size = pick->size;
      ret = resolve_manifest (&src, NULL, o, top, body, len, pick->media_type, where, img, mjson, err);
    }
  hako_img_index_free (ix);
  if (ret < 0)
    return -1;
  img->blob_paths = hako_xcalloc (img->manifest->layers_len + 1, sizeof (char *));
  for (size_t i = 0; i < img->manifest->layers_len; i++)
    {
      const char *dg = img->manifest->layers[i]->digest;
      if (pull_digest_check (dg, err) < 0)
        return -1;
      const char *colon = strchr (dg, ':');
      img->blob_paths[i] = hako_strdup_printf ("%s/blobs/%.*s/%s", dir, (int) (colon - dg), dg, colon + 1);
    }
  return 0;
}

/* ------------------------------------------------------------ registry */

/* The image as recorded in the cache, when everything it needs is there. */
static int
from_cache (const pull_ref_t *ref, const pull_opts_t *o, pull_cache_t *cache, pull_image_t *img, char **mjson,
            bool *found, hako_error_t **err)
{
  cleanup_free char *name = pull_ref_name (ref);
  hako_img_descriptor *d = NULL;
  *found = false;
  if (cache_lookup (cache, name, &d, err) < 0)
    return -1;
  if (d == NULL)
    return 0;
  cleanup_free char *body = NULL;
  size_t len = 0;
  source_t src = { 0 };
  if (cache_read_blob (cache, d->digest, d->size, &body, &len, err) < 0)
    {
      hako_img_descriptor_free (d);
      return -1;
    }
  if (resolve_manifest (&src, cache, o, d, body, len, d->media_type, name, img, mjson, err) < 0)
    return -1;
  img->blob_paths = hako_xcalloc (img->manifest->layers_len + 1, sizeof (char *));
  for (size_t i = 0; i < img->manifest->layers_len; i++)
    {
      img->blob_paths[i] = cache_blob_path (cache, img->manifest->layers[i]->digest);
      if (img->blob_paths[i] == NULL)
        return 0; /* incomplete: fetch again */
    }
  *found = true;
  return 0;
}

static void image_clear (pull_image_t *img);

/* Forget a half-read cache entry (nothing was staged yet).  */
static void
image_reset (pull_image_t *img)
{
  image_clear (img);
  memset (img, 0, sizeof (*img));
}

/* One stream per layer, complete until a download is staged for it.  */
static void
alloc_streams (pull_image_t *img)
{
  size_t n = img->manifest->layers_len;
  img->streams = hako_xcalloc (n + 1, sizeof (pull_stream_t));
  img->stream_of = hako_xcalloc (n + 1, sizeof (size_t));
  for (size_t i = 0; i < n; i++)
    {
      pull_stream_init (&img->streams[i], true);
      img->stream_of[i] = i;
    }
}

/* The layers: from the cache, or staged for image_download.  */
static int
fetch_layers (registry_t *reg, const pull_opts_t *o, pull_cache_t *cache, pull_image_t *img, hako_error_t **err)
{
  size_t n = img->manifest->layers_len;
  img->blob_paths = hako_xcalloc (n + 1, sizeof (char *));
  img->staged = hako_xcalloc (n + 1, sizeof (char *));
  img->staged_digests = hako_xcalloc (n + 1, sizeof (char *));
  img->pending = hako_xcalloc (n + 1, sizeof (size_t));
  img->pending_fds = hako_xcalloc (n + 1, sizeof (int));
  alloc_streams (img);
  for (size_t i = 0; i < n; i++)
    {
      const hako_img_descriptor *d = img->manifest->layers[i];
      if (pull_digest_check (d->digest, err) < 0)
        return -1;
      img->blob_paths[i] = cache_blob_path (cache, d->digest);
      /* A layer repeated in the image: one download, read twice.  */
      for (size_t k = 0; k < img->n_staged && img->blob_paths[i] == NULL; k++)
        if (strcmp (img->staged_digests[k], d->digest) == 0)
          {
            img->blob_paths[i] = hako_xstrdup (img->staged[k]);
            img->stream_of[i] = img->pending[k];
          }
      if (img->blob_paths[i])
        {
          if (o->progress)
            fprintf (stderr, "%.12s already cached\n", pull_digest_hex (d->digest));
          continue;
        }
      char *staged = NULL;
      int fd = cache_stage_open (cache, &staged, err);
      if (fd < 0)
        return -1;
      img->staged[img->n_staged] = staged;
      img->staged_digests[img->n_staged++] = hako_xstrdup (d->digest);
      img->blob_paths[i] = hako_xstrdup (staged);
      img->pending[img->n_pending] = i;
      img->pending_fds[img->n_pending++] = fd;
      pull_stream_update (&img->streams[i], 0, false, false);
    }
  return 0;
}

void
pull_stream_init (pull_stream_t *s, bool done)
{
  pthread_mutex_init (&s->lock, NULL);
  pthread_cond_init (&s->cond, NULL);
  s->written = 0;
  s->done = done;
  s->failed = false;
}

void
pull_stream_update (pull_stream_t *s, int64_t written, bool done, bool failed)
{
  pthread_mutex_lock (&s->lock);
  s->written = written;
  s->done = done;
  s->failed = failed;
  pthread_cond_broadcast (&s->cond);
  pthread_mutex_unlock (&s->lock);
}

int
image_download (pull_image_t *img, const pull_opts_t *o, hako_error_t **err)
{
  int ret = 0;
  progress_set_downloading (true);
  for (size_t k = 0; k < img->n_pending; k++)
    {
      size_t i = img->pending[k];
      pull_stream_t *st = &img->streams[i];
      if (ret == 0)
        ret = registry_get_blob (img->reg, img->manifest->layers[i], img->pending_fds[k], o->progress, st, err);
      /* Verified (or not): the unpacker may finish (or must stop).  */
      pull_stream_update (st, st->written, ret == 0, ret < 0);
      close (img->pending_fds[k]);
      img->pending_fds[k] = -1;
    }
  img->n_pending = 0;
  progress_set_downloading (false);
  return ret;
}

static int
fetch_registry (const pull_ref_t *ref, const pull_opts_t *o, pull_cache_t *cache, pull_image_t *img, char **mjson,
                hako_error_t **err)
{
  cleanup_free char *name = pull_ref_name (ref);
  if (strcmp (o->policy, "always") != 0)
    {
      bool found = false;
      hako_error_t *e = NULL;
      if (from_cache (ref, o, cache, img, mjson, &found, &e) < 0 || ! found)
        {
          /* A partial or unreadable cache entry is fetched again.  */
          hako_error_free (e);
          free (*mjson);
          *mjson = NULL;
          image_reset (img);
        }
      if (found)
        return 0;
      if (strcmp (o->policy, "never") == 0)
        return hako_error_set (err, 0, "%s is not in the cache `%s` (--pull never)", name, cache->dir);
    }
  registry_t *reg = NULL;
  int ret = registry_open (ref, o, &reg, err);
  cleanup_free char *body = NULL;
  cleanup_free char *ct = NULL;
  size_t len = 0;
  const char *reference = ref->digest ? ref->digest : ref->tag;
  if (ret == 0)
    ret = registry_get_manifest (reg, reference, &body, &len, &ct, err);
  hako_img_descriptor *top = NULL;
  if (ret == 0)
    {
      top = hako_xcalloc (1, sizeof (*top));
      if (ref->digest)
        {
          ret = pull_verify_buffer ("manifest", body, len, ref->digest, -1, err);
          top->digest = hako_xstrdup (ref->digest);
        }
      else
        {
          pull_hasher_t *h = pull_hasher_new ("sha256:");
          pull_hasher_update (h, body, len);
          top->digest = pull_hasher_finish (h);
        }
      top->size = (int64_t) len;
    }
  if (ret == 0)
    {
      const char *type = detect_type (ct, body, len, err);
      if (type == NULL)
        ret = -1;
      else
        top->media_type = hako_xstrdup (type);
    }
  if (ret == 0)
    {
      source_t src = { .reg = reg };
      ret = resolve_manifest (&src, cache, o, TAKE_PTR (top), body, len, ct, name, img, mjson, err);
    }
  hako_img_descriptor_free (top);
  if (ret < 0)
    {
      registry_free (reg);
      return -1;
    }

  img->reg = reg;
  ret = fetch_layers (reg, o, cache, img, err);
  if (ret < 0)
    hako_error_prefix (err, "%s", name);
  return ret;
}

int
image_fetch (const pull_ref_t *ref, const pull_opts_t *o, pull_cache_t *cache, pull_image_t **out, hako_error_t **err)
{
  pull_image_t *img = hako_xcalloc (1, sizeof (*img));
  *out = img;
  char *mjson = NULL;
  int ret;
  switch (ref->transport)
    {
    case PULL_DOCKER:
      ret = fetch_registry (ref, o, cache, img, &mjson, err);
      break;
    case PULL_OCI:
      ret = fetch_layout (ref, o, ref->path, img, &mjson, err);
      break;
    default:
      ret = extract_archive (ref->path, &img->layout_tmp, err);
      if (ret == 0)
        ret = fetch_layout (ref, o, img->layout_tmp, img, &mjson, err);
      break;
    }
  free (img->manifest_json);
  img->manifest_json = mjson;
  if (ret == 0 && img->streams == NULL)
    alloc_streams (img);
  if (ret == 0)
    for (size_t i = 0; i < img->manifest->layers_len; i++)
      {
        const char *mt = img->manifest->layers[i]->media_type;
        if (strstr (mt, "tar") == NULL || (strstr (mt, "+") && ! strstr (mt, "+gzip") && ! strstr (mt, "+zstd")))
          return hako_error_set (err, 0, "layer %s: unsupported media type %s", img->manifest->layers[i]->digest, mt);
      }
  return ret;
}

int
image_commit (const pull_ref_t *ref, pull_cache_t *cache, pull_image_t *img, hako_error_t **err)
{
  if (ref->transport != PULL_DOCKER)
    return 0;
  for (size_t i = 0; i < img->n_staged; i++)
    {
      if (cache_commit_blob (cache, img->staged[i], img->staged_digests[i], err) < 0)
        return -1;
      free (img->staged[i]);
      img->staged[i] = NULL;
    }
  const hako_img_descriptor *md = img->manifest_desc;
  if (cache_put_blob (cache, img->manifest->config->digest, img->config_json, (size_t) img->manifest->config->size, err)
          < 0
      || cache_put_blob (cache, md->digest, img->manifest_json, (size_t) md->size, err) < 0)
    return -1;
  cleanup_free char *name = pull_ref_name (ref);
  return cache_tag (cache, name, md, err);
}

static void
image_clear (pull_image_t *img)
{
  for (size_t k = 0; k < img->n_pending; k++)
    if (img->pending_fds[k] >= 0)
      close (img->pending_fds[k]);
  free (img->pending);
  free (img->pending_fds);
  registry_free (img->reg);
  if (img->streams)
    for (size_t i = 0; img->manifest && i < img->manifest->layers_len; i++)
      {
        pthread_mutex_destroy (&img->streams[i].lock);
        pthread_cond_destroy (&img->streams[i].cond);
      }
  free (img->streams);
  free (img->stream_of);
  if (img->blob_paths)
    for (size_t i = 0; img->manifest && i < img->manifest->layers_len; i++)
      free (img->blob_paths[i]);
  free (img->blob_paths);
  hako_img_descriptor_free (img->manifest_desc);
  hako_img_manifest_free (img->manifest);
  hako_img_image_config_free (img->config);
  free (img->config_json);
  free (img->manifest_json);
  for (size_t i = 0; i < img->n_staged; i++)
    {
      if (img->staged[i])
        unlink (img->staged[i]);
      free (img->staged[i]);
      free (img->staged_digests[i]);
    }
  free (img->staged);
  free (img->staged_digests);
  if (img->layout_tmp)
    {
      hako_error_t *e = NULL;
      pull_remove_tree_at (AT_FDCWD, img->layout_tmp, &e);
      hako_error_free (e);
      free (img->layout_tmp);
    }
}

void
image_free (pull_image_t *img)
{
  if (img == NULL)
    return;
  image_clear (img);
  free (img);
}
