# SPDX-License-Identifier: Apache-2.0
# Shared by rootfs.bats, mounts.bats, devices.bats and escape.bats:
# reading back /proc/self/mountinfo as the probe prints it (`probe mounts`)
# and setting up host sources for mounts.

# mnt DEST: the mountinfo line, from $output, of the top mount on DEST.
mnt() {
	echo "$output" | awk -v d="$1" '$5 == d' | tail -n1
}

# mnt_opts DEST: its per-mount options (ro,nosuid,...).
mnt_opts() {
	mnt "$1" | awk '{print $6}'
}

# mnt_tags DEST: its optional fields (shared:N master:N unbindable).
mnt_tags() {
	mnt "$1" | sed 's/ - .*//' | cut -d' ' -f7-
}

# mnt_fstype DEST, mnt_source DEST, mnt_super DEST: after the " - ".
mnt_fstype() {
	mnt "$1" | sed 's/.* - //' | awk '{print $1}'
}
mnt_source() {
	mnt "$1" | sed 's/.* - //' | awk '{print $2}'
}
mnt_super() {
	mnt "$1" | sed 's/.* - //' | awk '{print $3}'
}

# mnt_root DEST: the root of the mount within its file system (field 4).
mnt_root() {
	mnt "$1" | awk '{print $4}'
}

# has_opt LIST OPT: OPT is one of the comma-separated LIST.
has_opt() {
	[[ ",$1," == *",$2,"* ]]
}

# assert_opt DEST OPT / refute_opt DEST OPT: on the per-mount options.
assert_opt() {
	local o
	o="$(mnt_opts "$1")"
	[ -n "$o" ] || fail "no mount on $1"
	has_opt "$o" "$2" || fail "mount on $1 has options $o, not $2"
}
refute_opt() {
	local o
	o="$(mnt_opts "$1")"
	[ -n "$o" ] || fail "no mount on $1"
	! has_opt "$o" "$2" || fail "mount on $1 has options $o, with $2"
}

# args CMD...: the container's process.args.
args() {
	local a
	a="$(printf '%s\n' "$@" | jq -R . | jq -s -c .)"
	update_config ".process.args = $a"
}

# The teardown of these files: the containers, then the host mounts.
rootfs_teardown() {
	teardown_hako
	cleanup_host_mounts
}

# add_mount JSON: append to mounts[].
add_mount() {
	update_config ".mounts += [$1]"
}

# userns_config: a new user namespace mapping 0-65535 to 100000-165535.
USERNS_BASE=100000
userns_config() {
	update_config '.linux.namespaces += [{"type":"user"}]
		| .linux.uidMappings = [{"containerID":0,"hostID":'$USERNS_BASE',"size":65536}]
		| .linux.gidMappings = [{"containerID":0,"hostID":'$USERNS_BASE',"size":65536}]'
	# The rootfs belongs to the mapped root, who must be able to walk to
	# it and to the mount sources.
	chown -R "$USERNS_BASE:$USERNS_BASE" "$BUNDLE/rootfs"
	local d="$BUNDLE"
	while [ "$d" != / ]; do
		chmod o+x "$d"
		d="$(dirname "$d")"
	done
}

# host_mount ARGS... DIR: a mount on the host that the test removes in
# teardown (cleanup_host_mounts).
HOST_MOUNTS=()
host_mount() {
	local dir="${*: -1}"
	mkdir -p "$dir"
	mount "$@"
	HOST_MOUNTS+=("$dir")
}
cleanup_host_mounts() {
	local i
	for ((i = ${#HOST_MOUNTS[@]} - 1; i >= 0; i--)); do
		umount -l "${HOST_MOUNTS[$i]}" 2>/dev/null || true
	done
	HOST_MOUNTS=()
}

# run_ok CMD...: run it, show its output on failure, and require status 0.
run_ok() {
	run "$@"
	if [ "$status" -ne 0 ]; then
		echo "status=$status output: $output" >&2
		return 1
	fi
}

# run_fails CMD...: run it, require a non-zero status.
run_fails() {
	run "$@"
	if [ "$status" -eq 0 ]; then
		echo "unexpected success, output: $output" >&2
		return 1
	fi
}

# run_console CMD...: `hako create` the bundle with a terminal, a console
# socket whose receiver copies the pty to $BATS_TEST_TMPDIR/console.out,
# start it, wait for the end; $output is what the terminal showed.
run_console() {
	local sock="$BATS_TEST_TMPDIR/console.sock" out="$BATS_TEST_TMPDIR/console.out"
	rm -f "$sock" "$out"
	python3 -c '
import array, os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
c, _ = s.accept()
fds = array.array("i")
msg, anc, flags, addr = c.recvmsg(1024, socket.CMSG_LEN(4))
for level, kind, data in anc:
    fds.frombytes(data[:4])
with open(sys.argv[2], "wb") as out:
    while True:
        try:
            b = os.read(fds[0], 4096)
        except OSError:
            break
        if not b:
            break
        out.write(b)
        out.flush()
' "$sock" "$out" &
	local recv=$!
	wait_for test -S "$sock"
	update_config '.process.terminal = true'
	run hako create -b "$BUNDLE" --console-socket "$sock" "$@" "$ID"
	if [ "$status" -ne 0 ]; then
		kill "$recv" 2>/dev/null || true
		wait "$recv" 2>/dev/null || true
		return 0
	fi
	hako start "$ID"
	wait_for bash -c "[ \"\$('$HAKO' --root '$HAKO_ROOT' state '$ID' | jq -r .status)\" = stopped ]"
	hako delete "$ID"
	wait "$recv" || true
	output="$(tr -d '\r' <"$out")"
	status=0
}
