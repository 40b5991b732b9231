/* SPDX-License-Identifier: Apache-2.0 */
/* update and events.  */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cleanup.h"
#include "json-support.h"

enum
{
  O_RESOURCES,
  O_BLKIO_WEIGHT,
  O_CPU_PERIOD,
  O_CPU_QUOTA,
  O_CPU_BURST,
  O_CPU_SHARE,
  O_CPU_RT_PERIOD,
  O_CPU_RT_RUNTIME,
  O_CPUSET_CPUS,
  O_CPUSET_MEMS,
  O_CPU_IDLE,
  O_MEMORY,
  O_MEMORY_RES,
  O_MEMORY_SWAP,
  O_KMEM,
  O_KMEM_TCP,
  O_PIDS,
  O_L3,
  O_MBW,
  O_STATS,
  O_INTERVAL,
};

static const struct cli_opt update_opts[] = {
  { "resources", 'r', OPT_VALUE, O_RESOURCES },
  { "blkio-weight", 0, OPT_VALUE, O_BLKIO_WEIGHT },
  { "cpu-period", 0, OPT_VALUE, O_CPU_PERIOD },
  { "cpu-quota", 0, OPT_VALUE, O_CPU_QUOTA },
  { "cpu-burst", 0, OPT_VALUE, O_CPU_BURST },
  { "cpu-share", 0, OPT_VALUE, O_CPU_SHARE },
  { "cpu-shares", 0, OPT_VALUE, O_CPU_SHARE },
  { "cpu-rt-period", 0, OPT_VALUE, O_CPU_RT_PERIOD },
  { "cpu-rt-runtime", 0, OPT_VALUE, O_CPU_RT_RUNTIME },
  { "cpuset-cpus", 0, OPT_VALUE, O_CPUSET_CPUS },
  { "cpuset-mems", 0, OPT_VALUE, O_CPUSET_MEMS },
  { "cpu-idle", 0, OPT_VALUE, O_CPU_IDLE },
  { "memory", 0, OPT_VALUE, O_MEMORY },
  { "memory-reservation", 0, OPT_VALUE, O_MEMORY_RES },
  { "memory-swap", 0, OPT_VALUE, O_MEMORY_SWAP },
  { "kernel-memory", 0, OPT_VALUE, O_KMEM },
  { "kernel-memory-tcp", 0, OPT_VALUE, O_KMEM_TCP },
  { "pids-limit", 0, OPT_VALUE, O_PIDS },
  { "l3-cache-schema", 0, OPT_VALUE, O_L3 },
  { "mem-bw-schema", 0, OPT_VALUE, O_MBW },
  { NULL, 0, 0, 0 },
};

static const char update_help[] = "Usage: hako update [options] ID\n\n"
                                  "Change the resource limits of a running container.\n\n"
                                  "Options:\n"
                                  "  -r, --resources FILE      a linux.resources JSON object (\"-\" for stdin); the\n"
                                  "                            other options are then ignored\n"
                                  "  --blkio-weight N          block I/O weight (10-1000)\n"
                                  "  --cpu-period N            CPU CFS period (microseconds)\n"
                                  "  --cpu-quota N             CPU CFS quota (microseconds; -1 for none)\n"
                                  "  --cpu-burst N             CPU CFS burst (microseconds)\n"
                                  "  --cpu-share N             CPU shares (relative weight)\n"
                                  "  --cpu-rt-period N         realtime period (microseconds)\n"
                                  "  --cpu-rt-runtime N        realtime runtime (microseconds)\n"
                                  "  --cpuset-cpus LIST        CPUs allowed (0-3, 0,1)\n"
                                  "  --cpuset-mems LIST        memory nodes allowed\n"
                                  "  --cpu-idle 0|1            SCHED_IDLE for the cgroup\n"
                                  "  --memory SIZE             memory limit (bytes, or with k/m/g; -1 for none, which\n"
                                  "                            frees swap too unless --memory-swap is given)\n"
                                  "  --memory-reservation SIZE memory soft limit\n"
                                  "  --memory-swap SIZE        memory plus swap limit (-1 for none)\n"
                                  "  --kernel-memory SIZE      kernel memory limit (v1 kernels that still have it)\n"
                                  "  --kernel-memory-tcp SIZE  kernel TCP buffer limit (v1)\n"
                                  "  --pids-limit N            maximum number of processes (0: no new one; -1: none)\n"
                                  "  --l3-cache-schema S       Intel RDT L3 schema\n"
                                  "  --mem-bw-schema S         Intel RDT memory bandwidth schema\n";

/* runc's unit suffixes: 512, 512k, 512m, 1g (binary), -1.  */
static int
parse_size (const char *s, int64_t *out)
{
  if (strcmp (s, "-1") == 0)
    {
      *out = -1;
      return 0;
    }
  char *end;
  errno = 0;
  double v = strtod (s, &end);
  if (errno || end == s || v < 0)
    return -1;
  while (*end == ' ')
    end++;
  double mult = 1;
  switch (tolower ((unsigned char) *end))
    {
    case '\0':
    case 'b':
      break;
    case 'k':
      mult = 1024.0;
      break;
    case 'm':
      mult = 1024.0 * 1024;
      break;
    case 'g':
      mult = 1024.0 * 1024 * 1024;
      break;
    case 't':
      mult = 1024.0 * 1024 * 1024 * 1024;
      break;
    default:
      return -1;
    }
  if (*end && end[1]
      && ! ((end[1] == 'b' || end[1] == 'B' || end[1] == 'i') && (end[2] == '\0' || (end[2] == 'b' || end[2] == 'B'))))
    return -1;
  *out = (int64_t) (v * mult);
  return 0;
}

static int
parse_int (const char *s, int64_t *out)
{
  char *end;
  errno = 0;
  long long v = strtoll (s, &end, 10);
  if (errno || *end || end == s)
    return -1;
  *out = v;
  return 0;
}

int
cmd_update (hako_context_t *ctx, int argc, char **argv)
{
  if (cli_wants_help (argc, argv))
    {
      fputs (update_help, stdout);
      return 0;
    }
  struct cli_parsed p;
  if (cli_parse ("update", argc, argv, update_opts, 0, &p) < 0)
    return 1;
  int rc = 0;
  if (p.nargs != 1)
    {
      rc = cli_usage_error ("update",
                            p.nargs == 0 ? "a container id is required" : "exactly one container id is expected");
      cli_parsed_free (&p);
      return rc;
    }
  hako_error_t *err = NULL;
  cleanup_free char *json = NULL;
  size_t len = 0;
  if (p.value[O_RESOURCES])
    {
      const char *f = p.value[O_RESOURCES];
      json = strcmp (f, "-") == 0 ? hako_json_read_fd (0, "stdin", &len, &err) : hako_json_read_file (f, &len, &err);
      if (json == NULL)
        {
          cli_parsed_free (&p);
          return cli_fail (err, 1);
        }
    }
  else
    {
      yajl_gen g = hako_json_gen_new (0);
      yajl_gen_map_open (g);
      struct
      {
        int id;
        const char *section, *key;
        bool size, str;
      } map[] = {
        { O_MEMORY, "memory", "limit", true, false },
        { O_MEMORY_RES, "memory", "reservation", true, false },
        { O_MEMORY_SWAP, "memory", "swap", true, false },
        { O_KMEM, "memory", "kernel", true, false },
        { O_KMEM_TCP, "memory", "kernelTCP", true, false },
        { O_CPU_SHARE, "cpu", "shares", false, false },
        { O_CPU_QUOTA, "cpu", "quota", false, false },
        { O_CPU_PERIOD, "cpu", "period", false, false },
        { O_CPU_BURST, "cpu", "burst", false, false },
        { O_CPU_RT_PERIOD, "cpu", "realtimePeriod", false, false },
        { O_CPU_RT_RUNTIME, "cpu", "realtimeRuntime", false, false },
        { O_CPUSET_CPUS, "cpu", "cpus", false, true },
        { O_CPUSET_MEMS, "cpu", "mems", false, true },
        { O_CPU_IDLE, "cpu", "idle", false, false },
        { O_BLKIO_WEIGHT, "blockIO", "weight", false, false },
        { O_PIDS, "pids", "limit", false, false },
      };
      const char *sections[] = { "memory", "cpu", "blockIO", "pids" };
      for (size_t s = 0; s < 4 && rc == 0; s++)
        {
          bool open = false;
          for (size_t i = 0; i < sizeof map / sizeof map[0] && rc == 0; i++)
            {
              if (strcmp (map[i].section, sections[s]) != 0 || ! p.set[map[i].id])
                continue;
              if (! open)
                {
                  hako_json_gen_key (g, sections[s]);
                  yajl_gen_map_open (g);
                  open = true;
                }
              hako_json_gen_key (g, map[i].key);
              const char *v = p.value[map[i].id];
              int64_t n;
              if (map[i].str)
                hako_json_gen_string (g, v);
              else if ((map[i].size ? parse_size (v, &n) : parse_int (v, &n)) < 0)
                rc = cli_usage_error ("update", "--%s `%s`: invalid value", map[i].key, v);
              else
                yajl_gen_integer (g, n);
            }
          if (open)
            yajl_gen_map_close (g);
        }
      yajl_gen_map_close (g);
      json = hako_json_gen_finish (g, &len);
      if (rc == 0 && (p.set[O_L3] || p.set[O_MBW]))
        {
          hako_error_set (&err, 0,
                          "update: --l3-cache-schema and --mem-bw-schema need Intel RDT, which this host lacks");
          rc = cli_fail (err, 1);
        }
    }
  if (rc == 0 && hako_container_update (ctx, p.args[0], json, len, &err) < 0)
    rc = cli_fail (err, 1);
  cli_parsed_free (&p);
  return rc;
}

/* Go duration syntax: 5s, 100ms, 1m30s, 2h.  */
static int
parse_duration_ms (const char *s, unsigned *out)
{
  double total = 0;
  const char *p = s;
  if (*p == '\0')
    return -1;
  while (*p)
    {
      char *end;
      double v = strtod (p, &end);
      if (end == p)
        return -1;
      p = end;
      double mult;
      if (strncmp (p, "ms", 2) == 0)
        mult = 1, p += 2;
      else if (strncmp (p, "us", 2) == 0 || strncmp (p, "µs", 3) == 0)
        mult = 0.001, p += (p[0] == 'u' ? 2 : 3);
      else if (strncmp (p, "ns", 2) == 0)
        mult = 0.000001, p += 2;
      else if (*p == 's')
        mult = 1000, p++;
      else if (*p == 'm')
        mult = 60000, p++;
      else if (*p == 'h')
        mult = 3600000, p++;
      else
        return -1;
      total += v * mult;
    }
  if (total <= 0 || total > 86400000.0 * 365)
    return -1;
  *out = total < 1 ? 1 : (unsigned) total;
  return 0;
}

int
cmd_events (hako_context_t *ctx, int argc, char **argv)
{
  static const struct cli_opt opts[] = {
    { "stats", 0, OPT_FLAG, O_STATS },
    { "interval", 0, OPT_VALUE, O_INTERVAL },
    { NULL, 0, 0, 0 },
  };
  if (cli_wants_help (argc, argv))
    {
      fputs ("Usage: hako events [--stats] [--interval DURATION] ID\n\n"
             "Print the container's resource statistics as JSON lines\n"
             "({\"type\":\"stats\",\"id\":…,\"data\":{…}}), every DURATION (Go syntax, default 5s).\n\n"
             "Options:\n"
             "  --stats              print one statistics event and exit\n"
             "  --interval DURATION  how often to print (5s, 500ms, 1m)\n",
             stdout);
      return 0;
    }
  struct cli_parsed p;
  if (cli_parse ("events", argc, argv, opts, 0, &p) < 0)
    return 1;
  unsigned interval = 5000;
  int rc = 0;
  if (p.nargs != 1)
    rc = cli_usage_error ("events", "a container id is required");
  else if (p.value[O_INTERVAL] && parse_duration_ms (p.value[O_INTERVAL], &interval) < 0)
    rc = cli_usage_error ("events", "--interval `%s`: expected a positive duration such as 5s", p.value[O_INTERVAL]);
  if (rc == 0)
    {
      hako_error_t *err = NULL;
      if (hako_container_events (ctx, p.args[0], cli_bool (&p, O_STATS), interval, 1, &err) < 0)
        rc = cli_fail (err, 1);
    }
  cli_parsed_free (&p);
  return rc;
}
