/* SPDX-License-Identifier: Apache-2.0 */
/* The ospec generator itself, through tests/unit/gen-test.ospec: every
   type and integer width, nesting, maps of any, free-form objects,
   constraints, null and duplicate keys, and the serializer's output.  */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen-test.h"
#include "tap.h"

static hako_gt_doc *
parse (const char *text, char **error)
{
  hako_error_t *err = NULL;
  hako_gt_doc *d = hako_gt_doc_parse_data (text, strlen (text), "t.json", &err);
  *error = NULL;
  if (d == NULL)
    {
      *error = hako_error_text (err);
      hako_error_free (err);
    }
  return d;
}

/* Parse {"name":"n", BODY}; NULL on success, else the message.  */
static char *
error_of (const char *body)
{
  char *text = hako_strdup_printf ("{\"name\":\"n\",%s}", body);
  char *error;
  hako_gt_doc *d = parse (text, &error);
  hako_gt_doc_free (d);
  free (text);
  return error;
}

static void
expect_error (const char *body, const char *want)
{
  char *got = error_of (body);
  tap_is_str (got, want, "%s", body);
  free (got);
}

/* A whole document TEXT fails with WANT.  */
static void
expect_doc_error (const char *text, const char *want, const char *what)
{
  char *error;
  hako_gt_doc *d = parse (text, &error);
  tap_is_str (error, want, "%s", what);
  hako_gt_doc_free (d);
  free (error);
}

static void
expect_ok (const char *body)
{
  char *got = error_of (body);
  tap_ok (got == NULL, "accepted: %s", body);
  if (got)
    printf ("#   error: %s\n", got);
  free (got);
}

static char *
to_json (const hako_gt_doc *d)
{
  hako_error_t *err = NULL;
  char *j = hako_gt_doc_to_json (d, 0, NULL, &err);
  if (j == NULL)
    hako_error_free (err);
  return j;
}

/* A document using every field, written in the serializer's own order and
   format, so that serializing it must give the same bytes.  */
static const char full[]
    = "{\"name\":\"n\",\"flag\":true,\"i8v\":-128,\"i16v\":-32768,\"i32v\":-2147483648,"
      "\"i64v\":-9223372036854775808,\"u8v\":255,\"u16v\":65535,\"u32v\":4294967295,"
      "\"u64v\":18446744073709551615,\"ranged\":-5,\"mode\":493,\"real\":0.5,\"color\":\"green\","
      "\"colors\":[\"red\",\"blue\"],\"ports\":[1,65535],\"matrix\":[[1,2],[],[3]],"
      "\"grid\":[[{\"id\":1},{\"id\":2,\"tag\":\"b\"}]],\"triple\":[[[1],[2,3]],[]],"
      "\"labels\":{\"a.b/c\":\"x\",\"\":\"empty key\"},"
      "\"extra\":{\"n\":null,\"o\":{\"k\":[1,\"two\",false]},\"big\":1e400},"
      "\"lists\":{\"l\":[\"a\",\"b\"],\"e\":[]},\"nested\":{\"outer\":{\"inner\":{\"id\":7}}},"
      "\"rows\":[{\"a\":1},{}],\"anything\":[null,{\"x\":\"\xc3\xa9\"}],\"free\":{\"any\":\"thing\"},"
      "\"many\":[1,null,\"s\"],\"objects\":[{},{\"a\":{}}],\"child\":{\"id\":3},"
      "\"kids\":[{\"id\":4,\"tag\":\"t\"}],\"default\":\"d\",\"with.dots/and-dashes\":\"odd\"}";

static void
test_full_document (void)
{
  char *error;
  hako_gt_doc *d = parse (full, &error);
  tap_ok (d != NULL, "a document with every construct parses");
  if (d == NULL)
    {
      printf ("#   %s\n", error);
      free (error);
      return;
    }
  tap_ok (d->flag && d->has_flag, "bool");
  tap_ok (d->i8v == INT8_MIN && d->i16v == INT16_MIN && d->i32v == INT32_MIN && d->i64v == INT64_MIN,
          "signed minimums of every width");
  tap_ok (d->u8v == UINT8_MAX && d->u16v == UINT16_MAX && d->u32v == UINT32_MAX && d->u64v == UINT64_MAX,
          "unsigned maximums of every width");
  tap_ok (d->mode == 0755 && d->real == 0.5, "octal bound, double");
  tap_ok (d->colors_len == 2 && strcmp (d->colors[1], "blue") == 0, "[]string");
  tap_ok (d->matrix_len == 3 && d->matrix_lens[0] == 2 && d->matrix_lens[1] == 0 && d->matrix[2][0] == 3,
          "[][]i32 with an empty row");
  tap_ok (d->grid_len == 1 && d->grid_lens[0] == 2 && d->grid[0][1]->id == 2 && strcmp (d->grid[0][1]->tag, "b") == 0,
          "[][]struct");
  tap_ok (d->triple_len == 2 && d->triple_lens[0] == 2 && d->triple[0][1]->len == 2 && d->triple[0][1]->items[1] == 3
              && d->triple_lens[1] == 0,
          "[][][]u8 through a boxed array type");
  tap_ok (d->labels->len == 2 && strcmp (d->labels->keys[0], "a.b/c") == 0 && strcmp (d->labels->keys[1], "") == 0,
          "map<string> keeps document order and odd keys");
  tap_ok (d->extra->len == 3 && YAJL_IS_NULL (d->extra->values[0]) && YAJL_IS_OBJECT (d->extra->values[1]),
          "map<any> holds null and objects");
  tap_ok (d->lists->len == 2 && d->lists->values[0]->len == 2 && d->lists->values[1]->len == 0, "map<[]string>");
  tap_ok (d->nested->values[0]->values[0]->id == 7, "map<map<struct>>");
  tap_ok (d->rows_len == 2 && d->rows[0]->values[0] == 1 && d->rows[1]->len == 0, "[]map<u32>");
  tap_ok (YAJL_IS_ARRAY (d->anything) && YAJL_IS_OBJECT (d->free), "any and object");
  tap_ok (d->many_len == 3 && YAJL_IS_NULL (d->many[1]), "[]any keeps null");
  tap_ok (d->child->id == 3 && d->kids_len == 1 && strcmp (d->kids[0]->tag, "t") == 0, "struct and []struct");
  tap_ok (strcmp (d->default_, "d") == 0 && strcmp (d->odd_name, "odd") == 0, "C keyword and c= names");
  char *j = to_json (d);
  tap_is_str (j, full, "serializing gives the document back byte for byte");
  free (j);
  hako_gt_doc_free (d);
}

static void
test_ranges (void)
{
  static const struct
  {
    const char *key, *lo, *hi, *below, *above;
  } w[] = {
    { "i8v", "-128", "127", "-129", "128" },
    { "i16v", "-32768", "32767", "-32769", "32768" },
    { "i32v", "-2147483648", "2147483647", "-2147483649", "2147483648" },
    { "i64v", "-9223372036854775808", "9223372036854775807", "-9223372036854775809", "9223372036854775808" },
    { "u8v", "0", "255", "-1", "256" },
    { "u16v", "0", "65535", "-1", "65536" },
    { "u32v", "0", "4294967295", "-1", "4294967296" },
    { "u64v", "0", "18446744073709551615", "-1", "18446744073709551616" },
  };
  for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
    {
      char body[256], want[256];
      snprintf (body, sizeof body, "\"%s\":%s", w[i].key, w[i].lo);
      expect_ok (body);
      snprintf (body, sizeof body, "\"%s\":%s", w[i].key, w[i].hi);
      expect_ok (body);
      snprintf (body, sizeof body, "\"%s\":%s", w[i].key, w[i].below);
      snprintf (want, sizeof want, "t.json: %s: %s is out of range (%s..%s)", w[i].key, w[i].below, w[i].lo, w[i].hi);
      expect_error (body, want);
      snprintf (body, sizeof body, "\"%s\":%s", w[i].key, w[i].above);
      snprintf (want, sizeof want, "t.json: %s: %s is out of range (%s..%s)", w[i].key, w[i].above, w[i].lo, w[i].hi);
      expect_error (body, want);
    }
  expect_error ("\"ranged\":6", "t.json: ranged: 6 is out of range (-5..5)");
  expect_error ("\"ranged\":-6", "t.json: ranged: -6 is out of range (-5..5)");
  expect_error ("\"mode\":512", "t.json: mode: 512 is out of range (0..511)");
  expect_error ("\"ports\":[80,0]", "t.json: ports[1]: 0 is out of range (1..65535)");
  expect_error ("\"u64v\":123456789012345678901234567890123456789012345678901234567890",
                "t.json: u64v: 1234567890123456789012345678901234567890... is out of range (0..18446744073709551615)");
  expect_error ("\"i32v\":1.5", "t.json: i32v: expected integer, got number");
  expect_error ("\"i32v\":1e3", "t.json: i32v: expected integer, got number");
  expect_error ("\"real\":1e400", "t.json: real: 1e400 is out of range for a number");
  expect_ok ("\"real\":-12");
}

static void
test_types (void)
{
  expect_error ("\"flag\":\"true\"", "t.json: flag: expected boolean, got string");
  expect_error ("\"flag\":1", "t.json: flag: expected boolean, got integer");
  expect_error ("\"i64v\":\"1\"", "t.json: i64v: expected integer, got string");
  expect_error ("\"u8v\":true", "t.json: u8v: expected integer, got boolean");
  expect_error ("\"real\":\"0.5\"", "t.json: real: expected number, got string");
  expect_error ("\"color\":[]", "t.json: color: expected string, got array");
  expect_error ("\"colors\":\"red\"", "t.json: colors: expected array, got string");
  expect_error ("\"colors\":[\"red\",7]", "t.json: colors[1]: expected string, got integer");
  expect_error ("\"matrix\":[[1],2]", "t.json: matrix[1]: expected array, got integer");
  expect_error ("\"matrix\":[[1,\"2\"]]", "t.json: matrix[0][1]: expected integer, got string");
  expect_error ("\"triple\":[[[1,[]]]]", "t.json: triple[0][0][1]: expected integer, got array");
  expect_error ("\"labels\":[]", "t.json: labels: expected object, got array");
  expect_error ("\"labels\":{\"a b\":1}", "t.json: labels[\"a b\"]: expected string, got integer");
  expect_error ("\"lists\":{\"k\":{}}", "t.json: lists.k: expected array, got object");
  expect_error ("\"nested\":{\"o\":{\"i\":{\"id\":\"x\"}}}", "t.json: nested.o.i.id: expected integer, got string");
  expect_error ("\"rows\":[{\"a\":-1}]", "t.json: rows[0].a: -1 is out of range (0..4294967295)");
  expect_error ("\"free\":[]", "t.json: free: expected object, got array");
  expect_error ("\"objects\":[{},1]", "t.json: objects[1]: expected object, got integer");
  expect_error ("\"child\":\"c\"", "t.json: child: expected object, got string");
  expect_error ("\"child\":{}", "t.json: child.id: required property is missing");
  expect_error ("\"kids\":[{\"id\":1},{\"tag\":\"x\"}]", "t.json: kids[1].id: required property is missing");
  expect_error ("\"with.dots/and-dashes\":1", "t.json: [\"with.dots/and-dashes\"]: expected string, got integer");
  expect_error ("\"labels\":{\"a\\nb\\\"\":1}", "t.json: labels[\"a\\u000ab\\\"\"]: expected string, got integer");
  expect_ok ("\"anything\":\"whatever\",\"many\":[[],{}],\"unknown\":{\"deep\":[1]}");
}

static void
test_constraints (void)
{
  expect_error ("\"color\":\"pink\"", "t.json: color: unknown value \"pink\" (expected one of: red, green, blue)");
  expect_error ("\"colors\":[\"red\",\"Red\"]",
                "t.json: colors[1]: unknown value \"Red\" (expected one of: red, green, blue)");
  expect_error ("\"color\":\"\\u001b[31m\"",
                "t.json: color: unknown value \"\\u001b[31m\" (expected one of: red, green, blue)");
  expect_error ("\"kids\":[]", "t.json: kids: must not be empty");
  expect_error ("\"labels\":{}", "t.json: labels: must not be empty");
  expect_doc_error ("{\"name\":\"\"}", "t.json: name: must not be empty", "nonempty string");
  expect_doc_error ("{\"flag\":true}", "t.json: name: required property is missing", "required");
}

static void
test_null_and_duplicates (void)
{
  char *error;
  hako_gt_doc *d = parse ("{\"name\":\"n\",\"flag\":null,\"color\":null,\"colors\":null,\"child\":null,"
                          "\"labels\":null,\"anything\":null,\"u32v\":null}",
                          &error);
  tap_ok (d && ! d->has_flag && d->color == NULL && ! d->has_colors && d->child == NULL && d->labels == NULL
              && ! d->has_u32v,
          "null for an optional property is absence");
  tap_ok (d && d->anything && YAJL_IS_NULL (d->anything), "null for an `any` property is a value");
  char *j = d ? to_json (d) : NULL;
  tap_is_str (j, "{\"name\":\"n\",\"anything\":null}", "absent properties are not serialized");
  free (j);
  hako_gt_doc_free (d);
  free (error);

  expect_doc_error ("{\"name\":null}", "t.json: name: expected string, got null", "null for a required property");
  expect_error ("\"colors\":[\"red\",null]", "t.json: colors[1]: expected string, got null");
  expect_error ("\"kids\":[null]", "t.json: kids[0]: expected object, got null");
  expect_error ("\"labels\":{\"k\":null}", "t.json: labels.k: expected string, got null");
  expect_ok ("\"extra\":{\"k\":null},\"many\":[null]");

  d = parse ("{\"name\":\"first\",\"name\":\"second\",\"labels\":{\"k\":\"1\",\"j\":\"x\",\"k\":\"2\"},"
             "\"free\":{\"a\":1,\"a\":2},\"color\":\"red\",\"color\":null}",
             &error);
  tap_ok (d && strcmp (d->name, "second") == 0, "duplicate keys: the last one wins");
  tap_ok (d && d->labels->len == 2 && strcmp (d->labels->keys[0], "j") == 0 && strcmp (d->labels->values[1], "2") == 0,
          "duplicate map keys: one entry, the last value");
  tap_ok (d && d->color == NULL, "duplicate keys: a last null wins too");
  j = d ? to_json (d) : NULL;
  tap_is_str (j, "{\"name\":\"second\",\"labels\":{\"j\":\"x\",\"k\":\"2\"},\"free\":{\"a\":2}}",
              "duplicates are gone from the output, inside free-form objects too");
  free (j);
  hako_gt_doc_free (d);
  free (error);

  /* Many duplicates (the sorting path).  */
  char big[4096] = "{\"name\":\"n\",\"labels\":{";
  for (int i = 0; i < 100; i++)
    snprintf (big + strlen (big), sizeof big - strlen (big), "%s\"k%d\":\"%d\"", i ? "," : "", i % 10, i);
  strcat (big, "}}");
  d = parse (big, &error);
  tap_ok (d && d->labels->len == 10 && strcmp (d->labels->keys[0], "k0") == 0
              && strcmp (d->labels->values[0], "90") == 0 && strcmp (d->labels->values[9], "99") == 0,
          "100 keys with duplicates: 10 entries, first-seen order, last values");
  hako_gt_doc_free (d);
  free (error);
}

static void
test_tree_not_consumed (void)
{
  hako_error_t *err = NULL;
  const char *text = "{\"name\":\"n\",\"anything\":{\"a\":[1,2]},\"free\":{\"c\":null},\"many\":[{\"b\":true}]}";
  yajl_val tree = hako_json_parse_tree (text, strlen (text), "t", &err);
  hako_jpath_t root = { NULL, NULL, (size_t) -1 };
  hako_gt_doc *a = NULL, *b = NULL;
  int r1 = hako_gt_doc_parse (tree, &root, &a, &err);
  int r2 = hako_gt_doc_parse (tree, &root, &b, &err);
  char *ja = a ? to_json (a) : NULL, *jb = b ? to_json (b) : NULL;
  tap_ok (r1 == 0 && r2 == 0, "the same tree parses twice");
  tap_is_str (jb, ja, "parsing copies free-form values and leaves the tree as it was");
  tap_is_str (ja, text, "and nothing is lost");
  free (ja);
  free (jb);
  hako_gt_doc_free (a);
  hako_gt_doc_free (b);
  hako_json_free (tree);

  /* The second root of the file.  */
  hako_gt_small *s = hako_gt_small_parse_data ("{\"id\":9}", 8, "s.json", &err);
  char *js = s ? hako_gt_small_to_json (s, HAKO_JSON_PRETTY, NULL, &err) : NULL;
  tap_is_str (js, "{\n  \"id\": 9\n}", "a second root; pretty output");
  free (js);
  hako_gt_small_free (s);
}

/* With a sink at the root, parsing goes on past every error and lists
   them all, in document order (what `hako validate` shows).  */
static void
test_collect_every_error (void)
{
  const char *text = "{\"flag\":1,\"i8v\":300,\"colors\":[\"red\",\"pink\",7],\"matrix\":[[1,\"x\"],5,[true]],"
                     "\"triple\":[[[1,-1]]],\"labels\":{\"a\":1,\"b\":\"ok\",\"c\":[]},\"lists\":{\"k\":[1]},"
                     "\"rows\":[{\"r\":\"x\"}],\"free\":[],\"objects\":[{},2],\"child\":{\"tag\":3},"
                     "\"kids\":[{\"id\":null},{\"id\":1}],\"u16v\":7}";
  hako_error_t *err = NULL;
  yajl_val tree = hako_json_parse_tree (text, strlen (text), "t.json", &err);
  hako_json_sink_t sink = { 0 };
  hako_jpath_t root = { NULL, NULL, (size_t) -1, &sink };
  hako_gt_doc *d = NULL;
  int r = tree ? hako_gt_doc_parse (tree, &root, &d, &err) : 0;
  const char *want[] = {
    "flag: expected boolean, got integer",
    "i8v: 300 is out of range (-128..127)",
    "colors[1]: unknown value \"pink\" (expected one of: red, green, blue)",
    "colors[2]: expected string, got integer",
    "matrix[0][1]: expected integer, got string",
    "matrix[1]: expected array, got integer",
    "matrix[2][0]: expected integer, got boolean",
    "triple[0][0][1]: -1 is out of range (0..255)",
    "labels.a: expected string, got integer",
    "labels.c: expected string, got array",
    "lists.k[0]: expected string, got integer",
    "rows[0].r: expected integer, got string",
    "free: expected object, got array",
    "objects[1]: expected object, got integer",
    "child.tag: expected string, got integer",
    "child.id: required property is missing",
    "kids[0].id: expected integer, got null",
    "name: required property is missing",
  };
  size_t n = sizeof want / sizeof want[0];
  tap_ok (r < 0 && err == NULL, "collecting: the parse fails, but nothing goes to ERR");
  tap_ok (sink.len == n, "collecting: %zu errors found, %zu expected", sink.len, n);
  for (size_t i = 0; i < n && i < sink.len; i++)
    tap_is_str (sink.msgs[i], want[i], "collected error %zu", i);
  tap_ok (d && d->u16v == 7 && d->has_u16v && d->kids_len == 2 && d->kids[1]->id == 1,
          "collecting: what is valid is still parsed");
  hako_json_sink_clear (&sink);
  hako_gt_doc_free (d);
  hako_json_free (tree);
}

int
main (void)
{
  test_full_document ();
  test_ranges ();
  test_types ();
  test_constraints ();
  test_null_and_duplicates ();
  test_tree_not_consumed ();
  test_collect_every_error ();
  return tap_done ();
}
