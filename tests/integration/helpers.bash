# SPDX-License-Identifier: Apache-2.0
# Shared by every bats file: where hako and the probe are, a busybox test
# rootfs made from Debian's busybox-static, bundles, unique ids, a private
# --root per test, and checks that nothing is left behind.

: "${HAKO_BUILDDIR:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
HAKO="${HAKO:-$HAKO_BUILDDIR/hako}"
PROBE="${PROBE:-$HAKO_BUILDDIR/tests/helpers/probe}"
BUSYBOX="${BUSYBOX:-/bin/busybox}"
TESTS_DIR="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"

# A cached base rootfs: busybox with its applets, the probe, passwd/group.
base_rootfs() {
	local base="${BATS_RUN_TMPDIR:-/tmp}/hako-base-rootfs"
	if [ ! -e "$base/.done" ]; then
		local tmp="$base.$$"
		rm -rf "$tmp"
		mkdir -p "$tmp"/{bin,sbin,etc,proc,sys,dev,tmp,root,home,run,var/tmp}
		cp "$BUSYBOX" "$tmp/bin/busybox"
		local a
		for a in $("$BUSYBOX" --list); do
			[ -e "$tmp/bin/$a" ] || ln -s busybox "$tmp/bin/$a"
		done
		cp "$PROBE" "$tmp/bin/probe"
		printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nuser:x:1000:1000:user:/home/user:/bin/sh\n' >"$tmp/etc/passwd"
		printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\nuser:x:1000:\n' >"$tmp/etc/group"
		chmod 1777 "$tmp/tmp"
		touch "$tmp/.done"
		mv -T "$tmp" "$base" 2>/dev/null || rm -rf "$tmp"
	fi
	echo "$base"
}

# setup_bundle: $BUNDLE with rootfs/ and a config.json whose process runs
# the given command (default: probe pid), no terminal.
setup_bundle() {
	BUNDLE="$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/bundle.XXXXXX")"
	cp -a "$(base_rootfs)" "$BUNDLE/rootfs"
	rm -f "$BUNDLE/rootfs/.done"
	(cd "$BUNDLE" && "$HAKO" spec)
	local args='["probe","pid"]'
	if [ $# -gt 0 ]; then
		args="$(printf '%s\n' "$@" | jq -R . | jq -s -c .)"
	fi
	update_config ".process.terminal = false | .process.args = $args"
}

# update_config JQ-FILTER: edit $BUNDLE/config.json in place.
update_config() {
	local tmp
	tmp="$(mktemp)"
	jq "$1" "$BUNDLE/config.json" >"$tmp" && mv "$tmp" "$BUNDLE/config.json"
}

# A private state root and an id unique to this test.
setup_hako() {
	HAKO_ROOT="$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/root.XXXXXX")"
	ID="t$$-${BATS_TEST_NUMBER}-$RANDOM"
	MOUNTS_BEFORE="$(wc -l </proc/self/mountinfo)"
}

hako() {
	"$HAKO" --root "$HAKO_ROOT" "$@"
}

# Remove every container of this test and check nothing is left: no state,
# no cgroup named after a test id, no extra mount.
teardown_hako() {
	local id
	if [ -d "$HAKO_ROOT" ]; then
		for id in $(ls "$HAKO_ROOT" 2>/dev/null); do
			"$HAKO" --root "$HAKO_ROOT" delete --force "$id" >/dev/null 2>&1 || true
		done
		rmdir "$HAKO_ROOT" 2>/dev/null || true
	fi
}

# assert_no_leftovers ID: the container's state dir, cgroups and mounts are gone.
assert_no_leftovers() {
	local id="$1"
	[ ! -e "$HAKO_ROOT/$id" ] || fail "state directory of $id left behind"
	local d
	for d in /sys/fs/cgroup/*/hako/"$id" /sys/fs/cgroup/hako/"$id" /sys/fs/cgroup/unified/hako/"$id"; do
		[ ! -e "$d" ] || fail "cgroup $d left behind"
	done
	if grep -q "$BUNDLE/rootfs" /proc/self/mountinfo 2>/dev/null; then
		fail "mounts under $BUNDLE/rootfs left behind"
	fi
}

fail() {
	echo "FAIL: $*" >&2
	return 1
}

# wait_for COND-COMMAND...: retry for up to 5 s.
wait_for() {
	local i
	for i in $(seq 100); do
		if "$@"; then return 0; fi
		sleep 0.05
	done
	return 1
}

# The value of key=value in $output.
field() {
	echo "$output" | sed -n "s/^$1=//p" | head -n1
}

cgroup_v1_dir() {
	echo "/sys/fs/cgroup/$1/hako/$ID"
}

# traversable PATH: every directory up to PATH searchable by others (ids
# mapped in a user namespace must reach the bundle).
traversable() {
	local d="$1"
	while [ "$d" != / ] && [ -n "$d" ]; do
		chmod o+x "$d"
		d="$(dirname "$d")"
	done
}

# any_user_copy BIN: a copy of BIN that other users can run, in this
# file's temporary directory (the build tree may sit under a directory
# they cannot enter, such as one made by mktemp -d); its path.
any_user_copy() {
	local d="$BATS_FILE_TMPDIR/any-user"
	mkdir -p "$d"
	[ -x "$d/${1##*/}" ] || { cp "$1" "$d/" && chmod 755 "$d/${1##*/}"; }
	traversable "$d"
	echo "$d/${1##*/}"
}
