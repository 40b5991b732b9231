/* SPDX-License-Identifier: Apache-2.0 */
/* hako-pull: images from a registry, an OCI layout or an OCI archive into
   a runnable bundle.  The pieces and how they meet:

     reference.c  what the user wrote -> transport, registry, repository, tag, digest
     digest.c     SHA-256/512 through libcrypto; every blob is hashed as it is read
     auth.c       credentials: --creds, $REGISTRY_AUTH_FILE, auth.json, docker config
     registry.c   the distribution API v2 over libcurl, with its auth challenges
     cache.c      the content-addressed blob cache (an OCI image layout) and its locks
     image.c      reference -> manifest (platform chosen) -> blobs in the cache
     unpack.c     layers into the rootfs through libarchive, confined to the rootfs
     bundle.c     config.json from the image config and the options
     progress.c   a progress bar per layer on a terminal
     main.c       the command line  */
#ifndef HAKO_PULL_H
#define HAKO_PULL_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "image-spec.h"

/* Media types (image-spec media-types.md, Docker's schema 2).  */
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

/* Manifests and configs are small; a registry may refuse more than 4 MiB.  */
#define PULL_MAX_DOC (8u << 20)

/* Set by SIGINT/SIGTERM/SIGHUP: transfers and unpacking stop, and the
   normal error path removes what was half made.  */
extern volatile sig_atomic_t pull_interrupted;
/* Set when the download or the unpacking failed: the other one stops.  */
extern volatile sig_atomic_t pull_cancelled;
#define PULL_STOP (pull_interrupted || pull_cancelled)

/* A layer being downloaded into its staged file while it is unpacked
   from that same file: the unpacker reads up to WRITTEN and waits for
   more until DONE (the download verified) or FAILED.  */
typedef struct pull_stream
{
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int64_t written;
  bool done;
  bool failed;
} pull_stream_t;

void pull_stream_init (pull_stream_t *s, bool done);
void pull_stream_update (pull_stream_t *s, int64_t written, bool done, bool failed);

/* ---------------------------------------------------------------- reference */
enum pull_transport
{
  PULL_DOCKER,      /* a registry */
  PULL_OCI,         /* oci:DIR[:TAG] */
  PULL_OCI_ARCHIVE, /* oci-archive:FILE[:TAG] */
};

typedef struct pull_ref
{
  enum pull_transport transport;
  char *domain;     /* as named: docker.io, localhost:5000 */
  char *host;       /* where to connect: registry-1.docker.io for docker.io */
  char *repository; /* library/busybox */
  char *tag;        /* NULL when only a digest was given */
  char *digest;     /* NULL unless @algo:hex */
  char *path;       /* oci and oci-archive: the directory or file */
} pull_ref_t;

int pull_ref_parse (const char *text, pull_ref_t **out, hako_error_t **err);
void pull_ref_free (pull_ref_t *r);
/* "docker.io/library/busybox:latest", "...@sha256:...", "oci:DIR:TAG".  */
char *pull_ref_name (const pull_ref_t *r);
/* Whether HOST (with an optional :port) is this machine's loopback.  */
bool pull_host_is_loopback (const char *host);
static inline void
pull_ref_freep (pull_ref_t **r)
{
  pull_ref_free (*r);
}
#define cleanup_ref __attribute__ ((cleanup (pull_ref_freep)))

/* ---------------------------------------------------------------- digest */
typedef struct pull_hasher pull_hasher_t;

/* Check "algo:hex" (sha256 or sha512, lower-case hex of the right length). */
int pull_digest_check (const char *digest, hako_error_t **err);
/* A hasher for the algorithm of DIGEST (which must have passed the check). */
pull_hasher_t *pull_hasher_new (const char *digest);
void pull_hasher_update (pull_hasher_t *h, const void *data, size_t len);
/* "algo:hex" of what was hashed, malloc'd; frees the hasher.  */
char *pull_hasher_finish (pull_hasher_t *h);
void pull_hasher_free (pull_hasher_t *h);
/* Verify a whole buffer against a descriptor's digest and size.  */
int pull_verify_buffer (const char *what, const void *data, size_t len, const char *digest, int64_t size,
                        hako_error_t **err);
/* The hex part of a digest (after the colon).  */
const char *pull_digest_hex (const char *digest);

/* ---------------------------------------------------------------- progress */
typedef struct pull_progress
{
  bool enabled;
  bool download;
  const char *verb;  /* "downloading", "extracting" */
  const char *label; /* "sha256:0123456789ab" shortened */
  int64_t total;
  int64_t done;
  double start;
  double last_draw;
} pull_progress_t;

/* Bars may be drawn from two threads (downloading and extracting): a
   download's bar has the line; an extraction's is drawn only while no
   download is running.  */
void progress_start (pull_progress_t *p, bool enabled, const char *verb, const char *digest, int64_t total);
void progress_set_downloading (bool on);
void progress_update (pull_progress_t *p, int64_t done);
void progress_finish (pull_progress_t *p, const char *verb);
double pull_now (void);

/* ---------------------------------------------------------------- options */
typedef struct pull_opts
{
  const char *cache_dir;
  const char *creds;     /* user:password */
  const char *auth_file; /* --authfile */
  bool tls_verify;       /* default true */
  bool tls_verify_set;   /* --tls-verify given */
  const char *platform;  /* os/arch[/variant]; NULL: the host's */
  const char *policy;    /* missing (default), always, never */
  bool quiet;
  bool progress; /* stderr is a terminal and not quiet */
} pull_opts_t;

/* ---------------------------------------------------------------- auth */
/* The user:password for REF's registry, or NULL when there are none.  */
int auth_lookup (const pull_opts_t *o, const pull_ref_t *ref, char **userpass, hako_error_t **err);

/* ---------------------------------------------------------------- registry */
typedef struct registry registry_t;

int registry_open (const pull_ref_t *ref, const pull_opts_t *o, registry_t **out, hako_error_t **err);
void registry_free (registry_t *r);
/* GET a manifest (by tag or digest) into memory.  */
int registry_get_manifest (registry_t *r, const char *reference, char **body, size_t *len, char **content_type,
                           hako_error_t **err);
/* GET a blob into FD, verifying its digest and size as it arrives, and
   telling STREAM (if not NULL) how far it got.  */
int registry_get_blob (registry_t *r, const hako_img_descriptor *d, int fd, bool progress, pull_stream_t *stream,
                       hako_error_t **err);
/* GET a small blob (a config) into memory, verified.  */
int registry_get_small_blob (registry_t *r, const hako_img_descriptor *d, char **body, hako_error_t **err);

/* ---------------------------------------------------------------- cache */
/* The value of annotation KEY of descriptor D, or NULL.  */
const char *pull_annotation (const hako_img_descriptor *d, const char *key);
/* write(2) all of DATA, retrying short writes; -1 with errno on failure. */
int pull_write_all (int fd, const void *data, size_t len);

typedef struct pull_cache
{
  char *dir;
  int dirfd;
  int gc_lock_fd; /* shared while pulling, exclusive while removing */
} pull_cache_t;

int cache_open (const char *dir, bool exclusive, pull_cache_t **out, hako_error_t **err);
void cache_close (pull_cache_t *c);
/* The path of a blob in the cache, or NULL if it is not there.  */
char *cache_blob_path (pull_cache_t *c, const char *digest);
/* A temporary file in the cache's staging directory.  */
int cache_stage_open (pull_cache_t *c, char **path, hako_error_t **err);
/* Move a verified staged file to its place under blobs/.  */
int cache_commit_blob (pull_cache_t *c, const char *staged, const char *digest, hako_error_t **err);
/* Read a whole cached blob, verified against DIGEST.  */
int cache_read_blob (pull_cache_t *c, const char *digest, int64_t size, char **body, size_t *len, hako_error_t **err);
/* Write a small document into the cache as a blob (its digest given).  */
int cache_put_blob (pull_cache_t *c, const char *digest, const char *data, size_t len, hako_error_t **err);
/* Record NAME -> the manifest descriptor in the cache's index.json.  */
int cache_tag (pull_cache_t *c, const char *name, const hako_img_descriptor *manifest, hako_error_t **err);
/* The manifest descriptor recorded under NAME (a copy), or NULL.  */
int cache_lookup (pull_cache_t *c, const char *name, hako_img_descriptor **out, hako_error_t **err);
int cache_list (pull_cache_t *c, bool json, FILE *out, hako_error_t **err);
int cache_rmi (pull_cache_t *c, char *const *names, size_t n, hako_error_t **err);
int cache_prune (pull_cache_t *c, bool quiet, hako_error_t **err);

/* ---------------------------------------------------------------- image */
typedef struct pull_image
{
  hako_img_descriptor *manifest_desc; /* the platform's manifest */
  hako_img_manifest *manifest;
  hako_img_image_config *config;
  char *config_json;   /* as stored, for the cache */
  char *manifest_json; /* the platform's manifest as fetched */
  char **blob_paths;   /* one per layer, readable (cache, staging or layout) */
  char **staged;       /* blobs downloaded by this pull, to commit */
  char **staged_digests;
  size_t n_staged;
  char *layout_tmp; /* oci-archive: the extracted layout, removed at the end */
  /* Downloads still to do (image_download), one stream per layer.  */
  registry_t *reg;
  size_t *pending;  /* layer indexes */
  int *pending_fds; /* their staged files */
  size_t n_pending;
  pull_stream_t *streams;
  size_t *stream_of; /* layer -> its stream (a repeated layer shares one) */
} pull_image_t;

/* Resolve the image; layers not yet cached are staged (empty) for
   image_download, which may run while they are unpacked.  */
int image_fetch (const pull_ref_t *ref, const pull_opts_t *o, pull_cache_t *cache, pull_image_t **out,
                 hako_error_t **err);
int image_download (pull_image_t *img, const pull_opts_t *o, hako_error_t **err);
/* Make the staged blobs and the name permanent in the cache.  */
int image_commit (const pull_ref_t *ref, pull_cache_t *cache, pull_image_t *img, hako_error_t **err);
void image_free (pull_image_t *img);
/* "linux/amd64" etc for the host.  */
void pull_host_platform (const char **os, const char **arch, const char **variant);

/* ---------------------------------------------------------------- unpack */
typedef struct unpack_stats
{
  uint64_t entries;
  uint64_t bytes;
  uint64_t skipped_devices; /* not root: device nodes cannot be made */
  bool blob_damaged;        /* the blob's bytes do not match its descriptor */
} unpack_stats_t;

/* Apply one layer (a tar, maybe compressed) to the rootfs ROOTFD, verifying
   the blob's digest and size while reading it.  */
int unpack_layer (int rootfd, const char *blob_path, const hako_img_descriptor *d, pull_stream_t *stream, bool progress,
                  unpack_stats_t *stats, hako_error_t **err);
/* Remove NAME under DIRFD recursively, never following symlinks.  */
int pull_remove_tree_at (int dirfd, const char *name, hako_error_t **err);
/* Open PATH (relative) inside the root ROOTFD as openat2 RESOLVE_IN_ROOT would.  */
int pull_open_in_root (int rootfd, const char *path, int flags, hako_error_t **err);

/* ---------------------------------------------------------------- bundle */
typedef struct pull_publish
{
  char *spec; /* HOST:CONTAINER/proto, normalized */
} pull_publish_t;

typedef struct bundle_opts
{
  char *const *args; /* after --: replace Cmd */
  size_t n_args;
  const char *hostname;
  char **env; /* --env K=V */
  size_t n_env;
  const char *cpus;
  const char *memory;
  const char *pids_limit;
  bool read_only;
  bool tty;
  const char *net; /* none (default), host, bridge */
  const char *net_config;
  char **publish; /* normalized H:C/proto */
  size_t n_publish;
} bundle_opts_t;

/* Normalize a --publish value to HOST:CONTAINER/proto.  */
int bundle_parse_publish (const char *text, char **out, hako_error_t **err);
int bundle_check_opts (const bundle_opts_t *b, hako_error_t **err);
/* Write DIR/config.json for the image whose rootfs is DIR/rootfs (ROOTFD).  */
int bundle_write_config (int bundlefd, int rootfd, const pull_image_t *img, const bundle_opts_t *b, hako_error_t **err);

#endif
