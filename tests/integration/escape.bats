#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The escape regression suite: the known attacks on container runtimes,
# played against hako.  Each test names its attack class; each must fail
# to reach the host.

load helpers
load rootfs-helpers

setup() {
	setup_hako
	setup_bundle probe mounts
	# The host side the attacks aim at.
	VICTIM="$BATS_TEST_TMPDIR/victim"
	mkdir -p "$VICTIM"
	echo hostsecret >"$VICTIM/file"
}

teardown() {
	[ -z "${SWAPPER:-}" ] || kill "$SWAPPER" 2>/dev/null || true
	rootfs_teardown
}

# A copy of hako that the attacks may aim at without harming the build.
own_hako() {
	cp "$HAKO" "$BATS_TEST_TMPDIR/hako"
	HAKO="$BATS_TEST_TMPDIR/hako"
	HAKO_SUM="$(sha256sum "$HAKO" | cut -d' ' -f1)"
}

assert_hako_intact() {
	[ "$(sha256sum "$HAKO" | cut -d' ' -f1)" = "$HAKO_SUM" ] || fail "the hako binary was overwritten"
}

# exe_attack: a container running `probe exe-attack`, and `hako exec`
# entering it while the attacker watches.  $output is the attacker's.
exe_attack() {
	args probe exe-attack 4
	hako create -b "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/attacker.out" 2>&1
	hako start "$ID"
	local i
	for i in 1 2 3 4 5 6; do
		hako exec "$ID" probe pid >/dev/null 2>&1 || true
		sleep 0.2
	done
	wait_for bash -c "[ \"\$('$HAKO' --root '$HAKO_ROOT' state '$ID' | jq -r .status)\" = stopped ]"
	hako delete "$ID"
	output="$(cat "$BATS_TEST_TMPDIR/attacker.out")"
}

add_caps() {
	local c
	for c in "$@"; do
		update_config '.process.capabilities.bounding += ["'$c'"] | .process.capabilities.effective += ["'$c'"]
			| .process.capabilities.permitted += ["'$c'"]'
	done
}

# Attack class 1 (CVE-2019-5736): overwrite the runtime binary through
# /proc/<pid>/exe of a hako process entering the container.  Default
# capabilities: hako is non-dumpable while it enters, so the link cannot
# even be opened, and hako runs from its own binary (no extra exec).
@test "escape 1: /proc/<pid>/exe of an entering hako cannot be opened by a default container" {
	own_hako
	exe_attack
	[[ "$output" == *"attack=failed"* ]]
	[[ "$output" != *"$HAKO"* ]]
	[[ "$output" != *memfd* ]]
	assert_hako_intact
	assert_no_leftovers "$ID"
}

# Attack class 1, with CAP_SYS_PTRACE over the host's user namespace:
# the link opens, but it names a sealed memfd copy, never the binary.
@test "escape 1: with CAP_SYS_PTRACE the link names a sealed copy, which cannot be written" {
	own_hako
	add_caps CAP_SYS_PTRACE CAP_DAC_OVERRIDE
	exe_attack
	[[ "$output" == *"opened="*"/memfd:hako"* ]]
	[[ "$output" != *"$HAKO"* ]]
	[[ "$output" == *"attack=failed"* ]]
	assert_hako_intact
	assert_no_leftovers "$ID"
}

# Attack class 1, a pid namespace shared with the host: the container
# sees every hako process, so all of them run from the sealed copy.
@test "escape 1: with the host's pid namespace hako runs from a sealed copy" {
	own_hako
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	args probe sleep 2
	"$HAKO" --root "$HAKO_ROOT" run -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 &
	local pid=$!
	wait_for bash -c "readlink /proc/$pid/exe | grep -q memfd"
	[[ "$(readlink /proc/$pid/exe)" == "/memfd:hako (deleted)" ]]
	wait "$pid"
	assert_hako_intact
	assert_no_leftovers "$ID"
}

# Attack class 2 (CVE-2024-21626): a host directory descriptor leaked
# into the container, reached through process.cwd = /proc/self/fd/N.
@test "escape 2: process.cwd on /proc/self/fd/N never lands outside the root, and no hako descriptor survives" {
	local fd
	for fd in 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		update_config '.process.cwd = "/proc/self/fd/'$fd'"'
		args probe cwd -- ls ..
		run hako run -b "$BUNDLE" "$ID"
		if [ "$status" -eq 0 ]; then
			[[ "$(field cwd)" == /* ]] || fail "fd $fd: cwd $(field cwd)"
		fi
		[[ "$output" != *unreachable* ]]
		assert_no_leftovers "$ID"
	done
	update_config '.process.cwd = "/"'
	args probe fds
	run_ok hako run -b "$BUNDLE" "$ID"
	[ "$(field fds)" = 0,1,2 ]
}

# Attack class 2, through exec: --cwd /proc/self/fd/N of the exec child.
@test "escape 2: exec --cwd /proc/self/fd/N never lands outside the root, and no hako descriptor survives" {
	args probe sleep 30
	hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	hako start "$ID"
	local fd
	for fd in 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		run hako exec --cwd "/proc/self/fd/$fd" "$ID" probe cwd
		if [ "$status" -eq 0 ]; then
			[[ "$(field cwd)" == /* ]] || fail "fd $fd: cwd $(field cwd)"
		fi
		[[ "$output" != *unreachable* ]]
	done
	run_ok hako exec "$ID" probe fds
	[ "$(field fds)" = 0,1,2 ]
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
}

# Attack class 3 (CVE-2021-30465 and older): mount destinations through
# symlinks planted in the rootfs, absolute, relative with `..`, chained.
@test "escape 3: mount destinations through planted symlinks stay inside the root" {
	local r="$BUNDLE/rootfs"
	ln -s "$VICTIM" "$r/abs"
	ln -s "../../../../../../../../../../../$VICTIM" "$r/rel"
	ln -s "/rel/../$(basename "$VICTIM")" "$r/chain"
	add_mount '{"destination":"/abs/x","type":"tmpfs","source":"tmpfs"}'
	add_mount '{"destination":"/rel/y","type":"tmpfs","source":"tmpfs"}'
	add_mount '{"destination":"/chain/z","type":"tmpfs","source":"tmpfs"}'
	add_mount '{"destination":"/abs/f","type":"bind","source":"'"$BUNDLE"'/config.json","options":["bind"]}'
	local mode
	for mode in 0 1; do
		HAKO_TEST_NO_OPENAT2=$mode run_ok hako run -b "$BUNDLE" "$ID"
		# Each landed on the path inside the root...
		[ "$(mnt_fstype "$VICTIM/x")" = tmpfs ]
		[ "$(mnt_fstype "$VICTIM/y")" = tmpfs ]
		[ "$(mnt_fstype "$VICTIM/z")" = tmpfs ]
		[ -n "$(mnt "$VICTIM/f")" ]
		[ -d "$r/$VICTIM/x" ]
		# ...and nothing was made on the host's.
		[ "$(ls "$VICTIM")" = file ]
		assert_no_leftovers "$ID"
	done
}

# renameat2(RENAME_EXCHANGE) of two paths, in a loop, until killed.
start_swapper() {
	python3 -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
a, b = (os.fsencode(p) for p in sys.argv[1:3])
while True:
    libc.renameat2(-100, a, -100, b, 2)
' "$1" "$2" &
	SWAPPER=$!
}

# race_runs CHECK: 15 runs with openat2 and 15 with the fallback walk while
# the swapper runs; CHECK (a function) judges each run's $status and
# $output: 0 a container that started and is sound, 1 a run that failed
# (closed), 2 an escape.  Requires that some started, stops the swapper.
race_runs() {
	local i ok=0 mode rc
	for mode in 0 1; do
		for i in $(seq 15); do
			HAKO_TEST_NO_OPENAT2=$mode run hako run -b "$BUNDLE" "$ID"
			rc=0
			"$1" || rc=$?
			[ "$rc" -ne 2 ] || return 1
			[ "$rc" -ne 0 ] || ok=$((ok + 1))
			assert_no_leftovers "$ID"
		done
	done
	kill "$SWAPPER"
	SWAPPER=
	[ "$ok" -gt 0 ] || fail "no run got through the race"
}

# Attack class 3, racing: a directory of the rootfs swapped with a symlink
# to the host while hako makes the mounts.
@test "escape 3: a symlink swapped in while hako works never takes a mount outside the root" {
	local r="$BUNDLE/rootfs"
	mkdir -p "$r/a"
	ln -s "$VICTIM" "$r/b"
	add_mount '{"destination":"/a/x","type":"tmpfs","source":"tmpfs"}'
	add_mount '{"destination":"/a/f","type":"bind","source":"'"$BUNDLE"'/config.json","options":["bind"]}'
	update_config '.linux.maskedPaths += ["/a/masked"]'
	start_swapper "$r/a" "$r/b"
	race_runs check_tmpfs_inside
	[ "$(ls "$VICTIM")" = file ]
}

# The tmpfs is in the container's tree: under /a or /b's in-root target,
# never detached with the host's root.
check_tmpfs_inside() {
	[ "$status" -eq 0 ] || return 1
	echo "$output" | awk '$9 == "tmpfs" && ($5 == "/a/x" || $5 == "'"$VICTIM"'/x" || $5 == "/b/x")' | grep -q . ||
		{ fail "the tmpfs for /a/x is not in the container: $output"; return 2; }
}

# Attack class 4: masked paths turned into symlinks by the rootfs.
@test "escape 4: a masked path that is a symlink ends masked where it leads, never outside the root" {
	local r="$BUNDLE/rootfs"
	echo secret >"$r/target"
	ln -s /target "$r/masked"
	ln -s "../../../../../../../$VICTIM/file" "$r/masked-host"
	update_config '.linux.maskedPaths += ["/masked","/masked-host"]'
	args probe cat /masked -- cat /target -- cat /masked-host -- mounts
	run hako run -b "$BUNDLE" "$ID"
	! echo "$output" | grep -qx secret || false
	! echo "$output" | grep -qx hostsecret || false
	[ "$(mnt_root /target)" = /null ]
	[ "$(cat "$VICTIM/file")" = hostsecret ]
	! grep -q "$VICTIM" /proc/self/mountinfo || false
	assert_no_leftovers "$ID"
}

# Attack class 4: the rootfs makes /proc a symlink, so that procfs and the
# masks over it could part ways.  Both follow the link inside the root.
@test "escape 4: /proc as a symlink in the rootfs: procfs lands where it leads and the masks follow" {
	local r="$BUNDLE/rootfs"
	rmdir "$r/proc"
	mkdir "$r/fakeproc"
	ln -s /fakeproc "$r/proc"
	args probe cat /proc/timer_list -- stat /proc/timer_list -- write /proc/sys/kernel/hostname x -- mounts
	run hako run -b "$BUNDLE" "$ID"
	[ "$(mnt_fstype /fakeproc)" = proc ]
	[ "$(mnt_root /fakeproc/timer_list)" = /null ]
	assert_opt /fakeproc/sys ro
	[[ "$output" == *"rdev=1:3"* ]]
	[[ "$output" == *"write=error errno=30"* ]]
	assert_no_leftovers "$ID"
}

# Attack class 4: a masked path the rootfs made unresolvable (a link
# loop): fail closed, never run unmasked.
@test "escape 4: a masked or read-only path that cannot be resolved fails closed" {
	ln -s /loop "$BUNDLE/rootfs/loop"
	update_config '.linux.maskedPaths += ["/loop/secret"]'
	run_fails hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"linux.maskedPaths["*"/loop/secret"* ]]
	assert_no_leftovers "$ID"
	update_config '.linux.maskedPaths = [] | .linux.readonlyPaths += ["/loop"]'
	run_fails hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"linux.readonlyPaths["*"/loop"* ]]
	assert_no_leftovers "$ID"
}

# Attack class 4 (CVE-2019-19921 and kin): /proc swapped for a link to a
# decoy while hako works, so that the masks and read-only binds would go
# on the decoy and leave procfs bare.  They are looked up from the procfs
# mount itself: masked, or the run fails.
@test "escape 4: /proc swapped for a decoy while hako works: procfs still ends masked, or the run fails" {
	local r="$BUNDLE/rootfs"
	mkdir -p "$r/fakeproc/sys"
	echo decoy >"$r/fakeproc/timer_list"
	ln -s /fakeproc "$r/p2"
	args probe cat /proc/timer_list -- write /proc/sys/kernel/hostname x -- mounts
	start_swapper "$r/proc" "$r/p2"
	race_runs check_procfs_masked
}

check_procfs_masked() {
	[[ "$output" != *"Timer List"* ]] || { fail "procfs timer_list readable: $output"; return 2; }
	[ "$status" -le 1 ] && [[ "$output" == *" - proc "* ]] || return 1
	# By mount ids: the names mountinfo prints race with the swaps.
	local p
	p="$(echo "$output" | awk '$9 == "proc" && $4 == "/" {print $1}')"
	echo "$output" | awk -v p="$p" '$2 == p && $4 == "/null" && $5 ~ /\/timer_list$/' | grep -q . ||
		{ fail "timer_list of procfs not masked: $output"; return 2; }
	echo "$output" | awk -v p="$p" '$2 == p && $4 == "/sys" && $6 ~ /(^|,)ro(,|$)/' | grep -q . ||
		{ fail "sys of procfs not read-only: $output"; return 2; }
}

# Attack class 4: the masks use /dev/null, which the rootfs tries to be.
@test "escape 4: a rootfs /dev/null that is a link or a file never becomes the mask" {
	local r="$BUNDLE/rootfs"
	update_config '.mounts |= map(select(.destination != "/dev"))'
	ln -s "$VICTIM/file" "$r/dev/null"
	echo secret >"$r/tomask"
	update_config '.linux.maskedPaths += ["/tomask"]'
	args probe stat /tomask -- cat /tomask
	run_ok hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"rdev=1:3"*"type=char"* ]]
	! echo "$output" | grep -qx secret || false
	! echo "$output" | grep -qx hostsecret || false
	[ "$(cat "$VICTIM/file")" = hostsecret ]
	assert_no_leftovers "$ID"
}

# Attack class 4: /dev/console planted as a link to the host, or as
# something that is not a file.
@test "escape 4: /dev/console replaced by a symlink or a directory never binds the pty outside" {
	local r="$BUNDLE/rootfs"
	update_config '.mounts |= map(select(.destination != "/dev"))'
	ln -s "$VICTIM/file" "$r/dev/console"
	args probe stat /dev/console -- readlink /dev/console
	run_console
	[ "$status" -eq 0 ]
	[[ "$output" == *"type=char"* ]]
	[[ "$(field rdev)" == 136:* ]]
	[ "$(cat "$VICTIM/file")" = hostsecret ]
	[ -L "$r/dev/console" ] || [ ! -e "$r/dev/console" ] || [ -f "$r/dev/console" ]
	assert_no_leftovers "$ID"

	rm -f "$r/dev/console"
	mkdir "$r/dev/console"
	touch "$r/dev/console/inside"
	run_console
	[ "$status" -ne 0 ]
	[[ "$output" == *console* ]]
	assert_no_leftovers "$ID"
}

# Attack class 4 (CVE-2025-52565 and kin): the rootfs's /proc is a decoy
# whose self/fd/N all lead to one file (procfs is mounted elsewhere): a
# console bind through /proc/self/fd paths would go decoy on decoy and
# leave /dev/console a plain file.  It is made with descriptors only.
@test "escape 4: a decoy /proc cannot redirect the bind of the pty on /dev/console" {
	local r="$BUNDLE/rootfs" n
	mkdir -p "$r/fakeproc/self/fd"
	echo decoy >"$r/decoy"
	for n in $(seq 0 200); do ln -s /decoy "$r/fakeproc/self/fd/$n"; done
	rmdir "$r/proc"
	ln -s /fakeproc "$r/proc"
	update_config '(.mounts[] | select(.destination == "/proc")).destination = "/realproc"
		| .linux.maskedPaths = [] | .linux.readonlyPaths = []'
	args probe stat /dev/console -- readlink /proc/self/fd/0
	run_console
	[ "$status" -eq 0 ]
	[ "$(field type)" = char ]
	[[ "$(field rdev)" == 136:* ]]
	[ "$(cat "$r/decoy")" = decoy ]
	assert_no_leftovers "$ID"
}

# Attack class 5 (CVE-2019-16884 and kin): procfs writes redirected by a
# mount over /proc.  sysctl: a fake /proc/sys with the same file names.
@test "escape 5: linux.sysctl is not written through a mount over /proc/sys" {
	local fake="$BATS_TEST_TMPDIR/fakesys"
	mkdir -p "$fake/kernel"
	echo 1 >"$fake/kernel/shmmax"
	add_mount '{"destination":"/proc/sys","type":"bind","source":"'"$fake"'","options":["rbind"]}'
	update_config '.linux.sysctl = {"kernel.shmmax":"4242"}'
	run_fails hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *'linux.sysctl["kernel.shmmax"]'*"procfs"* ]]
	[ "$(cat "$fake/kernel/shmmax")" = 1 ]
	assert_no_leftovers "$ID"
}

# Attack class 5: a sysctl write sent to another procfs file through a
# link of the rootfs (procfs mounted elsewhere, /proc/sys/net/ipv4 a link
# to .../ipv6): sysctls go only through procfs mounted on /proc.
@test "escape 5: linux.sysctl is not redirected to another procfs file by a link in the rootfs" {
	local r="$BUNDLE/rootfs"
	update_config '(.mounts[] | select(.destination == "/proc")).destination = "/realproc"
		| .linux.sysctl = {"net.ipv4.conf.all.forwarding":"1"}'
	mkdir -p "$r/proc/sys/net"
	ln -s /realproc/sys/net/ipv6 "$r/proc/sys/net/ipv4"
	run_fails hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *'linux.sysctl["net.ipv4.conf.all.forwarding"]'*"procfs mounted on /proc"* ]]
	assert_no_leftovers "$ID"
}

# Attack class 5: oom_score_adj written through a fake /proc.
@test "escape 5: process.oomScoreAdj is not written through a mount over /proc" {
	local fake="$BATS_TEST_TMPDIR/fakeproc"
	mkdir -p "$fake/self" "$fake/thread-self/attr"
	echo 0 >"$fake/self/oom_score_adj"
	update_config '(.mounts[] | select(.destination == "/proc")) |= {"destination":"/proc","type":"bind","source":"'"$fake"'","options":["rbind"]}
		| .linux.maskedPaths = [] | .linux.readonlyPaths = [] | .process.oomScoreAdj = 500'
	run_fails hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *oom* ]]
	[ "$(cat "$fake/self/oom_score_adj")" = 0 ]
	assert_no_leftovers "$ID"
}

# Attack class 5: the AppArmor exec attribute through a fake /proc.
@test "escape 5: the AppArmor profile is not written through a mount over /proc" {
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] || skip "AppArmor is not enabled on this host"
	local fake="$BATS_TEST_TMPDIR/fakeproc"
	mkdir -p "$fake/thread-self/attr/apparmor"
	touch "$fake/thread-self/attr/apparmor/exec" "$fake/thread-self/attr/exec"
	update_config '(.mounts[] | select(.destination == "/proc")) |= {"destination":"/proc","type":"bind","source":"'"$fake"'","options":["rbind"]}
		| .linux.maskedPaths = [] | .linux.readonlyPaths = [] | .process.apparmorProfile = "unconfined"'
	run_fails hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *procfs* ]]
	[ ! -s "$fake/thread-self/attr/apparmor/exec" ]
	assert_no_leftovers "$ID"
}
