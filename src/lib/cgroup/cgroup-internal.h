/* SPDX-License-Identifier: Apache-2.0 */
/* Between the cgroup drivers; not for the rest of libhako.  */
#ifndef HAKO_CGROUP_INTERNAL_H
#define HAKO_CGROUP_INTERNAL_H

#include <stdint.h>

#include "cgroup.h"

#define HAKO_CGROUP_ROOT "/sys/fs/cgroup"
#define HAKO_CGROUP_UNIFIED HAKO_CGROUP_ROOT "/unified"

/* The parts of linux.resources, each written by one controller.  */
enum
{
  CG_MEMORY = 1 << 0,
  CG_CPU = 1 << 1,
  CG_CPUSET = 1 << 2,
  CG_IO = 1 << 3,
  CG_HUGETLB = 1 << 4,
  CG_PIDS = 1 << 5,
  CG_RDMA = 1 << 6,
  CG_NETWORK = 1 << 7,
  CG_DEVICES = 1 << 8,
  CG_UNIFIED = 1 << 9,
  CG_ALL = (1 << 10) - 1,
};

/* The sections R asks for (CG_* bits).  */
unsigned hako_cgroup_sections (const hako_spec_linux_resources *r);
/* The v2 controller name of a section, NULL for devices and unified.  */
const char *hako_cgroup_v2_controller (unsigned section);

/* Write VALUE to DIR/FILE; a failure names FIELD (a JSON path, may be
   NULL) and the file.  */
int hako_cgroup_set (const char *dir, const char *file, const char *value, const char *field, hako_error_t **err);
int hako_cgroup_set_i64 (const char *dir, const char *file, int64_t v, const char *field, hako_error_t **err);
/* Read DIR/FILE as a number; "max" gives UINT64_MAX.  */
int hako_cgroup_read_u64 (const char *dir, const char *file, uint64_t *out);
bool hako_cgroup_file_exists (const char *dir, const char *file);
/* mkdir -p of ROOT/REL; *CREATED tells whether the leaf is new.  */
int hako_cgroup_mkdir (const char *root, const char *rel, bool *created, hako_error_t **err);
/* rmdir DIR and every sub-cgroup below it.  */
int hako_cgroup_rmdir_tree (const char *dir);

/* rmdir REL in every v1 hierarchy (empty leaves only).  */
void hako_cgroup_v1_rmdir_all (const char *rel);
/* v1: create the container's directory in every hierarchy (filling
   cg->paths), cpuset initialised from its parent.  */
int hako_cgroup_v1_prepare (hako_st_cgroup *cg, const char *rel, bool rootless, bool *created, hako_error_t **err);
/* Apply the SECTIONS of R that have a v1 hierarchy; returns the sections
   it could not place (no such hierarchy).  */
int hako_cgroup_v1_apply (const hako_st_cgroup *cg, const hako_spec_linux_resources *r, unsigned sections,
                          unsigned *missing, hako_error_t **err);
const char *hako_cgroup_v1_dir (const hako_st_cgroup *cg, const char *controller);
/* Create again the directories of CG->paths that are missing (systemd
   removes those of the controllers it does not enable for a unit).  */
int hako_cgroup_v1_ensure (const hako_st_cgroup *cg, hako_error_t **err);
/* Whether this host mounts a v1 hierarchy with CONTROLLER.  */
bool hako_cgroup_v1_has (const char *controller);

/* v2: create ROOT/REL with the controllers enabled on the way down.  */
int hako_cgroup_v2_prepare (const char *root, const char *rel, bool *created, hako_error_t **err);
/* Enable CONTROLLER (a v2 name) in every ancestor of DIR up to ROOT.  */
int hako_cgroup_v2_enable (const char *root, const char *dir, const char *controller, hako_error_t **err);
int hako_cgroup_v2_apply (const char *dir, const hako_spec_linux_resources *r, unsigned sections, hako_error_t **err);
/* Whether ROOT offers CONTROLLER.  */
bool hako_cgroup_v2_has (const char *root, const char *controller);

/* The v2 device filter: a BPF program from the rules plus the default
   allow list, attached to DIR (replacing the one attached before).  */
int hako_cgroup_bpf_devices (const char *dir, const hako_spec_linux_resources *r, hako_error_t **err);

/* The rules every container gets after its own, as runc and crun add
   them (type, major, minor, access; -1 is any).  */
struct hako_cgroup_dev_rule
{
  char type;
  int64_t major, minor;
  const char *access;
};
extern const struct hako_cgroup_dev_rule hako_cgroup_default_devices[];

/* rdma.max, the same file on v1 and v2.  */
int hako_cgroup_rdma_apply (const char *d, const hako_spec_map_rdma *m, hako_error_t **err);

/* Huge page sizes: "2MB" checked against the host's; *KB the size.  */
bool hako_cgroup_hugepage_size_ok (const char *size);

/* Write R through cgroupfs, whatever the manager.  */
int hako_cgroup_apply_fs (const hako_st_cgroup *cg, const hako_spec_linux_resources *r, hako_error_t **err);

int hako_cgroup_systemd_create (const struct hako_cgroup_request *req, hako_st_cgroup **out, hako_error_t **err);
int hako_cgroup_systemd_enter (const hako_st_cgroup *cg, pid_t pid, hako_error_t **err);
int hako_cgroup_systemd_destroy (const hako_st_cgroup *cg, hako_error_t **err);
int hako_cgroup_systemd_update (const hako_st_cgroup *cg, const hako_spec_linux_resources *r, hako_error_t **err);

#endif
