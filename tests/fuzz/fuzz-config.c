/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target for the generated parsers and serializers of every
   document hako reads: runtime-spec (config, process, resources, state,
   features, seccomp agent state), hako's state record, the OCI image
   documents and registry answers of hako-pull (image-spec.ospec), and the
   CNI documents of hako-net (cni.ospec).

   Each input is parsed into a tree once and offered to every top-level
   document.  What must hold:
   - parsing never crashes, leaks or reads out of bounds (ASan, UBSan);
   - an error message is one line of valid UTF-8 without control bytes
     (it ends up in logs, and in JSON logs read by containerd);
   - whatever parses serializes, the output parses again, and serializing
     that gives the same bytes (the serializer is a fixed point), pretty
     printed or not;
   - collecting every error (hako validate) agrees with stopping at the
     first one.  */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni.h"
#include "hako-state.h"
#include "image-spec.h"
#include "runtime-spec.h"

static void __attribute__ ((noreturn)) die (const char *what, const char *doc, hako_error_t *err)
{
  fprintf (stderr, "%s\n  document: %s\n  error: %s\n", what, doc, err ? err->msg : "(none)");
  abort ();
}

static void
check_error (hako_error_t *err)
{
  if (err == NULL || err->msg == NULL)
    die ("a parser failed without an error", "", err);
  char *t = hako_error_text (err);
  size_t n = strlen (t);
  if (! hako_utf8_valid (t, n))
    die ("error message is not valid UTF-8", t, err);
  for (size_t i = 0; i < n; i++)
    if ((unsigned char) t[i] < 0x20 || t[i] == 0x7f)
      die ("error message holds a control byte", t, err);
  free (t);
  hako_error_free (err);
}

/* TYPE is the document's C type, ROOT its functions' prefix.  */
#define ROUND_TRIP(type, root)                                                                                         \
  static void round_trip_##root (yajl_val tree)                                                                        \
  {                                                                                                                    \
    hako_error_t *err = NULL;                                                                                          \
    hako_jpath_t top = { NULL, NULL, (size_t) -1, NULL };                                                              \
    type *v = NULL;                                                                                                    \
    if (type##_parse (tree, &top, &v, &err) < 0)                                                                       \
      {                                                                                                                \
        check_error (err);                                                                                             \
        type##_free (v);                                                                                               \
        return;                                                                                                        \
      }                                                                                                                \
    size_t n1 = 0, n2 = 0;                                                                                             \
    char *j1 = root##_to_json (v, 0, &n1, &err);                                                                       \
    if (j1 == NULL)                                                                                                    \
      die (#root ": a parsed document does not serialize", "", err);                                                   \
    type *w = root##_parse_data (j1, n1, "fuzz round trip", &err);                                                     \
    if (w == NULL)                                                                                                     \
      die (#root ": serialized output does not parse again", j1, err);                                                 \
    char *j2 = root##_to_json (w, 0, &n2, &err);                                                                       \
    if (j2 == NULL || n1 != n2 || memcmp (j1, j2, n1) != 0)                                                            \
      die (#root ": serializing twice gives different text", j1, err);                                                 \
    char *p = root##_to_json (v, HAKO_JSON_PRETTY | HAKO_JSON_TABS, NULL, &err);                                       \
    type *x = p ? root##_parse_data (p, strlen (p), "fuzz pretty", &err) : NULL;                                       \
    char *j3 = x ? root##_to_json (x, 0, NULL, &err) : NULL;                                                           \
    if (j3 == NULL || strcmp (j1, j3) != 0)                                                                            \
      die (#root ": pretty output differs", j1, err);                                                                  \
    free (j1);                                                                                                         \
    free (j2);                                                                                                         \
    free (j3);                                                                                                         \
    free (p);                                                                                                          \
    type##_free (v);                                                                                                   \
    type##_free (w);                                                                                                   \
    type##_free (x);                                                                                                   \
  }

ROUND_TRIP (hako_spec_config, hako_spec_config)
ROUND_TRIP (hako_spec_process, hako_spec_process)
ROUND_TRIP (hako_spec_linux_resources, hako_spec_resources)
ROUND_TRIP (hako_spec_state, hako_spec_state)
ROUND_TRIP (hako_spec_features, hako_spec_features)
ROUND_TRIP (hako_spec_container_process_state, hako_spec_process_state)
ROUND_TRIP (hako_st_record, hako_st_record)
ROUND_TRIP (hako_img_manifest, hako_img_manifest)
ROUND_TRIP (hako_img_index, hako_img_index)
ROUND_TRIP (hako_img_versioned, hako_img_versioned)
ROUND_TRIP (hako_img_image_config, hako_img_config)
ROUND_TRIP (hako_img_oci_layout, hako_img_layout)
ROUND_TRIP (hako_img_token_response, hako_img_token)
ROUND_TRIP (hako_img_registry_errors, hako_img_errors)
ROUND_TRIP (hako_img_auth_file, hako_img_auth_file)
ROUND_TRIP (hako_img_image_summary, hako_img_summary)
ROUND_TRIP (hako_cni_net_conf, hako_cni_netconf)
ROUND_TRIP (hako_cni_net_conf_list, hako_cni_conflist)
ROUND_TRIP (hako_cni_result, hako_cni_result)
ROUND_TRIP (hako_cni_error_result, hako_cni_error)
ROUND_TRIP (hako_cni_version_request, hako_cni_version_request)
ROUND_TRIP (hako_cni_version_result, hako_cni_version)

/* Collecting every error (hako validate) must agree with stopping at the
   first: the same verdict, and the same first error.  */
static void
collect_agrees (yajl_val tree)
{
  hako_error_t *err = NULL;
  hako_jpath_t plain = { NULL, NULL, (size_t) -1, NULL };
  hako_spec_config *a = NULL, *b = NULL;
  int ra = hako_spec_config_parse (tree, &plain, &a, &err);
  hako_json_sink_t sink = { 0 };
  hako_jpath_t collect = { NULL, NULL, (size_t) -1, &sink };
  hako_error_t *cerr = NULL;
  int rb = hako_spec_config_parse (tree, &collect, &b, &cerr);
  if ((ra < 0) != (rb < 0) || cerr != NULL || (rb < 0) != (sink.len > 0))
    die ("collecting errors disagrees with stopping at the first", "", err);
  if (ra < 0 && strcmp (err->msg, sink.msgs[0]) != 0)
    die ("the first collected error is not the error", sink.msgs[0], err);
  hako_json_sink_clear (&sink);
  hako_error_free (err);
  hako_spec_config_free (a);
  hako_spec_config_free (b);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* The parsers take NUL-terminated text with its length, as read from a
     file; an embedded NUL must be rejected, not truncate the document.  */
  char *text = malloc (size + 1);
  if (text == NULL)
    return 0;
  memcpy (text, data, size);
  text[size] = '\0';
  /* The whole path once, as hako reads a config: text checks, tree,
     typed parse, the source named in errors.  */
  hako_error_t *err = NULL;
  hako_spec_config *c = hako_spec_config_parse_data (text, size, "config.json", &err);
  if (c == NULL)
    check_error (err);
  hako_spec_config_free (c);
  err = NULL;
  yajl_val tree = hako_json_parse_tree (text, size, "fuzz.json", &err);
  if (tree == NULL)
    {
      hako_error_free (err);
      free (text);
      return 0;
    }
  round_trip_hako_spec_config (tree);
  round_trip_hako_spec_process (tree);
  round_trip_hako_spec_resources (tree);
  round_trip_hako_spec_state (tree);
  round_trip_hako_spec_features (tree);
  round_trip_hako_spec_process_state (tree);
  round_trip_hako_st_record (tree);
  round_trip_hako_img_manifest (tree);
  round_trip_hako_img_index (tree);
  round_trip_hako_img_versioned (tree);
  round_trip_hako_img_config (tree);
  round_trip_hako_img_layout (tree);
  round_trip_hako_img_token (tree);
  round_trip_hako_img_errors (tree);
  round_trip_hako_img_auth_file (tree);
  round_trip_hako_img_summary (tree);
  round_trip_hako_cni_netconf (tree);
  round_trip_hako_cni_conflist (tree);
  round_trip_hako_cni_result (tree);
  round_trip_hako_cni_error (tree);
  round_trip_hako_cni_version_request (tree);
  round_trip_hako_cni_version (tree);
  collect_agrees (tree);
  hako_json_free (tree);
  free (text);
  return 0;
}
