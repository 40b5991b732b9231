/* SPDX-License-Identifier: Apache-2.0 */
/* Digests (descriptor.md "Digests"): sha256 and sha512 through libcrypto.
   Nothing from a registry, a layout or the cache is used before its bytes
   hashed to the digest that names them.  */
#include <config.h>

#include <openssl/evp.h>
#include <string.h>

#include "cleanup.h"
#include "pull.h"

struct pull_hasher
{
  EVP_MD_CTX *ctx;
  const char *algo;
};

int
pull_digest_check (const char *digest, hako_error_t **err)
{
  size_t want;
  if (strncmp (digest, "sha256:", 7) == 0)
    want = 64;
  else if (strncmp (digest, "sha512:", 7) == 0)
    want = 128;
  else
    return hako_error_set (err, 0, "digest `%s`: algorithm must be sha256 or sha512", digest);
  const char *hex = digest + 7;
  if (strlen (hex) != want)
    return hako_error_set (err, 0, "digest `%s`: expected %zu hex digits", digest, want);
  for (const char *p = hex; *p; p++)
    if (! ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return hako_error_set (err, 0, "digest `%s`: expected lower-case hex digits", digest);
  return 0;
}

const char *
pull_digest_hex (const char *digest)
{
  const char *c = strchr (digest, ':');
  return c ? c + 1 : digest;
}

pull_hasher_t *
pull_hasher_new (const char *digest)
{
  pull_hasher_t *h = hako_xcalloc (1, sizeof (*h));
  bool s512 = strncmp (digest, "sha512:", 7) == 0;
  h->algo = s512 ? "sha512" : "sha256";
  h->ctx = EVP_MD_CTX_new ();
  if (h->ctx == NULL || EVP_DigestInit_ex (h->ctx, s512 ? EVP_sha512 () : EVP_sha256 (), NULL) != 1)
    abort ();
  return h;
}

void
pull_hasher_update (pull_hasher_t *h, const void *data, size_t len)
{
  if (len > 0 && EVP_DigestUpdate (h->ctx, data, len) != 1)
    abort ();
}

char *
pull_hasher_finish (pull_hasher_t *h)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  static const char hexd[] = "0123456789abcdef";
  if (EVP_DigestFinal_ex (h->ctx, md, &n) != 1)
    abort ();
  char *out = hako_xmalloc (strlen (h->algo) + 2 + 2 * n);
  char *p = stpcpy (out, h->algo);
  *p++ = ':';
  for (unsigned int i = 0; i < n; i++)
    {
      *p++ = hexd[md[i] >> 4];
      *p++ = hexd[md[i] & 15];
    }
  *p = '\0';
  pull_hasher_free (h);
  return out;
}

void
pull_hasher_free (pull_hasher_t *h)
{
  if (h == NULL)
    return;
  EVP_MD_CTX_free (h->ctx);
  free (h);
}

int
pull_verify_buffer (const char *what, const void *data, size_t len, const char *digest, int64_t size,
                    hako_error_t **err)
{
  if (pull_digest_check (digest, err) < 0)
    {
      hako_error_prefix (err, "%s", what);
      return -1;
    }
  if (size >= 0 && (uint64_t) size != len)
    return hako_error_set (err, 0, "%s %s: size is %zu bytes, the descriptor says %lld", what, digest, len,
                           (long long) size);
  pull_hasher_t *h = pull_hasher_new (digest);
  pull_hasher_update (h, data, len);
  cleanup_free char *got = pull_hasher_finish (h);
  if (strcmp (got, digest) != 0)
    return hako_error_set (err, 0, "%s: digest mismatch: expected %s, got %s", what, digest, got);
  return 0;
}
