# SPDX-License-Identifier: Apache-2.0
# Helpers of the lifecycle, exec, hooks, terminal and namespaces tests
# (loaded after helpers.bash).

RECVTTY="${RECVTTY:-$HAKO_BUILDDIR/tests/helpers/recvtty}"

# status_of ID: the status `state` reports (or "none" when state fails).
status_of() {
	local out
	if out="$("$HAKO" --root "$HAKO_ROOT" state "$1" 2>/dev/null)"; then
		echo "$out" | jq -r .status
	else
		echo none
	fi
}

# wait_status ID STATUS: until state reports STATUS (5 s).
wait_status() {
	local i s
	for i in $(seq 100); do
		s="$(status_of "$1")"
		[ "$s" = "$2" ] && return 0
		sleep 0.05
	done
	echo "status of $1 is $s, expected $2" >&2
	return 1
}

# wait_file FILE [TEXT]: until FILE exists (and holds TEXT), 5 s.
wait_file() {
	local i
	for i in $(seq 100); do
		if [ -e "$1" ] && { [ $# -lt 2 ] || grep -q -- "$2" "$1"; }; then
			return 0
		fi
		sleep 0.05
	done
	echo "$1 never appeared${2:+ with $2}" >&2
	return 1
}

# out_dir: $OUT, a host directory bound read-write on /out in the
# container (the root itself is read-only in the default config).
bind_out() {
	OUT="$BATS_TEST_TMPDIR/out"
	mkdir -p "$OUT" "$BUNDLE/rootfs/out"
	chmod 777 "$OUT"
	update_config '.mounts += [{"destination":"/out","type":"bind","source":"'"$OUT"'","options":["rbind","rw"]}]'
}

# set_args ARG...: the container's process.args.
set_args() {
	local args
	args="$(printf '%s\n' "$@" | jq -R . | jq -s -c .)"
	update_config ".process.args = $args"
}

# start_recvtty SOCKET OUTFILE [INPUT]: a console-socket receiver in the
# background ($RECVTTY_PID); returns once it listens.
start_recvtty() {
	local sock="$1" out="$2"
	if [ $# -ge 3 ]; then
		"$RECVTTY" --input "$3" "$sock" >"$out" 2>&1 &
	else
		"$RECVTTY" "$sock" >"$out" 2>&1 &
	fi
	RECVTTY_PID=$!
	wait_for test -S "$sock"
}

# ns_of PID TYPE: the namespace link of a host process.
ns_of() {
	readlink "/proc/$1/ns/$2"
}

# A list of every state dir entry and cgroup of this test's ids.
assert_root_empty() {
	local left
	left="$(ls -A "$HAKO_ROOT" 2>/dev/null)"
	[ -z "$left" ] || fail "left in the state root: $left"
}

# gone PID: the process has exited (it may be a zombie nobody reaped yet).
gone() {
	[ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*[ZX]' "/proc/$1/status" 2>/dev/null
}

# ns_mount_count PID: how many mounts the mount namespace of PID holds,
# including those its root cannot see (listmount(2) by namespace id).
ns_mount_count() {
	python3 - "$1" <<'PY'
import ctypes, fcntl, os, struct, sys
fd = os.open("/proc/%s/ns/mnt" % sys.argv[1], os.O_RDONLY)
buf = bytearray(8)
fcntl.ioctl(fd, (2 << 30) | (8 << 16) | (0xb7 << 8) | 5, buf)  # NS_GET_MNTNS_ID
req = struct.pack("IIQQQ", 32, 0, 0xffffffffffffffff, 0, struct.unpack("Q", buf)[0])
out = (ctypes.c_uint64 * 65536)()
libc = ctypes.CDLL(None, use_errno=True)
n = libc.syscall(458, ctypes.c_char_p(req), out, 65536, 0)  # listmount
if n < 0:
    sys.exit("listmount: errno %d" % ctypes.get_errno())
print(n)
PY
}

# sys_bind: /sys bound from the host instead of a new sysfs (which a user
# namespace may not mount without owning the network namespace).
sys_bind() {
	update_config '.mounts |= map(if .destination == "/sys" then {"destination":"/sys","type":"none","source":"/sys","options":["rbind","nosuid","noexec","nodev","ro"]} else . end)'
}

# new_netns FILE: a network namespace bound on FILE (unmount_netns FILE).
new_netns() {
	touch "$1"
	unshare --net="$1" true
}
unmount_netns() {
	if mountpoint -q "$1" 2>/dev/null || grep -q " $1 " /proc/self/mountinfo; then
		umount "$1"
	fi
}

# no_process_in ROOT: no process runs with ROOT as its root directory.
no_process_in() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" != "$1" ] || return 1
	done
}
