/* SPDX-License-Identifier: Apache-2.0 */
/* The distribution API v2 (distribution-spec spec.md "Pull") over libcurl:
   the /v2/ ping that also tells which auth the registry wants, Docker's
   bearer-token flow (WWW-Authenticate: Bearer realm,service,scope) and
   basic auth, manifests by tag or digest, blobs streamed to a file and
   hashed on the way.  One easy handle per registry, so the connection is
   reused.  HTTPS with the system CAs; plain HTTP only as a fallback for a
   loopback registry or with --tls-verify=false, as skopeo allows.  */
#include <config.h>

#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "pull.h"

#define ACCEPT_MANIFESTS "Accept: " MT_OCI_INDEX ", " MT_OCI_MANIFEST ", " MT_DOCKER_LIST ", " MT_DOCKER_MANIFEST

struct registry
{
  CURL *curl;
  const pull_ref_t *ref;
  char *base; /* scheme://host */
  char *userpass;
  char *authz; /* "Authorization: ..." or NULL */
  bool basic;  /* the registry asked for basic auth */
  bool tls_verify;
  bool progress;
  CURLcode last; /* of the last transfer */
  char errbuf[CURL_ERROR_SIZE];
};

/* What one request brought back.  Bodies of successful blob requests go
   to FD through the hasher; everything else is kept in memory (bounded). */
struct response
{
  registry_t *r;
  long status;
  char *body;
  size_t len;
  size_t max;
  char *content_type;
  char *www_auth;
  /* blob sink */
  int fd;
  pull_hasher_t *hasher;
  int64_t expected;
  int64_t written;
  pull_progress_t *prog;
  pull_stream_t *stream;
  bool too_big;
  int write_errno;
};

static void
response_reset (struct response *s)
{
  free (s->body);
  free (s->content_type);
  free (s->www_auth);
  s->body = s->content_type = s->www_auth = NULL;
  s->len = 0;
  s->status = 0;
}

static bool
status_ok (struct response *s)
{
  long code = 0;
  curl_easy_getinfo (s->r->curl, CURLINFO_RESPONSE_CODE, &code);
  return code >= 200 && code < 300;
}

static size_t
on_body (char *data, size_t size, size_t nmemb, void *user)
{
  struct response *s = user;
  size_t n = size * nmemb;
  if (PULL_STOP)
    return 0;
  if (s->fd >= 0 && status_ok (s))
    {
      if (s->written + (int64_t) n > s->expected)
        {
          s->too_big = true;
          return 0;
        }
      pull_hasher_update (s->hasher, data, n);
      if (pull_write_all (s->fd, data, n) < 0)
        {
          s->write_errno = errno;
          return 0;
        }
      s->written += (int64_t) n;
      if (s->stream)
        pull_stream_update (s->stream, s->written, false, false);
      return n;
    }
  if (s->len + n > s->max)
    {
      s->too_big = true;
      return 0;
    }
  s->body = hako_xrealloc (s->body, s->len + n + 1);
  memcpy (s->body + s->len, data, n);
  s->len += n;
  s->body[s->len] = '\0';
  return n;
}

static char *
header_value (const char *line, size_t n, const char *name)
{
  size_t nl = strlen (name);
  if (n <= nl || strncasecmp (line, name, nl) != 0 || line[nl] != ':')
    return NULL;
  const char *v = line + nl + 1;
  const char *end = line + n;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
    end--;
  return hako_xstrndup (v, (size_t) (end - v));
}

static size_t
on_header (char *line, size_t size, size_t nmemb, void *user)
{
  struct response *s = user;
  size_t n = size * nmemb;
  char *v;
  if (n >= 5 && strncmp (line, "HTTP/", 5) == 0)
    {
      /* A new response (after a redirect): forget the previous headers.  */
      free (s->content_type);
      free (s->www_auth);
      s->content_type = s->www_auth = NULL;
    }
  else if ((v = header_value (line, n, "Content-Type")))
    {
      free (s->content_type);
      s->content_type = v;
    }
  else if ((v = header_value (line, n, "WWW-Authenticate")))
    {
      free (s->www_auth);
      s->www_auth = v;
    }
  return n;
}

static int
on_progress (void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
  struct response *s = user;
  if (PULL_STOP)
    return 1;
  if (s->prog)
    progress_update (s->prog, s->written);
  return 0;
}

/* One GET.  Returns 0 when a response came (whatever its status), -1 when
   none did (connection, TLS, interrupted, too large).  */
static int
do_get (registry_t *r, const char *url, const char *accept, bool use_auth, struct response *s, hako_error_t **err)
{
  struct curl_slist *hdrs = NULL;
  if (accept)
    hdrs = curl_slist_append (hdrs, accept);
  if (use_auth && r->authz)
    hdrs = curl_slist_append (hdrs, r->authz);
  s->r = r;
  curl_easy_setopt (r->curl, CURLOPT_URL, url);
  curl_easy_setopt (r->curl, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt (r->curl, CURLOPT_WRITEDATA, s);
  curl_easy_setopt (r->curl, CURLOPT_HEADERDATA, s);
  curl_easy_setopt (r->curl, CURLOPT_XFERINFODATA, s);
  r->errbuf[0] = '\0';
  CURLcode rc = r->last = curl_easy_perform (r->curl);
  curl_easy_setopt (r->curl, CURLOPT_HTTPHEADER, NULL);
  curl_slist_free_all (hdrs);
  curl_easy_getinfo (r->curl, CURLINFO_RESPONSE_CODE, &s->status);
  if (rc == CURLE_OK)
    return 0;
  if (pull_interrupted)
    return hako_error_set (err, EINTR, "%s: interrupted", url);
  if (pull_cancelled)
    return hako_error_set (err, ECANCELED, "%s: cancelled", url);
  if (s->too_big && s->fd >= 0)
    return hako_error_set (err, 0, "%s: the registry sent more than the %lld bytes the descriptor says", url,
                           (long long) s->expected);
  if (s->too_big)
    return hako_error_set (err, 0, "%s: response larger than %zu bytes", url, s->max);
  if (s->write_errno)
    return hako_error_set (err, s->write_errno, "%s: writing the blob", url);
  return hako_error_set (err, 0, "%s: %s", url, r->errbuf[0] ? r->errbuf : curl_easy_strerror (rc));
}

/* auth-param of a challenge: KEY=VALUE or KEY="VALUE" (with \-escapes).  */
static char *
challenge_param (const char *ch, const char *key)
{
  size_t kl = strlen (key);
  const char *p = ch;
  while ((p = strcasestr (p, key)) != NULL)
    {
      bool at_start = p == ch || p[-1] == ' ' || p[-1] == ',';
      const char *q = p + kl;
      while (*q == ' ')
        q++;
      if (! at_start || *q != '=')
        {
          p += kl;
          continue;
        }
      q++;
      while (*q == ' ')
        q++;
      char *out = hako_xmalloc (strlen (q) + 1);
      size_t n = 0;
      if (*q == '"')
        {
          for (q++; *q && *q != '"'; q++)
            {
              if (*q == '\\' && q[1])
                q++;
              out[n++] = *q;
            }
        }
      else
        while (*q && *q != ',' && *q != ' ')
          out[n++] = *q++;
      out[n] = '\0';
      return out;
    }
  return NULL;
}

static char *
base64 (const char *s)
{
  size_t n = strlen (s);
  char *out = hako_xmalloc (4 * ((n + 2) / 3) + 1);
  EVP_EncodeBlock ((unsigned char *) out, (const unsigned char *) s, (int) n);
  return out;
}

static const char *
user_of (const registry_t *r, char *buf, size_t n)
{
  const char *colon = strchr (r->userpass, ':');
  snprintf (buf, n, "%.*s", (int) (colon - r->userpass), r->userpass);
  return buf;
}

/* The bearer flow: GET realm?service=..&scope=repository:REPO:pull, with
   basic credentials when we have them; the answer holds the token.  */
static int
fetch_token (registry_t *r, const char *challenge, hako_error_t **err)
{
  cleanup_free char *realm = challenge_param (challenge, "realm");
  cleanup_free char *service = challenge_param (challenge, "service");
  if (realm == NULL || realm[0] == '\0')
    return hako_error_set (err, 0, "%s: bearer challenge without a realm: %s", r->ref->host, challenge);
  if (strncmp (realm, "https://", 8) != 0 && strncmp (realm, "http://", 7) != 0)
    return hako_error_set (err, 0, "%s: token realm `%s` is not an http(s) URL", r->ref->host, realm);
  cleanup_free char *scope = hako_strdup_printf ("repository:%s:pull", r->ref->repository);
  char *esc_scope = curl_easy_escape (r->curl, scope, 0);
  char *esc_service = service ? curl_easy_escape (r->curl, service, 0) : NULL;
  cleanup_free char *url = hako_strdup_printf ("%s%sscope=%s%s%s", realm, strchr (realm, '?') ? "&" : "?", esc_scope,
                                               esc_service ? "&service=" : "", esc_service ? esc_service : "");
  curl_free (esc_scope);
  curl_free (esc_service);

  struct response s = { .fd = -1, .max = 1 << 20 };
  if (r->userpass)
    {
      curl_easy_setopt (r->curl, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
      curl_easy_setopt (r->curl, CURLOPT_USERPWD, r->userpass);
    }
  int ret = do_get (r, url, NULL, false, &s, err);
  curl_easy_setopt (r->curl, CURLOPT_USERPWD, NULL);
  if (ret < 0)
    goto out;
  if (s.status == 401 || s.status == 403)
    {
      char user[256];
      ret = r->userpass ? hako_error_set (err, 0, "%s: wrong credentials for user `%s` (token service said %ld)",
                                          r->ref->domain, user_of (r, user, sizeof user), s.status)
                        : hako_error_set (err, 0, "%s: the token service refused anonymous access (%ld)",
                                          r->ref->domain, s.status);
      goto out;
    }
  if (s.status != 200)
    {
      ret = hako_error_set (err, 0, "%s: token service answered %ld", realm, s.status);
      goto out;
    }
  hako_img_token_response *t = hako_img_token_parse_data (s.body ? s.body : "", s.len, "token response", err);
  if (t == NULL)
    {
      ret = -1;
      goto out;
    }
  const char *tok = t->token && t->token[0] ? t->token : t->access_token;
  if (tok == NULL || tok[0] == '\0')
    ret = hako_error_set (err, 0, "%s: token response holds no token", realm);
  else
    {
      free (r->authz);
      r->authz = hako_strdup_printf ("Authorization: Bearer %s", tok);
    }
  hako_img_token_response_free (t);
out:
  response_reset (&s);
  return ret;
}

/* Act on a 401's challenge: get a token, or use basic credentials.  */
static int
authenticate (registry_t *r, const char *challenge, hako_error_t **err)
{
  if (challenge == NULL)
    return hako_error_set (err, 0, "%s: unauthorized, and no WWW-Authenticate challenge", r->ref->domain);
  if (strncasecmp (challenge, "Bearer", 6) == 0)
    return fetch_token (r, challenge, err);
  if (strncasecmp (challenge, "Basic", 5) == 0)
    {
      r->basic = true;
      if (r->userpass == NULL)
        return hako_error_set (err, 0,
                               "%s: authentication required: give --creds USER:PASSWORD or log in "
                               "(auth.json, ~/.docker/config.json)",
                               r->ref->domain);
      cleanup_free char *b = base64 (r->userpass);
      free (r->authz);
      r->authz = hako_strdup_printf ("Authorization: Basic %s", b);
      return 0;
    }
  return hako_error_set (err, 0, "%s: unsupported authentication scheme: %s", r->ref->domain, challenge);
}

/* The distribution-spec error body, as one line.  */
static char *
error_text (const struct response *s)
{
  if (s->body && s->len > 0)
    {
      hako_error_t *e = NULL;
      hako_img_registry_errors *re = hako_img_errors_parse_data (s->body, s->len, "error body", &e);
      hako_error_free (e);
      if (re && re->errors_len > 0)
        {
          const hako_img_registry_error *x = re->errors[0];
          char *t = hako_strdup_printf ("%s (%s)", x->message ? x->message : "error", x->code ? x->code : "?");
          hako_img_registry_errors_free (re);
          return t;
        }
      hako_img_registry_errors_free (re);
    }
  return hako_strdup_printf ("HTTP status %ld", s->status);
}

static bool
error_code_is (const struct response *s, const char *code)
{
  return s->body && strstr (s->body, code) != NULL;
}

/* GET with auth: on a 401, answer the challenge once and retry.  */
static int
get_authed (registry_t *r, const char *url, const char *accept, struct response *s, hako_error_t **err)
{
  for (int attempt = 0;; attempt++)
    {
      if (do_get (r, url, accept, true, s, err) < 0)
        return -1;
      if (s->status != 401)
        return 0;
      char user[256];
      if (attempt > 0 || (r->basic && r->authz))
        {
          if (r->userpass)
            return hako_error_set (err, 0, "%s: wrong credentials for user `%s`", r->ref->domain,
                                   user_of (r, user, sizeof user));
          cleanup_free char *t = error_text (s);
          return hako_error_set (err, 0, "%s/%s: unauthorized: %s%s", r->ref->domain, r->ref->repository, t,
                                 r->userpass ? "" : "; give --creds USER:PASSWORD or log in");
        }
      cleanup_free char *ch = s->www_auth ? hako_xstrdup (s->www_auth) : NULL;
      response_reset (s);
      if (authenticate (r, ch, err) < 0)
        return -1;
    }
}

static void
setup_handle (registry_t *r)
{
  CURL *c = r->curl;
  curl_easy_setopt (c, CURLOPT_ERRORBUFFER, r->errbuf);
  curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt (c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt (c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt (c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt (c, CURLOPT_MAXREDIRS, 10L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt (c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt (c, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
  curl_easy_setopt (c, CURLOPT_REDIR_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt (c, CURLOPT_USERAGENT, "hako-pull/" PACKAGE_VERSION);
  curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT, 30L);
  /* A stalled transfer (under 1 byte/s for a minute) fails.  */
  curl_easy_setopt (c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt (c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
  /* Fewer, larger writes into the staged blob.  */
  curl_easy_setopt (c, CURLOPT_BUFFERSIZE, 256L << 10);
  curl_easy_setopt (c, CURLOPT_SSL_VERIFYPEER, r->tls_verify ? 1L : 0L);
  curl_easy_setopt (c, CURLOPT_SSL_VERIFYHOST, r->tls_verify ? 2L : 0L);
}

/* The /v2/ ping, which also settles the scheme.  HTTPS; for a loopback
   registry plain HTTP first (it is the usual local set-up, and a TLS
   handshake with a plain server costs a round of timeouts), then HTTPS
   when that is not a registry's answer; with --tls-verify=false, HTTP
   when HTTPS is not answered.  */
static int
ping (registry_t *r, const pull_opts_t *o, struct response *s, char **url, hako_error_t **err)
{
  const pull_ref_t *ref = r->ref;
  bool loop = pull_host_is_loopback (ref->host);
  const char *schemes[2] = { loop ? "http" : "https", loop ? "https" : (o->tls_verify ? NULL : "http") };
  hako_error_t *first = NULL;
  for (int i = 0; i < 2 && schemes[i]; i++)
    {
      free (r->base);
      free (*url);
      r->base = hako_strdup_printf ("%s://%s", schemes[i], ref->host);
      *url = hako_strdup_printf ("%s/v2/", r->base);
      response_reset (s);
      hako_error_t *e = NULL;
      int ret = do_get (r, *url, NULL, false, s, &e);
      bool last = i == 1 || schemes[1] == NULL;
      /* A registry answers 200 or 401; a TLS server spoken to in plain
         HTTP answers 400.  */
      if (ret == 0 && (last || ! (loop && s->status == 400)))
        {
          hako_error_free (first);
          return 0;
        }
      /* A TLS server whose certificate we do not trust is not a plain
         HTTP server: that is the error, no other scheme is tried.  */
      if (ret < 0 && (pull_interrupted || r->last == CURLE_PEER_FAILED_VERIFICATION || last))
        {
          hako_error_free (first);
          *err = e;
          hako_error_prefix (err, "cannot reach registry %s", ref->domain);
          return -1;
        }
      if (first == NULL)
        first = e;
      else
        hako_error_free (e);
    }
  /* Not reached: the last scheme returns above.  */
  *err = first;
  return -1;
}

int
registry_open (const pull_ref_t *ref, const pull_opts_t *o, registry_t **out, hako_error_t **err)
{
  static bool inited;
  if (! inited)
    {
      curl_global_init (CURL_GLOBAL_DEFAULT);
      inited = true;
    }
  registry_t *r = hako_xcalloc (1, sizeof (*r));
  *out = r;
  r->ref = ref;
  r->tls_verify = o->tls_verify;
  r->progress = o->progress;
  r->curl = curl_easy_init ();
  if (r->curl == NULL)
    return hako_error_set (err, 0, "cannot initialize libcurl");
  setup_handle (r);
  if (auth_lookup (o, ref, &r->userpass, err) < 0)
    return -1;

  struct response s = { .fd = -1, .max = 1 << 20 };
  cleanup_free char *url = NULL;
  if (ping (r, o, &s, &url, err) < 0)
    return -1;
  int ret = 0;
  if (s.status == 401)
    {
      cleanup_free char *ch = s.www_auth ? hako_xstrdup (s.www_auth) : NULL;
      response_reset (&s);
      ret = authenticate (r, ch, err);
      /* Basic credentials are checked now, for a clear early error.  */
      if (ret == 0 && r->basic)
        {
          ret = do_get (r, url, NULL, true, &s, err);
          if (ret == 0 && s.status == 401)
            {
              char user[256];
              ret = hako_error_set (err, 0, "%s: wrong credentials for user `%s`", ref->domain,
                                    user_of (r, user, sizeof user));
            }
        }
    }
  else if (s.status != 200)
    ret = hako_error_set (err, 0, "%s does not look like a registry: GET /v2/ answered %ld", ref->domain, s.status);
  response_reset (&s);
  return ret;
}

void
registry_free (registry_t *r)
{
  if (r == NULL)
    return;
  if (r->curl)
    curl_easy_cleanup (r->curl);
  free (r->base);
  if (r->userpass)
    explicit_bzero (r->userpass, strlen (r->userpass));
  free (r->userpass);
  free (r->authz);
  free (r);
}

static int
not_found (registry_t *r, struct response *s, const char *what, hako_error_t **err)
{
  cleanup_free char *t = error_text (s);
  if (s->status == 404 && error_code_is (s, "NAME_UNKNOWN"))
    return hako_error_set (err, 0, "%s/%s: repository not found: %s", r->ref->domain, r->ref->repository, t);
  if (s->status == 404)
    return hako_error_set (err, 0, "%s/%s: %s not found: %s", r->ref->domain, r->ref->repository, what, t);
  return hako_error_set (err, 0, "%s/%s: %s: %s", r->ref->domain, r->ref->repository, what, t);
}

int
registry_get_manifest (registry_t *r, const char *reference, char **body, size_t *len, char **content_type,
                       hako_error_t **err)
{
  cleanup_free char *url = hako_strdup_printf ("%s/v2/%s/manifests/%s", r->base, r->ref->repository, reference);
  struct response s = { .fd = -1, .max = PULL_MAX_DOC };
  int ret = get_authed (r, url, ACCEPT_MANIFESTS, &s, err);
  if (ret == 0 && s.status != 200)
    {
      cleanup_free char *what = hako_strdup_printf ("manifest `%s`", reference);
      ret = not_found (r, &s, what, err);
    }
  if (ret == 0)
    {
      *body = s.body ? TAKE_PTR (s.body) : hako_xstrdup ("");
      *len = s.len;
      *content_type = s.content_type ? TAKE_PTR (s.content_type) : NULL;
    }
  response_reset (&s);
  return ret;
}

int
registry_get_blob (registry_t *r, const hako_img_descriptor *d, int fd, bool progress, pull_stream_t *stream,
                   hako_error_t **err)
{
  cleanup_free char *url = hako_strdup_printf ("%s/v2/%s/blobs/%s", r->base, r->ref->repository, d->digest);
  pull_progress_t prog;
  progress_start (&prog, progress, "downloading", d->digest, d->size);
  struct response s = { .fd = fd, .max = 64 << 10, .expected = d->size, .prog = &prog, .stream = stream };
  s.hasher = pull_hasher_new (d->digest);
  int ret = get_authed (r, url, NULL, &s, err);
  if (ret == 0 && s.status != 200)
    {
      cleanup_free char *what = hako_strdup_printf ("blob %s", d->digest);
      ret = not_found (r, &s, what, err);
    }
  if (ret == 0 && s.written != d->size)
    ret = hako_error_set (err, 0, "blob %s: truncated: got %lld of %lld bytes", d->digest, (long long) s.written,
                          (long long) d->size);
  if (ret == 0)
    {
      cleanup_free char *got = pull_hasher_finish (TAKE_PTR (s.hasher));
      if (strcmp (got, d->digest) != 0)
        ret = hako_error_set (err, 0, "blob %s: digest mismatch: the registry sent %s", d->digest, got);
    }
  pull_hasher_free (s.hasher);
  if (ret == 0)
    progress_finish (&prog, "downloaded");
  else if (progress)
    fputc ('\n', stderr);
  response_reset (&s);
  return ret;
}

int
registry_get_small_blob (registry_t *r, const hako_img_descriptor *d, char **body, hako_error_t **err)
{
  if (d->size < 0 || (uint64_t) d->size > PULL_MAX_DOC)
    return hako_error_set (err, 0, "blob %s: size %lld is too large for a config", d->digest, (long long) d->size);
  cleanup_free char *url = hako_strdup_printf ("%s/v2/%s/blobs/%s", r->base, r->ref->repository, d->digest);
  struct response s = { .fd = -1, .max = PULL_MAX_DOC };
  int ret = get_authed (r, url, NULL, &s, err);
  if (ret == 0 && s.status != 200)
    {
      cleanup_free char *what = hako_strdup_printf ("blob %s", d->digest);
      ret = not_found (r, &s, what, err);
    }
  if (ret == 0)
    ret = pull_verify_buffer ("config", s.body ? s.body : "", s.len, d->digest, d->size, err);
  if (ret == 0)
    *body = s.body ? TAKE_PTR (s.body) : hako_xstrdup ("");
  response_reset (&s);
  return ret;
}
