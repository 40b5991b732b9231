/* SPDX-License-Identifier: Apache-2.0 */
/* `validate`: a bundle checked against the spec and this host, every
   problem reported at once.  */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "hako.h"
#include "spec.h"
#include "validate.h"

/* The config is JSON but not a valid config: parse it again, collecting
   every type, range and missing-property error instead of stopping at the
   first.  Returns how many, 0 when it cannot say more than the parser.  */
static int
all_parse_errors (const hako_bundle_t *b, const char *name, char **report)
{
  hako_error_t *e = NULL;
  yajl_val tree = hako_json_parse_tree (b->config_json, b->config_len, name, &e);
  if (tree == NULL)
    {
      hako_error_free (e);
      return 0;
    }
  hako_json_sink_t sink = { 0 };
  hako_jpath_t root = { NULL, NULL, (size_t) -1, &sink };
  hako_spec_config *c = NULL;
  hako_spec_config_parse (tree, &root, &c, &e);
  hako_spec_config_free (c);
  hako_json_free (tree);
  hako_error_free (e);
  size_t need = 1;
  for (size_t i = 0; i < sink.len; i++)
    need += strlen (name) + 2 + strlen (sink.msgs[i]) + 1;
  char *out = hako_xmalloc (need);
  size_t at = 0;
  out[0] = '\0';
  for (size_t i = 0; i < sink.len; i++)
    at += (size_t) sprintf (out + at, "%s: %s\n", name, sink.msgs[i]);
  int n = (int) sink.len;
  hako_json_sink_clear (&sink);
  if (n == 0)
    free (out);
  else
    *report = out;
  return n;
}

int
hako_validate_bundle (const char *bundle, const char *config_file, char **report, hako_error_t **err)
{
  *report = NULL;
  hako_bundle_t *b = NULL;
  hako_error_t *lerr = NULL;
  int rc = hako_bundle_load (bundle, config_file, &b, &lerr);
  if (rc < 0 && (b == NULL || b->config == NULL))
    {
      int n = b && b->config_json ? all_parse_errors (b, config_file ? config_file : "config.json", report) : 0;
      hako_bundle_free (b);
      if (n > 0)
        {
          hako_error_free (lerr);
          return n;
        }
      *err = lerr;
      return -1;
    }
  hako_problems_t p = { 0 };
  if (lerr)
    {
      /* The config parsed but root.path did not resolve.  */
      cleanup_free char *t = hako_error_text (lerr);
      hako_problems_add (&p, "%s", t);
      hako_error_free (lerr);
    }
  size_t first = p.len; /* a load error names the file already */
  hako_validate_collect (b->config, b->bundle, b->rootfs, true, &p);
  const char *name = config_file ? config_file : "config.json";
  size_t need = 1;
  for (size_t i = 0; i < p.len; i++)
    need += strlen (name) + 2 + strlen (p.msgs[i]) + 1;
  if (p.len)
    {
      char *out = hako_xmalloc (need);
      size_t at = 0;
      for (size_t i = 0; i < p.len; i++)
        at += (size_t) sprintf (out + at, "%s%s%s\n", i < first ? "" : name, i < first ? "" : ": ", p.msgs[i]);
      *report = out;
    }
  int n = (int) p.len;
  hako_problems_clear (&p);
  hako_bundle_free (b);
  return n;
}
