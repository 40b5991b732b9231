#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""List a root file system for comparison, one line per path (sorted):

    PATH TYPE MODE UID:GID DETAIL [xattrs] [link=FIRST-PATH-OF-INODE]

DETAIL is size, SHA-256 and mtime for files, the target and mtime for
symlinks, major,minor for devices.  Directory times are left out (adding
an entry changes them).  Two trees are the same when the listings are.
    treelist.py ROOT
"""
import hashlib
import os
import stat
import sys


def xattrs(path):
    try:
        names = sorted(os.listxattr(path, follow_symlinks=False))
    except OSError:
        return ""
    out = []
    for n in names:
        if n.startswith("security.selinux"):
            continue
        v = os.getxattr(path, n, follow_symlinks=False)
        out.append("%s=%s" % (n, v.hex()))
    return " xattrs[" + ",".join(out) + "]" if out else ""


def main():
    root = sys.argv[1]
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            entries.append(os.path.join(dirpath, n))
    entries.sort()
    first = {}
    lines = []
    st = os.lstat(root)
    lines.append("/ dir %o %d:%d" % (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid))
    for p in entries:
        st = os.lstat(p)
        rel = "/" + os.path.relpath(p, root)
        m = st.st_mode
        mode = "%o" % stat.S_IMODE(m)
        owner = "%d:%d" % (st.st_uid, st.st_gid)
        if stat.S_ISREG(m):
            h = hashlib.sha256()
            with open(p, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            detail = "file %s %s %d %s" % (mode, owner, st.st_size, h.hexdigest()[:16])
            detail += " mtime=%d" % int(st.st_mtime)
        elif stat.S_ISDIR(m):
            detail = "dir %s %s" % (mode, owner)
        elif stat.S_ISLNK(m):
            detail = "symlink %s -> %s mtime=%d" % (owner, os.readlink(p), int(st.st_mtime))
        elif stat.S_ISCHR(m) or stat.S_ISBLK(m):
            detail = "%s %s %s %d,%d" % ("chr" if stat.S_ISCHR(m) else "blk", mode, owner,
                                        os.major(st.st_rdev), os.minor(st.st_rdev))
        elif stat.S_ISFIFO(m):
            detail = "fifo %s %s" % (mode, owner)
        else:
            detail = "other %o" % m
        link = ""
        if not stat.S_ISDIR(m) and st.st_nlink > 1:
            key = (st.st_dev, st.st_ino)
            first.setdefault(key, rel)
            link = " link=" + first[key]
        lines.append("%s %s%s%s" % (rel, detail, xattrs(p), link))
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
