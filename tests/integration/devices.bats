#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# /dev: the default devices, /dev/ptmx and /dev/pts, /dev/shm,
# /dev/mqueue, the fd links, /dev/console on the pty, linux.devices.

load helpers
load rootfs-helpers

setup() {
	setup_hako
	setup_bundle probe mounts
}

teardown() {
	rootfs_teardown
}

# stat_of PATH: the block of `probe stat PATH` in $output, as one line.
stat_of() {
	echo "$output" | awk -v p="$1" '$0 == "path=" p {on=1; next} /^path=/ {on=0} on && /^(mode|uid|gid|rdev|type)=/' |
		tr '\n' ' '
}

# stat_all PATH...: probe arguments printing path=P then its stat.
stat_all() {
	local p
	for p in "$@"; do
		printf '%s\n' echo "path=$p" -- stat "$p" --
	done
}

@test "the default devices: null zero full random urandom tty, mode 0666, and they work" {
	local devs=(/dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty)
	# shellcheck disable=SC2046
	args probe $(stat_all "${devs[@]}") write /dev/null x -- write /dev/full x
	run hako run -b "$BUNDLE" "$ID"
	[ "$(stat_of /dev/null)" = "mode=666 uid=0 gid=0 rdev=1:3 type=char " ]
	[ "$(stat_of /dev/zero)" = "mode=666 uid=0 gid=0 rdev=1:5 type=char " ]
	[ "$(stat_of /dev/full)" = "mode=666 uid=0 gid=0 rdev=1:7 type=char " ]
	[ "$(stat_of /dev/random)" = "mode=666 uid=0 gid=0 rdev=1:8 type=char " ]
	[ "$(stat_of /dev/urandom)" = "mode=666 uid=0 gid=0 rdev=1:9 type=char " ]
	[ "$(stat_of /dev/tty)" = "mode=666 uid=0 gid=0 rdev=5:0 type=char " ]
	[[ "$output" == *"write=ok"* ]]
	# ENOSPC from /dev/full.
	[[ "$output" == *"write=error errno=28"* ]]
	assert_no_leftovers "$ID"
}

@test "/dev/ptmx, /dev/pts (newinstance, ptmxmode), /dev/shm, /dev/mqueue and the fd links" {
	args probe readlink /dev/ptmx -- readlink /dev/fd -- readlink /dev/stdin -- readlink /dev/stdout \
		-- readlink /dev/stderr -- stat /dev/pts/ptmx -- ls /dev/pts -- write /dev/shm/x y -- mounts
	run_ok hako run -b "$BUNDLE" "$ID"
	[ "$(echo "$output" | grep '^link=' | tr '\n' ' ')" = \
		"link=pts/ptmx link=/proc/self/fd link=/proc/self/fd/0 link=/proc/self/fd/1 link=/proc/self/fd/2 " ]
	[[ "$output" == *"mode=666"*"rdev=5:2"* ]]
	# A new devpts instance: none of the host's terminals, only ptmx.
	[ "$(echo "$output" | grep -cx '[0-9]*')" -eq 0 ]
	[ "$(mnt_fstype /dev/pts)" = devpts ]
	[ "$(mnt_source /dev/pts)" = devpts ]
	has_opt "$(mnt_super /dev/pts)" ptmxmode=666
	[ "$(mnt_fstype /dev/shm)" = tmpfs ]
	assert_opt /dev/shm nodev
	[[ "$output" == *"write=ok"* ]]
	[ "$(mnt_fstype /dev/mqueue)" = mqueue ]
	assert_no_leftovers "$ID"
}

@test "/dev/console is the container's pty when there is a terminal, absent otherwise" {
	args probe stat /dev/console -- readlink /proc/self/fd/0 -- mounts
	run_console
	[ "$status" -eq 0 ]
	[ "$(field type)" = char ]
	[[ "$(field rdev)" == 136:* ]]
	local pty
	pty="$(field link)"
	[[ "$pty" == /dev/pts/* ]]
	# The pty the process has on stdin is the one bound on /dev/console.
	[ "$(mnt_fstype /dev/console)" = devpts ]
	[ "$(mnt_root /dev/console)" = "/${pty#/dev/pts/}" ]
	assert_no_leftovers "$ID"

	update_config '.process.terminal = false'
	run hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"stat=error errno=2"* ]]
	[ -z "$(mnt /dev/console)" ]
	assert_no_leftovers "$ID"
}

@test "linux.devices: char, block and fifo nodes with fileMode, uid and gid" {
	update_config '.linux.devices = [
		{"path":"/dev/mynull","type":"c","major":1,"minor":3,"fileMode":384,"uid":1000,"gid":1001},
		{"path":"/dev/sub/myblk","type":"b","major":7,"minor":200,"fileMode":416},
		{"path":"/dev/myfifo","type":"p","fileMode":420,"gid":5},
		{"path":"/dev/myzero","type":"u","major":1,"minor":5}]'
	# shellcheck disable=SC2046
	args probe $(stat_all /dev/mynull /dev/sub/myblk /dev/myfifo /dev/myzero) write /dev/myzero x
	run_ok hako run -b "$BUNDLE" "$ID"
	[ "$(stat_of /dev/mynull)" = "mode=600 uid=1000 gid=1001 rdev=1:3 type=char " ]
	[ "$(stat_of /dev/sub/myblk)" = "mode=640 uid=0 gid=0 rdev=7:200 type=block " ]
	[ "$(stat_of /dev/myfifo)" = "mode=644 uid=0 gid=5 rdev=0:0 type=fifo " ]
	[ "$(stat_of /dev/myzero)" = "mode=666 uid=0 gid=0 rdev=1:5 type=char " ]
	assert_no_leftovers "$ID"
}

@test "linux.devices: a matching node in the rootfs is kept, a different file at the path is an error" {
	# /dev of the rootfs itself, no tmpfs over it.
	update_config '.mounts |= map(select(.destination != "/dev"))'
	mknod -m 600 "$BUNDLE/rootfs/dev/mynull" c 1 3
	update_config '.linux.devices = [{"path":"/dev/mynull","type":"c","major":1,"minor":3,"fileMode":384}]'
	# shellcheck disable=SC2046
	args probe $(stat_all /dev/mynull)
	run_ok hako run -b "$BUNDLE" "$ID"
	[ "$(stat_of /dev/mynull)" = "mode=600 uid=0 gid=0 rdev=1:3 type=char " ]
	assert_no_leftovers "$ID"

	echo data >"$BUNDLE/rootfs/dev/myzero"
	update_config '.linux.devices = [{"path":"/dev/myzero","type":"c","major":1,"minor":5}]'
	run_fails hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"linux.devices[0]"*"/dev/myzero"*"different file"* ]]
	[ "$(cat "$BUNDLE/rootfs/dev/myzero")" = data ]
	assert_no_leftovers "$ID"
}

@test "user namespace: devices are the host's nodes bound in, linux.devices too" {
	userns_config
	update_config '.linux.devices = [{"path":"/dev/kmsg","type":"c","major":1,"minor":11},{"path":"/dev/myfifo","type":"p","fileMode":384}]'
	# shellcheck disable=SC2046
	args probe $(stat_all /dev/null /dev/kmsg /dev/myfifo) write /dev/null x -- mounts
	run_ok hako run -b "$BUNDLE" "$ID"
	# A fifo is no device: made, not bound, in a user namespace too.
	[ "$(stat_of /dev/myfifo)" = "mode=600 uid=0 gid=0 rdev=0:0 type=fifo " ]
	[[ "$(stat_of /dev/null)" == *"rdev=1:3 type=char "* ]]
	[[ "$(stat_of /dev/kmsg)" == *"rdev=1:11 type=char "* ]]
	[ "$(mnt_root /dev/null)" = /null ]
	[ "$(mnt_root /dev/kmsg)" = /kmsg ]
	[[ "$output" == *"write=ok"* ]]
	assert_no_leftovers "$ID"

	update_config '.linux.devices = [{"path":"/dev/nosuchdev","type":"c","major":1,"minor":3}]'
	run_fails hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"linux.devices[0]"*"/dev/nosuchdev"* ]]
	assert_no_leftovers "$ID"
}
