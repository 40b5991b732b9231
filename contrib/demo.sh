#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Install, build, and run a container from the embedded default image: a
# busybox root file system made from Debian's busybox-static (no network).
#   contrib/demo.sh [COMMAND...]
set -eu
src="$(cd "$(dirname "$0")/.." && pwd)"
"$src/contrib/setup.sh" ${HAKO_NO_APT:+--no-apt}
bundle="$src/build/demo-bundle"
if [ ! -d "$bundle/rootfs" ]; then
	mkdir -p "$bundle/rootfs"/{bin,etc,proc,sys,dev,tmp,root}
	cp /bin/busybox "$bundle/rootfs/bin/"
	for a in $(/bin/busybox --list); do
		[ -e "$bundle/rootfs/bin/$a" ] || ln -s busybox "$bundle/rootfs/bin/$a"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$bundle/rootfs/etc/passwd"
	echo 'root:x:0:' >"$bundle/rootfs/etc/group"
fi
rm -f "$bundle/config.json"
(cd "$bundle" && "$src/build/hako" spec)
tty=false
[ -t 0 ] && [ -t 1 ] && tty=true
if [ $# -eq 0 ]; then
	set -- sh -c 'echo "hello from a hako container"; echo "pid: $$"; echo "hostname: $(hostname)"; echo "id: $(id)"; echo "root: $(ls /)"; ps'
fi
args="$(printf '%s\n' "$@" | python3 -c 'import json,sys; print(json.dumps([l.rstrip("\n") for l in sys.stdin]))')"
python3 - "$bundle/config.json" "$tty" "$args" <<'PY'
import json, sys
path, tty, args = sys.argv[1], sys.argv[2] == "true", json.loads(sys.argv[3])
c = json.load(open(path))
c["process"]["terminal"] = tty
c["process"]["args"] = args
json.dump(c, open(path, "w"), indent=2)
PY
exec "$src/build/hako" run -b "$bundle" "demo-$$"
