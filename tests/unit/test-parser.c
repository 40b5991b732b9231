/* SPDX-License-Identifier: Apache-2.0 */
/* The generated runtime-spec parser: realistic configs (podman,
   containerd, our own defaults) parse and survive the serializer without
   losing anything; every class of malformed document gives its exact
   message with the JSON path.  */
#include <config.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "hako-state.h"
#include "runtime-spec.h"
#include "spec.h"
#include "tap.h"
#include "validate.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/unit/data"
#endif

/* Parse TEXT (LEN bytes); return the error text (malloc'd) or NULL.  */
static char *
parse_error_len (const char *text, size_t len)
{
  hako_error_t *err = NULL;
  hako_spec_config *c = hako_spec_config_parse_data (text, len, "config.json", &err);
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
expect_error_len (const char *text, size_t len, const char *want, const char *what)
{
  char *got = parse_error_len (text, len);
  tap_is_str (got, want, "%s", what);
  free (got);
}

static void
expect_error (const char *text, const char *want, const char *what)
{
  expect_error_len (text, strlen (text), want, what);
}

/* {"ociVersion":"1.0.0", BODY} */
static void
expect_body_error (const char *body, const char *want)
{
  char *text = hako_strdup_printf ("{\"ociVersion\":\"1.0.0\",%s}", body);
  expect_error (text, want, body);
  free (text);
}

/* Two JSON trees hold the same values (object key order aside; numbers
   by their text).  */
static bool
json_equal (yajl_val a, yajl_val b)
{
  if (a == NULL || b == NULL)
    return a == b;
  if (a->type != b->type)
    return false;
  switch (a->type)
    {
    case yajl_t_string:
      return strcmp (a->u.string, b->u.string) == 0;
    case yajl_t_number:
      return strcmp (a->u.number.r, b->u.number.r) == 0;
    case yajl_t_array:
      if (a->u.array.len != b->u.array.len)
        return false;
      for (size_t i = 0; i < a->u.array.len; i++)
        if (! json_equal (a->u.array.values[i], b->u.array.values[i]))
          return false;
      return true;
    case yajl_t_object:
      if (a->u.object.len != b->u.object.len)
        return false;
      for (size_t i = 0; i < a->u.object.len; i++)
        {
          const char *path[] = { a->u.object.keys[i], NULL };
          yajl_val o = yajl_tree_get (b, path, yajl_t_any);
          if (o == NULL || ! json_equal (a->u.object.values[i], o))
            {
              printf ("#   differs at \"%s\"\n", a->u.object.keys[i]);
              return false;
            }
        }
      return true;
    default:
      return true;
    }
}

static char *
read_data (const char *name, size_t *len)
{
  char *path = hako_strdup_printf ("%s/%s", TEST_DATA_DIR, name);
  hako_error_t *err = NULL;
  char *data = hako_json_read_file (path, len, &err);
  if (data == NULL)
    {
      printf ("# %s\n", err->msg);
      hako_error_free (err);
    }
  free (path);
  return data;
}

/* FILE parses; serializing gives the same values as the file (nothing
   lost, nothing invented); serializing is a fixed point.  */
static hako_spec_config *
check_realistic (const char *name)
{
  size_t len;
  char *data = read_data (name, &len);
  hako_error_t *err = NULL;
  hako_spec_config *c = data ? hako_spec_config_parse_data (data, len, name, &err) : NULL;
  tap_ok (c != NULL, "%s parses", name);
  if (c == NULL)
    {
      if (err)
        printf ("#   %s\n", err->msg);
      hako_error_free (err);
      free (data);
      return NULL;
    }
  size_t n1;
  char *j1 = hako_spec_config_to_json (c, 0, &n1, &err);
  yajl_val orig = yajl_tree_parse (data, NULL, 0), ours = j1 ? yajl_tree_parse (j1, NULL, 0) : NULL;
  tap_ok (orig && ours && json_equal (orig, ours) && json_equal (ours, orig),
          "%s: serialized, it holds exactly the values of the file", name);
  hako_spec_config *c2 = j1 ? hako_spec_config_parse_data (j1, n1, "again", &err) : NULL;
  char *j2 = c2 ? hako_spec_config_to_json (c2, 0, NULL, &err) : NULL;
  tap_is_str (j2, j1, "%s: parse, serialize, parse, serialize gives the same text", name);
  yajl_tree_free (orig);
  yajl_tree_free (ours);
  hako_spec_config_free (c2);
  free (j1);
  free (j2);
  free (data);
  return c;
}

static const char *
map_get (const hako_spec_map_string *m, const char *key)
{
  for (size_t i = 0; m && i < m->len; i++)
    if (strcmp (m->keys[i], key) == 0)
      return m->values[i];
  return NULL;
}

static void
test_realistic (void)
{
  hako_spec_config *c = check_realistic ("podman-config.json");
  if (c)
    {
      const hako_spec_linux *l = c->linux;
      tap_ok (c->process->user->umask == 18 && c->process->user->has_umask
                  && c->process->user->additional_gids_len == 11,
              "podman: process.user");
      tap_ok (l->seccomp->syscalls_len == 22 && l->seccomp->default_errno_ret == 38
                  && strcmp (l->seccomp->architectures[2], "SCMP_ARCH_X32") == 0,
              "podman: the seccomp profile");
      tap_ok (l->resources->memory->limit == 536870912 && l->resources->cpu->quota == 150000
                  && l->resources->block_io->throttle_write_iops_device[0]->rate == 500
                  && l->resources->rdma->values[0]->hca_objects == 10000,
              "podman: resources");
      tap_ok (c->mounts_len == 12 && c->mounts[11]->uid_mappings_len == 1
                  && c->mounts[11]->uid_mappings[0]->host_id == 100000,
              "podman: an idmapped mount");
      tap_ok (strcmp (map_get (c->annotations, "io.container.manager"), "libpod") == 0
                  && strcmp (map_get (l->sysctl, "net.ipv4.ping_group_range"), "0 0") == 0,
              "podman: annotations and sysctls by key");
      tap_ok (l->time_offsets->boottime->secs == -3600 && l->net_devices->len == 2
                  && strcmp (l->net_devices->values[0]->name, "eth1") == 0 && l->net_devices->values[1]->name == NULL,
              "podman: timeOffsets, netDevices");
      tap_ok (c->hooks->poststop_len == 1 && c->hooks->poststop[0]->args_len == 12
                  && c->hooks->prestart[0]->timeout == 30,
              "podman: hooks");
      hako_spec_config_free (c);
    }
  c = check_realistic ("containerd-config.json");
  if (c)
    {
      const hako_spec_linux *l = c->linux;
      tap_ok (l->resources->pids->limit == -1 && l->resources->cpu->quota == -1 && l->resources->unified->len == 0,
              "containerd: negative limits, an empty map");
      tap_ok (c->process->capabilities->has_effective && c->process->capabilities->effective_len == 0,
              "containerd: an empty capability set is present, not absent");
      tap_ok (c->hostname && c->hostname[0] == '\0' && c->process->oom_score_adj == -998, "containerd: empty hostname");
      hako_spec_config_free (c);
    }
}

static void
test_defaults (void)
{
  for (int rootless = 0; rootless <= 1; rootless++)
    {
      hako_error_t *err = NULL;
      hako_spec_config *c = hako_spec_default (rootless, &err);
      tap_ok (c != NULL, "the %s default config parses", rootless ? "rootless" : "root");
      if (c == NULL)
        continue;
      size_t len;
      char *json = hako_spec_config_to_json (c, HAKO_JSON_PRETTY | HAKO_JSON_TABS, &len, &err);
      hako_spec_config *c2 = hako_spec_config_parse_data (json, len, "round trip", &err);
      char *json2 = c2 ? hako_spec_config_to_json (c2, HAKO_JSON_PRETTY | HAKO_JSON_TABS, NULL, &err) : NULL;
      tap_is_str (json2, json, "%s default: serialize, parse, serialize gives the same text",
                  rootless ? "rootless" : "root");
      hako_problems_t p = { 0 };
      if (c2)
        hako_validate_collect (c2, "/nonexistent", NULL, false, &p);
      tap_ok (c2 && p.len == 0, "%s default: no problem for the validator", rootless ? "rootless" : "root");
      for (size_t i = 0; i < p.len; i++)
        printf ("#   %s\n", p.msgs[i]);
      hako_problems_clear (&p);
      free (json);
      free (json2);
      hako_spec_config_free (c);
      hako_spec_config_free (c2);
    }
}

static void
test_unknown_and_null (void)
{
  const char *doc = "{\"ociVersion\":\"1.0.0\",\"windows\":{\"layerFolders\":[\"C:\\\\a\"]},\"vm\":{\"kernel\":{}},"
                    "\"process\":{\"user\":{\"uid\":1,\"gid\":2,\"sid\":\"S-1\"},\"cwd\":\"/\",\"futureField\":[1,{}]},"
                    "\"hostname\":null,\"linux\":null,\"mounts\":null,\"annotations\":null}";
  hako_error_t *err = NULL;
  hako_spec_config *c = hako_spec_config_parse_data (doc, strlen (doc), "config.json", &err);
  tap_ok (c != NULL, "unknown properties are ignored, at every level");
  tap_ok (c && c->hostname == NULL && c->linux == NULL && ! c->has_mounts && c->annotations == NULL,
          "null for an optional property is the same as absent");
  char *j = c ? hako_spec_config_to_json (c, 0, NULL, &err) : NULL;
  tap_is_str (j, "{\"ociVersion\":\"1.0.0\",\"process\":{\"user\":{\"uid\":1,\"gid\":2},\"cwd\":\"/\"}}",
              "and neither unknown properties nor nulls are written back");
  free (j);
  hako_spec_config_free (c);

  doc = "{\"ociVersion\":\"1.0.0\",\"hostname\":\"a\",\"hostname\":\"b\",\"annotations\":{\"k\":\"1\",\"k\":\"2\"}}";
  c = hako_spec_config_parse_data (doc, strlen (doc), "config.json", &err);
  tap_ok (c && strcmp (c->hostname, "b") == 0 && c->annotations->len == 1
              && strcmp (c->annotations->values[0], "2") == 0,
          "duplicate keys: the last one wins (as with Go's encoding/json)");
  hako_spec_config_free (c);
}

static void
test_malformed (void)
{
  /* Wrong types, one per kind of value.  */
  expect_body_error ("\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1G\"}}}",
                     "config.json: linux.resources.memory.limit: expected integer, got string");
  expect_body_error ("\"process\":{\"terminal\":\"yes\",\"user\":{\"uid\":0,\"gid\":0},\"cwd\":\"/\"}",
                     "config.json: process.terminal: expected boolean, got string");
  expect_body_error ("\"hostname\":42", "config.json: hostname: expected string, got integer");
  expect_body_error ("\"mounts\":{}", "config.json: mounts: expected array, got object");
  expect_body_error ("\"process\":[]", "config.json: process: expected object, got array");
  expect_body_error ("\"annotations\":{\"org.example.count\":1}",
                     "config.json: annotations[\"org.example.count\"]: expected string, got integer");
  expect_body_error ("\"linux\":{\"sysctl\":[\"net.ipv4.ip_forward=1\"]}",
                     "config.json: linux.sysctl: expected object, got array");
  expect_body_error ("\"mounts\":[{\"destination\":\"/a\",\"options\":[\"ro\",null]}]",
                     "config.json: mounts[0].options[1]: expected string, got null");
  expect_body_error ("\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"cwd\":\"/\",\"capabilities\":{\"bounding\":[5]}}",
                     "config.json: process.capabilities.bounding[0]: expected string, got integer");
  expect_body_error ("\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"cwd\":\"/"
                     "\",\"consoleSize\":{\"height\":1.5,\"width\":80}}",
                     "config.json: process.consoleSize.height: expected integer, got number");
  expect_body_error ("\"linux\":{\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":true}]}",
                     "config.json: linux.uidMappings[0].size: expected integer, got boolean");
  expect_body_error ("\"linux\":{\"resources\":{\"memory\":{\"limit\":1e400}}}",
                     "config.json: linux.resources.memory.limit: expected integer, got number");
  expect_error ("{\"ociVersion\":null}", "config.json: ociVersion: expected string, got null",
                "null for a required property");

  /* Missing required properties.  */
  expect_error ("{\"hostname\":\"x\"}", "config.json: ociVersion: required property is missing", "missing at the top");
  expect_body_error ("\"mounts\":[{\"destination\":\"/a\"},{\"type\":\"tmpfs\"}]",
                     "config.json: mounts[1].destination: required property is missing");
  expect_body_error ("\"process\":{\"cwd\":\"/\"}", "config.json: process.user: required property is missing");
  expect_body_error ("\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"action\":\"SCMP_"
                     "ACT_ERRNO\"}]}}",
                     "config.json: linux.seccomp.syscalls[0].names: required property is missing");
  expect_body_error ("\"root\":{\"path\":\"\"}", "config.json: root.path: must not be empty");

  /* Out of range, for every integer width the runtime-spec uses.  */
  expect_body_error ("\"process\":{\"user\":{\"uid\":-1,\"gid\":0},\"cwd\":\"/\"}",
                     "config.json: process.user.uid: -1 is out of range (0..4294967295)");
  expect_body_error ("\"process\":{\"user\":{\"uid\":0,\"gid\":4294967296},\"cwd\":\"/\"}",
                     "config.json: process.user.gid: 4294967296 is out of range (0..4294967295)");
  expect_body_error ("\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"cwd\":\"/\",\"oomScoreAdj\":1001}",
                     "config.json: process.oomScoreAdj: 1001 is out of range (-1000..1000)");
  expect_body_error ("\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"cwd\":\"/\",\"oomScoreAdj\":-2147483649}",
                     "config.json: process.oomScoreAdj: -2147483649 is out of range (-1000..1000)");
  expect_body_error ("\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"cwd\":\"/"
                     "\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\","
                     "\"soft\":18446744073709551616,\"hard\":1}]}",
                     "config.json: process.rlimits[0].soft: 18446744073709551616 is out of range "
                     "(0..18446744073709551615)");
  expect_body_error ("\"linux\":{\"resources\":{\"blockIO\":{\"weight\":65536}}}",
                     "config.json: linux.resources.blockIO.weight: 65536 is out of range (0..65535)");
  expect_body_error ("\"linux\":{\"resources\":{\"memory\":{\"limit\":9223372036854775808}}}",
                     "config.json: linux.resources.memory.limit: 9223372036854775808 is out of range "
                     "(-9223372036854775808..9223372036854775807)");
  expect_body_error ("\"linux\":{\"resources\":{\"cpu\":{\"shares\":-1}}}",
                     "config.json: linux.resources.cpu.shares: -1 is out of range (0..18446744073709551615)");
  expect_body_error ("\"linux\":{\"resources\":{\"memory\":{\"swappiness\":101}}}",
                     "config.json: linux.resources.memory.swappiness: 101 is out of range (0..100)");
  expect_body_error ("\"process\":{\"user\":{\"uid\":0,\"gid\":0,\"umask\":512},\"cwd\":\"/\"}",
                     "config.json: process.user.umask: 512 is out of range (0..511)");
  expect_body_error ("\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                     "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}}",
                     "config.json: linux.seccomp.syscalls[0].args[0].index: 6 is out of range (0..5)");
  expect_body_error ("\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"cwd\":\"/"
                     "\",\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"nice\":-21}}",
                     "config.json: process.scheduler.nice: -21 is out of range (-20..19)");
  expect_body_error ("\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"cwd\":\"/"
                     "\",\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":8}}",
                     "config.json: process.ioPriority.priority: 8 is out of range (0..7)");
  expect_body_error ("\"linux\":{\"timeOffsets\":{\"monotonic\":{\"secs\":1,\"nanosecs\":1000000000}}}",
                     "config.json: linux.timeOffsets.monotonic.nanosecs: 1000000000 is out of range (0..999999999)");
  expect_body_error ("\"hooks\":{\"prestart\":[{\"path\":\"/bin/true\",\"timeout\":0}]}",
                     "config.json: hooks.prestart[0].timeout: 0 is out of range (1..2147483647)");
  expect_body_error ("\"linux\":{\"resources\":{\"pids\":{\"limit\":"
                     "1000000000000000000000000000000000000000000000000000000000000000000000000000000000}}}",
                     "config.json: linux.resources.pids.limit: 1000000000000000000000000000000000000000... is out of "
                     "range "
                     "(-9223372036854775808..9223372036854775807)");

  /* Unknown enum values.  */
  expect_body_error ("\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pidd\"}]}",
                     "config.json: linux.namespaces[1].type: unknown value \"pidd\" (expected one of: pid, network, "
                     "mount, ipc, uts, user, cgroup, time)");
  expect_body_error ("\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_KILLL\"}}",
                     "config.json: linux.seccomp.defaultAction: unknown value \"SCMP_ACT_KILLL\" (expected one of: "
                     "SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_ERRNO, "
                     "SCMP_ACT_TRACE, SCMP_ACT_ALLOW, SCMP_ACT_LOG, SCMP_ACT_NOTIFY)");
  expect_body_error ("\"linux\":{\"rootfsPropagation\":\"shared\\n\"}",
                     "config.json: linux.rootfsPropagation: unknown value \"shared\\u000a\" (expected one of: shared, "
                     "slave, private, unbindable, rshared, rslave, rprivate, runbindable)");
  expect_body_error ("\"linux\":{\"devices\":[{\"type\":\"x\",\"path\":\"/dev/x\"}]}",
                     "config.json: linux.devices[0].type: unknown value \"x\" (expected one of: c, b, u, p)");

  /* Not JSON at all, or not quite.  */
  expect_error ("", "config.json: invalid JSON: empty document", "empty file");
  expect_error (" \n\t ", "config.json: invalid JSON: empty document", "only white space");
  expect_error ("{\"ociVersion\":\"1.0.0\",\"process\":{\"user\":",
                "config.json: invalid JSON at line 1, column 41: parse error: premature EOF", "truncated document");
  expect_error ("{\"ociVersion\":\"1.0.0\"} {}",
                "config.json: invalid JSON at line 1, column 24: parse error: trailing garbage", "trailing garbage");
  expect_error ("{\"ociVersion\":\"1.0.0\",}",
                "config.json: invalid JSON at line 1, column 23: parse error: invalid object key (must be a string)",
                "trailing comma");
  expect_error ("{'ociVersion':'1.0.0'}",
                "config.json: invalid JSON at line 1, column 2: lexical error: invalid char in json text",
                "single quotes");
  expect_error ("{\"ociVersion\":\"1.0.0\", /* a comment */ \"hostname\":\"h\"}",
                "config.json: invalid JSON at line 1, column 24: comments are not allowed", "comments");
  expect_error ("[]", "config.json: (top level): expected object, got array", "an array at the top");
  expect_error ("null", "config.json: (top level): expected object, got null", "null at the top");
  expect_error_len ("{\"ociVersion\":\"1.0.0\",\"hostname\":\"a\0b\"}", 38,
                    "config.json: invalid JSON at line 1, column 36: NUL byte", "a NUL byte in the file");
  expect_error ("{\"ociVersion\":\"1.0.0\",\n\"hostname\":\"a\\u0000b\"}",
                "config.json: invalid JSON at line 2, column 14: \\u0000 in a string", "\\u0000 escape");
  expect_error ("{\"ociVersion\":\"1.0.0\",\"hostname\":\"\xff\"}",
                "config.json: invalid JSON at line 1, column 35: invalid UTF-8", "invalid UTF-8 byte");
  expect_error ("{\"ociVersion\":\"1.0.0\",\"hostname\":\"\xc0\xaf\"}",
                "config.json: invalid JSON at line 1, column 35: invalid UTF-8", "overlong UTF-8 form");
  expect_error ("{\"ociVersion\":\"1.0.0\",\"hostname\":\"\xed\xa0\x80\"}",
                "config.json: invalid JSON at line 1, column 35: invalid UTF-8", "UTF-8 encoded surrogate");
  expect_error ("{\"ociVersion\":\"1.0.0\",\"h\xc3\xa9\":\"\xc3\xa9\xf4\x90\x80\x80\"}",
                "config.json: invalid JSON at line 1, column 30: invalid UTF-8", "a code point above U+10FFFF");
  expect_error ("{\"ociVersion\":\"1.0.0\",\"hostname\":\"\\udc00\"}",
                "config.json: invalid JSON at line 1, column 35: unpaired surrogate escape", "lone low surrogate");
  expect_error ("{\"ociVersion\":\"1.0.0\",\"hostname\":\"\\ud800x\"}",
                "config.json: invalid JSON at line 1, column 35: unpaired surrogate escape", "lone high surrogate");
  expect_error ("{\"ociVersion\":\"1.0.0\",\"hostname\":\"a\tb\"}",
                "config.json: invalid JSON at line 1, column 36: lexical error: invalid character inside string",
                "a raw control character in a string");

  /* 4096 levels of nesting, in a place the parser would otherwise skip.  */
  size_t depth = 4096;
  char *deep = hako_xmalloc (depth * 2 + 64);
  strcpy (deep, "{\"ociVersion\":\"1.0.0\",\"x\":");
  size_t at = strlen (deep);
  memset (deep + at, '[', depth);
  memset (deep + at + depth, ']', depth);
  strcpy (deep + at + 2 * depth, "}");
  expect_error (deep, "config.json: invalid JSON: nested deeper than 128 levels", "4096-deep nesting");
  free (deep);

  /* Larger than any config should be.  */
  size_t big = HAKO_JSON_MAX_SIZE + 1;
  char *huge = hako_xmalloc (big + 1);
  memset (huge, ' ', big);
  huge[big] = '\0';
  expect_error_len (huge, big, "config.json: document too large (67108865 bytes)", "a document over 64 MiB");
  free (huge);
}

static void
test_files (void)
{
  hako_error_t *err = NULL;
  hako_spec_config *c = hako_spec_config_parse_file ("/nonexistent/config.json", &err);
  char *t = err ? hako_error_text (err) : NULL;
  tap_is_str (t, "open `/nonexistent/config.json`: No such file or directory", "a missing file");
  free (t);
  hako_error_free (err);
  err = NULL;
  hako_spec_config_free (c);

  /* A file cut short, as after a crash while writing it.  */
  char path[] = "/tmp/hako-test-parser.XXXXXX";
  int fd = mkstemp (path);
  const char *cut = "{\n\t\"ociVersion\": \"1.0.0\",\n\t\"process\": {\n\t\t\"user\": {\"uid\": 0, \"gid\"";
  bool wrote = fd >= 0 && write (fd, cut, strlen (cut)) == (ssize_t) strlen (cut);
  if (fd >= 0)
    close (fd);
  c = wrote ? hako_spec_config_parse_file (path, &err) : NULL;
  t = err ? hako_error_text (err) : NULL;
  char *want = hako_strdup_printf ("%s: invalid JSON at line 4, column 27: parse error: premature EOF", path);
  tap_is_str (t, want, "a truncated file");
  free (want);
  free (t);
  hako_error_free (err);
  hako_spec_config_free (c);
  unlink (path);
}

static void
test_other_documents (void)
{
  hako_error_t *err = NULL;
  const char *rec = "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"pid\":4242,\"pidStart\":18446744073709551615,"
                    "\"bundle\":\"/b\",\"created\":\"2026-11-23T15:00:00.000000001Z\",\"owner\":0,"
                    "\"annotations\":{\"a\":\"b\"},\"cgroup\":{\"manager\":\"cgroupfs\",\"layout\":\"hybrid\","
                    "\"path\":\"hako/c1\",\"created\":true,\"paths\":{\"memory\":\"/sys/fs/cgroup/memory/hako/c1\"}},"
                    "\"newPidNamespace\":true}";
  hako_st_record *r = hako_st_record_parse_data (rec, strlen (rec), "state.json", &err);
  char *j = r ? hako_st_record_to_json (r, 0, NULL, &err) : NULL;
  tap_is_str (j,
              "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"pid\":4242,\"pidStart\":18446744073709551615,\"bundle\":\"/"
              "b\","
              "\"created\":\"2026-11-23T15:00:00.000000001Z\",\"owner\":0,\"annotations\":{\"a\":\"b\"},\"cgroup\":{"
              "\"manager\":"
              "\"cgroupfs\",\"layout\":\"hybrid\",\"path\":\"hako/c1\",\"created\":true,\"paths\":{\"memory\":"
              "\"/sys/fs/cgroup/memory/hako/c1\"}},\"newPidNamespace\":true}",
              "hako's state record round trip (u64 maximum kept, a zero given is kept)");
  free (j);
  hako_st_record_free (r);

  const char *res = "{\"memory\":{\"limit\":\"x\"}}";
  hako_spec_linux_resources *lr = hako_spec_resources_parse_data (res, strlen (res), "resources.json", &err);
  j = err ? hako_error_text (err) : NULL;
  tap_is_str (j, "resources.json: memory.limit: expected integer, got string",
              "update --resources: paths start at the document's own top");
  free (j);
  hako_error_free (err);
  hako_spec_linux_resources_free (lr);
  err = NULL;

  const char *proc = "{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"env\":[\"A=\xe2\x82\xac\"],\"cwd\":\"/\"}";
  hako_spec_process *p = hako_spec_process_parse_data (proc, strlen (proc), "process.json", &err);
  j = p ? hako_spec_process_to_json (p, 0, NULL, &err) : NULL;
  tap_is_str (j, proc, "exec --process: round trip with non-ASCII text");
  free (j);
  hako_spec_process_free (p);
}

int
main (void)
{
  test_realistic ();
  test_defaults ();
  test_unknown_and_null ();
  test_malformed ();
  test_files ();
  test_other_documents ();
  return tap_done ();
}
