/* SPDX-License-Identifier: Apache-2.0 */
/* The generated config parser: valid documents, error messages with their
   JSON paths, and the round trip through the serializer.  */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "runtime-spec.h"
#include "spec.h"
#include "tap.h"

/* Parse TEXT; return the error text (malloc'd) or NULL on success.  */
static char *
parse_error (const char *text)
{
  hako_error_t *err = NULL;
  hako_spec_config *c = hako_spec_config_parse_data (text, strlen (text), "config.json", &err);
  if (c)
    {
      hako_spec_config_free (c);
      return NULL;
    }
  char *t = hako_error_text (err);
  hako_error_free (err);
  return t;
}

static void
expect_error (const char *text, const char *want, const char *what)
{
  char *got = parse_error (text);
  tap_is_str (got, want, "%s", what);
  free (got);
}

static void
test_default_round_trip (void)
{
  hako_error_t *err = NULL;
  hako_spec_config *c = hako_spec_default (false, &err);
  tap_ok (c != NULL, "the default config parses");
  size_t len;
  char *json = hako_spec_config_to_json (c, 0, &len, &err);
  hako_spec_config *c2 = hako_spec_config_parse_data (json, len, "round trip", &err);
  char *json2 = c2 ? hako_spec_config_to_json (c2, 0, NULL, &err) : NULL;
  tap_is_str (json2, json, "serialize, parse, serialize gives the same text");
  free (json);
  free (json2);
  hako_spec_config_free (c);
  hako_spec_config_free (c2);
}

int
main (void)
{
  test_default_round_trip ();
  expect_error ("{\"ociVersion\":\"1.0.0\",\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1G\"}}}}",
                "config.json: linux.resources.memory.limit: expected integer, got string", "wrong type names the path");
  expect_error ("{\"ociVersion\":\"1.0.0\",\"mounts\":[{\"destination\":\"/a\"},{\"type\":\"tmpfs\"}]}",
                "config.json: mounts[1].destination: required property is missing", "missing field in an array element");
  expect_error ("{\"hostname\":\"x\"}", "config.json: ociVersion: required property is missing", "missing top-level field");
  return tap_done ();
}
