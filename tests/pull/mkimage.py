#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Build the OCI image layouts hako-pull's tests pull, offline.

    mkimage.py LAYOUT busybox [--probe PATH] [--user U] [--salt S]
                                               tag busybox: one layer (two with --salt)
    mkimage.py LAYOUT multi                    tag multi: busybox + 3 layers
                                               (gzip, zstd, plain tar) with
                                               whiteouts, opaque dirs, hard
                                               links, devices, xattrs, many files
    mkimage.py LAYOUT multi-gz                 the same with gzip for zstd (umoci reads it)
    mkimage.py LAYOUT index                    tag index: an index for
                                               linux/amd64 and linux/arm64/v8
    mkimage.py LAYOUT evil-symlink --target DIR   symlinks to DIR, then writes through them
    mkimage.py LAYOUT evil-dotdot                 an entry named ../escaped
    mkimage.py LAYOUT evil-hardlink --target DIR  a hard link to DIR/secret via a symlink
    mkimage.py LAYOUT big --mb N               tag big: busybox + N MiB of files (benchmarks)

Each call adds its tag to LAYOUT (created if missing).  Layers are made
with Python's tarfile, so every entry type, owner and name is exactly what
the test wants, including the malicious ones no real tar would write.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tarfile

MTIME = 1600000000
BUSYBOX = os.environ.get("BUSYBOX", "/bin/busybox")


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Layout:
    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(path, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)
        ip = os.path.join(path, "index.json")
        if os.path.exists(ip):
            with open(ip) as f:
                self.index = json.load(f)
        else:
            self.index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                          "manifests": []}

    def blob(self, data, media_type):
        d = sha(data)
        p = os.path.join(self.path, "blobs", "sha256", d[7:])
        if not os.path.exists(p):
            with open(p, "wb") as f:
                f.write(data)
        return {"mediaType": media_type, "digest": d, "size": len(data)}

    def tag(self, desc, name):
        desc = dict(desc)
        desc["annotations"] = {"org.opencontainers.image.ref.name": name}
        self.index["manifests"] = [m for m in self.index["manifests"]
                                   if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != name]
        self.index["manifests"].append(desc)
        with open(os.path.join(self.path, "index.json"), "w") as f:
            json.dump(self.index, f)


class Tar:
    """A layer's entries, in order."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.t = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.PAX_FORMAT)

    def _info(self, name, type_, mode, uid=0, gid=0, mtime=MTIME, xattrs=None):
        ti = tarfile.TarInfo(name)
        ti.type = type_
        ti.mode = mode
        ti.uid, ti.gid = uid, gid
        ti.uname = ti.gname = ""
        ti.mtime = mtime
        if xattrs:
            ti.pax_headers = {"SCHILY.xattr." + k: v for k, v in xattrs.items()}
        return ti

    def file(self, name, data=b"", mode=0o644, **kw):
        if isinstance(data, str):
            data = data.encode()
        ti = self._info(name, tarfile.REGTYPE, mode, **kw)
        ti.size = len(data)
        self.t.addfile(ti, io.BytesIO(data))

    def dir(self, name, mode=0o755, **kw):
        self.t.addfile(self._info(name, tarfile.DIRTYPE, mode, **kw))

    def symlink(self, name, target, **kw):
        ti = self._info(name, tarfile.SYMTYPE, 0o777, **kw)
        ti.linkname = target
        self.t.addfile(ti)

    def hardlink(self, name, target, **kw):
        ti = self._info(name, tarfile.LNKTYPE, 0o644, **kw)
        ti.linkname = target
        self.t.addfile(ti)

    def chardev(self, name, major, minor, mode=0o666):
        ti = self._info(name, tarfile.CHRTYPE, mode)
        ti.devmajor, ti.devminor = major, minor
        self.t.addfile(ti)

    def fifo(self, name, mode=0o600):
        self.t.addfile(self._info(name, tarfile.FIFOTYPE, mode))

    def whiteout(self, name):
        d, b = os.path.split(name)
        self.file(os.path.join(d, ".wh." + b))

    def opaque(self, dirname):
        self.file(os.path.join(dirname, ".wh..wh..opq"))

    def data(self):
        self.t.close()
        return self.buf.getvalue()


def compress(raw, how):
    if how == "gzip":
        return gzip.compress(raw, compresslevel=6, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"
    if how == "zstd":
        out = subprocess.run(["zstd", "-q", "-c", "-3"], input=raw, stdout=subprocess.PIPE, check=True).stdout
        return out, "application/vnd.oci.image.layer.v1.tar+zstd"
    return raw, "application/vnd.oci.image.layer.v1.tar"


def busybox_layer(probe=None):
    t = Tar()
    for d in ("bin", "etc", "root", "tmp", "home", "home/app", "proc", "sys", "dev", "usr", "usr/bin", "var"):
        t.dir(d, 0o1777 if d == "tmp" else (0o700 if d == "root" else 0o755),
              uid=1000 if d == "home/app" else 0, gid=1000 if d == "home/app" else 0)
    with open(BUSYBOX, "rb") as f:
        t.file("bin/busybox", f.read(), 0o755)
    applets = subprocess.run([BUSYBOX, "--list"], stdout=subprocess.PIPE, check=True, text=True).stdout.split()
    for a in applets:
        if a != "busybox":
            t.symlink("bin/" + a, "busybox")
    if probe:
        with open(probe, "rb") as f:
            t.file("bin/probe", f.read(), 0o755)
    t.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n"
           "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    t.file("etc/group", "root:x:0:\napp:x:1000:\nextra:x:2000:app,other\nwheel:x:10:app\n"
           "nogroup:x:65534:\n")
    t.file("etc/marker", "busybox\n")
    return t.data()


def multi_layers(zstd=True):
    layers = []
    t = Tar()
    t.dir("opt")
    t.dir("opt/many")
    rnd = random.Random(7)
    for i in range(2000):
        t.file("opt/many/f%04d" % i, "file %d %s\n" % (i, "x" * rnd.randrange(0, 200)),
               mode=rnd.choice([0o644, 0o600, 0o755, 0o444]), uid=rnd.choice([0, 1000]), gid=rnd.choice([0, 2000]))
    t.dir("etc/app", mode=0o750, uid=1000, gid=1000)
    t.file("etc/app/app.conf", "version=1\n", mode=0o640, uid=1000, gid=1000)
    t.file("usr/bin/setuid-thing", "#!/bin/sh\necho hi\n", mode=0o4755)
    t.file("usr/bin/setgid-thing", "#!/bin/sh\necho hi\n", mode=0o2755, gid=2000)
    t.dir("opt/data")
    t.file("opt/data/orig", "shared inode\n", mode=0o640, uid=1000)
    t.hardlink("opt/data/link1", "opt/data/orig")
    t.hardlink("opt/data/link2", "opt/data/orig")
    t.symlink("opt/rel", "data/orig")
    t.symlink("opt/abs", "/opt/data/orig")
    t.symlink("opt/dangling", "/nowhere/at/all")
    t.fifo("opt/fifo")
    t.chardev("opt/null", 1, 3)
    t.file("opt/xattr-file", "with xattrs\n", xattrs={"user.hako.test": "hello"})
    t.dir("gone")
    t.file("gone/a", "a\n")
    t.dir("gone/sub")
    t.file("gone/sub/b", "b\n")
    t.file("gonefile", "bye\n")
    t.dir("opq")
    t.file("opq/old1", "old\n")
    t.dir("opq/olddir")
    t.file("opq/olddir/old2", "old\n")
    t.file("will-be-dir", "a file for now\n")
    t.dir("will-be-file")
    t.file("will-be-file/child", "child\n")
    t.file("sticky-file", "x\n", mode=0o1644)
    t.file("./dot-slash-name", "leading ./\n")
    layers.append(compress(t.data(), "gzip"))

    t = Tar()
    t.whiteout("gone")
    t.whiteout("gonefile")
    t.dir("opq", mode=0o711)
    t.opaque("opq")
    t.file("opq/new", "new\n")
    t.whiteout("opt/data/link2")
    t.dir("will-be-dir", mode=0o700)
    t.file("will-be-dir/inner", "inner\n")
    t.file("will-be-file", "now a file\n", mode=0o600)
    t.file("etc/app/app.conf", "version=2\n", mode=0o640, uid=1000, gid=1000)
    t.whiteout("opt/many/f0007")
    t.whiteout("does-not-exist")
    layers.append(compress(t.data(), "zstd" if zstd else "gzip"))

    t = Tar()
    # Parents that no entry names.
    t.file("deep/a/b/c/file", "deep\n")
    t.dir("work", mode=0o775, uid=1000, gid=1000)
    t.file("work/hello.sh", "#!/bin/sh\necho \"multi as $(id -u):$(id -g) in $(pwd) FOO=$FOO\"\n", mode=0o755)
    t.dir("opq/later")
    t.file("opq/later/x", "x\n")
    layers.append(compress(t.data(), "none"))
    return layers


def write_image(lay, layers, config, tag=None, arch="amd64", variant=None):
    """Layers: list of (blob, media type).  Returns the manifest descriptor."""
    descs = [lay.blob(b, mt) for b, mt in layers]
    diff_ids = []
    for b, mt in layers:
        raw = b
        if mt.endswith("+gzip"):
            raw = gzip.decompress(b)
        elif mt.endswith("+zstd"):
            raw = subprocess.run(["zstd", "-q", "-d", "-c"], input=b, stdout=subprocess.PIPE, check=True).stdout
        diff_ids.append(sha(raw))
    cfg = {"created": "2024-01-02T03:04:05Z", "architecture": arch, "os": "linux",
           "config": config, "rootfs": {"type": "layers", "diff_ids": diff_ids},
           "history": [{"created": "2024-01-02T03:04:05Z", "created_by": "mkimage.py"}]}
    if variant:
        cfg["variant"] = variant
    cdesc = lay.blob(json.dumps(cfg).encode(), "application/vnd.oci.image.config.v1+json")
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": cdesc, "layers": descs}
    mdesc = lay.blob(json.dumps(man).encode(), "application/vnd.oci.image.manifest.v1+json")
    if tag:
        lay.tag(mdesc, tag)
    return mdesc


BASE_ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("layout")
    ap.add_argument("kind")
    ap.add_argument("--probe")
    ap.add_argument("--target")
    ap.add_argument("--mb", type=int, default=64)
    ap.add_argument("--tag")
    ap.add_argument("--user", help="busybox: the config's User")
    ap.add_argument("--salt", help="busybox: a second layer with /salt holding this (a unique image)")
    ap.add_argument("--repeat", action="store_true", help="busybox: the salt layer twice, an empty one between")
    a = ap.parse_args()
    lay = Layout(a.layout)
    base = compress(busybox_layer(a.probe), "gzip")
    tag = a.tag or a.kind
    if a.kind == "busybox":
        layers = [base]
        if a.salt:
            t = Tar()
            t.file("salt", a.salt + "\n" + "padding " * 4096)
            layers.append(compress(t.data(), "gzip"))
            if a.repeat:
                t = Tar()
                t.whiteout("salt")
                layers += [compress(t.data(), "gzip"), layers[-1]]
        cfg = {"Env": BASE_ENV, "Cmd": ["sh"]}
        if a.user:
            cfg["User"] = a.user
        write_image(lay, layers, cfg, tag)
    elif a.kind in ("multi", "multi-gz"):
        # multi-gz: the same layers, the zstd one as gzip (for umoci 0.4).
        write_image(lay, [base] + multi_layers(a.kind == "multi"), {
            "Env": BASE_ENV + ["FOO=bar"], "Entrypoint": ["/bin/sh", "-c"], "Cmd": ["/work/hello.sh"],
            "WorkingDir": "/work", "User": "app", "Labels": {"org.example.label": "x",
                                                             "org.opencontainers.image.author": "label wins"},
            "StopSignal": "SIGUSR1", "ExposedPorts": {"8080/tcp": {}, "53/udp": {}}}, tag)
    elif a.kind == "index":
        descs = []
        for arch, variant in (("amd64", None), ("arm64", "v8")):
            t = Tar()
            t.file("etc/platform", "%s\n" % arch)
            layer = compress(t.data(), "gzip")
            d = write_image(lay, [base, layer], {"Env": BASE_ENV, "Cmd": ["cat", "/etc/platform"]},
                            arch=arch, variant=variant)
            d["platform"] = {"os": "linux", "architecture": arch}
            if variant:
                d["platform"]["variant"] = variant
            descs.append(d)
        ix = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": descs}
        lay.tag(lay.blob(json.dumps(ix).encode(), "application/vnd.oci.image.index.v1+json"), tag)
    elif a.kind == "evil-symlink":
        # The target also exists inside the image, as an attacker would
        # arrange: writes through the links must land there.
        t1 = Tar()
        parts = a.target.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            t1.dir("/".join(parts[:i]))
        t1.symlink("escape", a.target)
        t1.symlink("escape2", "../../../../../../../../../.." + a.target)
        t1.symlink("loop", "loop")
        t2 = Tar()
        t2.whiteout("escape/secret")
        t2.opaque("escape2")
        t2.file("escape/pwned", "written through an absolute symlink\n")
        t2.file("escape2/pwned2", "written through a relative symlink\n")
        t2.file("/absolute-entry", "an absolute name\n")
        t2.dir("escape/madedir")
        write_image(lay, [base, compress(t1.data(), "gzip"), compress(t2.data(), "gzip")],
                    {"Env": BASE_ENV, "Cmd": ["sh"]}, tag)
    elif a.kind == "evil-dotdot":
        t = Tar()
        t.file("fine", "fine\n")
        t.file("../escaped-dotdot", "escaped\n")
        write_image(lay, [base, compress(t.data(), "gzip")], {"Env": BASE_ENV, "Cmd": ["sh"]}, tag)
    elif a.kind == "evil-hardlink":
        t1 = Tar()
        t1.symlink("hostdir", a.target)
        t2 = Tar()
        t2.hardlink("stolen", "hostdir/secret")
        write_image(lay, [base, compress(t1.data(), "gzip"), compress(t2.data(), "gzip")],
                    {"Env": BASE_ENV, "Cmd": ["sh"]}, tag)
    elif a.kind == "big":
        t = Tar()
        rnd = random.Random(1)
        t.dir("data")
        left = a.mb << 20
        i = 0
        while left > 0:
            n = min(left, rnd.choice([4 << 10, 64 << 10, 1 << 20]))
            # Half compressible text, half random bytes, like real binaries.
            t.file("data/f%05d" % i, rnd.randbytes(n // 2) + b"abc" * (n // 6))
            left -= n
            i += 1
        write_image(lay, [base, compress(t.data(), "gzip")], {"Env": BASE_ENV, "Cmd": ["sh"]}, tag)
    else:
        sys.exit("unknown kind " + a.kind)


if __name__ == "__main__":
    main()
