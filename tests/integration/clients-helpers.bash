# SPDX-License-Identifier: Apache-2.0
# Shared by podman*.bats and containerd*.bats (load after helpers): the
# clients from Debian's packages, a busybox image made offline, a logging
# wrapper that records every runtime call, isolated client stores, and a
# private containerd.  Everything lives in one directory per bats file
# ($CLIENTS_DIR), readable by the rootless test user.

CLIENTS_SRC="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
CLIENT_PACKAGES="podman conmon catatonit containerd uidmap busybox-static jq python3"

# Install what is missing (CI machines start without the clients).  Others
# may be running apt at the same time: wait for the lock.
clients_install() {
	local p missing=""
	for p in $CLIENT_PACKAGES; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "# installing:$missing" >&3
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 || return 1
	# shellcheck disable=SC2086
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >&2
}

# A directory for this bats file, and the wrappers in it (bin/, quiet/).
# With "rootless" the wrappers add no --root (hako picks its own).
clients_setup() {
	local root=""
	clients_install || {
		echo "cannot install:$CLIENT_PACKAGES" >&2
		return 1
	}
	CLIENTS_DIR="$(mktemp -d /tmp/hako-clients.XXXXXX)"
	chmod 755 "$CLIENTS_DIR"
	export CLIENTS_DIR
	if [ "${1:-}" != rootless ]; then
		root="$CLIENTS_DIR/hako-root"
		mkdir -p "$root"
	fi
	clients_wrapper "$CLIENTS_DIR/bin" "" "$root"
	clients_wrapper "$CLIENTS_DIR/quiet" quiet "$root"
}

# clients_wrapper DIR [quiet] [STATE-ROOT]: DIR/hako records each call in
# DIR/calls.log (argument count, then the arguments, NUL-separated: one
# write) and runs a copy of hako.  quiet: hako's stderr goes nowhere, so an
# error can only reach the client through --log.  STATE-ROOT: the --root
# given to hako when the client passes none (podman as root passes none and
# would use /run/hako; the record shows what the client passed).
clients_wrapper() {
	local dir="$1" quiet="${2:-}" root="${3:-}"
	mkdir -p "$dir"
	cp "$HAKO" "$dir/hako.bin"
	: >"$dir/calls.log"
	chmod 666 "$dir/calls.log"
	{
		echo '#!/bin/bash'
		printf 'printf %q "$#" "$@" >>%q\n' '%s\0' "$dir/calls.log"
		[ -z "$quiet" ] || echo 'exec 2>/dev/null'
		if [ -n "$root" ]; then
			printf 'root=%q\n' "$root"
			echo 'for a; do case "$a" in --root | --root=*) root= ;; esac; done'
			printf 'exec %q ${root:+--root "$root"} "$@"\n' "$dir/hako.bin"
		else
			printf 'exec %q "$@"\n' "$dir/hako.bin"
		fi
	} >"$dir/hako"
	chmod 755 "$dir" "$dir/hako"
}

# The recorded calls of the wrapper in DIR, one shell-quoted line each.
clients_calls() {
	python3 -c '
import shlex, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
d = open(sys.argv[1], "rb").read().split(b"\0")
i = 0
while i < len(d) and d[i]:
    n = int(d[i]); print(" ".join(shlex.quote(a.decode()) for a in d[i + 1:i + 1 + n])); i += 1 + n
' "$1/calls.log"
}

# Called by each test's teardown: which tests ran (see below).
clients_mark_ran() {
	echo "$BATS_TEST_NAME" >>"$CLIENTS_DIR/ran"
}

# clients_check_invocations EXPECTED-FILE DIR...: every call recorded by
# the wrappers in DIR... has a shape in EXPECTED-FILE and uses only what
# `hako --help` lists; the shapes are printed in the TAP output.  Every
# expected shape must have been seen when all the other tests of the file
# ran (not with bats -f).
clients_check_invocations() {
	local expected="$1" all="$CLIENTS_DIR/all-calls" d partial=""
	shift
	: >"$all"
	for d in "$@"; do cat "$d/calls.log" >>"$all"; done
	if [ "$(sort -u "$CLIENTS_DIR/ran" 2>/dev/null | wc -l)" -lt $(($(grep -c '^@test ' "$BATS_TEST_FILENAME") - 1)) ]; then
		partial=partial
	fi
	run python3 "$CLIENTS_SRC/tests/clients/invocations.py" "$HAKO" "$all" "$expected" $partial
	echo "$output" | sed 's/^/# /' >&3
	[ "$status" -eq 0 ]
}

# The busybox root file system as a tar: busybox-static with its applets,
# passwd and group with a user 1000.
clients_rootfs_tar() {
	local out="$1" r="$CLIENTS_DIR/rootfs" a
	rm -rf "$r"
	mkdir -p "$r"/{bin,etc,proc,sys,dev,tmp,root,home/user,run,var/tmp,data}
	cp "$BUSYBOX" "$r/bin/busybox"
	for a in $("$BUSYBOX" --list); do
		[ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
	printf 'root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n' >"$r/etc/group"
	chmod 1777 "$r/tmp" "$r/var/tmp"
	chown 1000:1000 "$r/home/user"
	tar -C "$r" --numeric-owner -cf "$out" .
	rm -rf "$r"
}

# clients_oci_archive ROOTFS-TAR OUT NAME: an OCI image layout tar with one
# uncompressed layer, named NAME for `ctr image import`.
clients_oci_archive() {
	local layer="$1" out="$2" name="$3" d="$CLIENTS_DIR/oci" ld cd md
	rm -rf "$d"
	mkdir -p "$d/blobs/sha256"
	ld="$(sha256sum "$layer" | cut -d' ' -f1)"
	cp "$layer" "$d/blobs/sha256/$ld"
	jq -cn --arg diff "sha256:$ld" --arg arch "$(dpkg --print-architecture)" \
		'{architecture: $arch, os: "linux", config: {Env: ["PATH=/bin"], Cmd: ["sh"]},
		  rootfs: {type: "layers", diff_ids: [$diff]}}' >"$d/config"
	cd="$(sha256sum "$d/config" | cut -d' ' -f1)"
	mv "$d/config" "$d/blobs/sha256/$cd"
	jq -cn --arg c "sha256:$cd" --argjson cs "$(stat -c %s "$d/blobs/sha256/$cd")" \
		--arg l "sha256:$ld" --argjson ls "$(stat -c %s "$layer")" \
		'{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		  config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
		  layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]}' >"$d/manifest"
	md="$(sha256sum "$d/manifest" | cut -d' ' -f1)"
	jq -cn --arg m "sha256:$md" --argjson ms "$(stat -c %s "$d/manifest")" --arg name "$name" \
		'{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
		  digest: $m, size: $ms, annotations: {"io.containerd.image.name": $name,
		  "org.opencontainers.image.ref.name": ($name | sub(".*:"; ""))}}]}' >"$d/index.json"
	mv "$d/manifest" "$d/blobs/sha256/$md"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
	tar -C "$d" -cf "$out" oci-layout index.json blobs
	rm -rf "$d"
}

# A containers.conf from contrib's snippet with the wrapper as the hako
# runtime; extra lines (more tables) appended.
clients_containers_conf() {
	local out="$1" wrapper="$2"
	sed "s|^hako = \[.*\]|hako = [\"$wrapper\"]|" "$CLIENTS_SRC/contrib/containers.conf.d/50-hako.conf" >"$out"
	grep -q "^hako = \[\"$wrapper\"\]" "$out"
}

# Remove the cgroup directories below PARENT (deepest first) in every
# hierarchy: only ones this file made.  A conmon or shim on its way out
# may keep one busy for a moment.
clients_rm_cgroups() {
	local parent="$1" d i left
	[ -n "$parent" ] || return 0
	for i in $(seq 50); do
		left=""
		for d in /sys/fs/cgroup/*/"$parent" /sys/fs/cgroup/"$parent"; do
			[ -d "$d" ] || continue
			find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || left=1
		done
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "# cgroups left under $parent" >&3
}

# Run a command with a deadline; fail (after killing it) when it hangs.
with_timeout() {
	timeout -k 5 "$@"
}

# The cgroup v1 directory of a process in CONTROLLER.
proc_cgroup_dir() {
	local pid="$1" ctrl="$2"
	echo "/sys/fs/cgroup/$ctrl$(awk -F: -v c="$ctrl" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")"
}
