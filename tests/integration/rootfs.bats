#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# root.path, root.readonly, rootfsPropagation, --no-pivot, maskedPaths,
# readonlyPaths, linux.sysctl, mountLabel, personality, and the fallback
# path walk (HAKO_TEST_NO_OPENAT2).

load helpers
load rootfs-helpers

setup() {
	setup_hako
	setup_bundle probe mounts
}

teardown() {
	rootfs_teardown
}

@test "root.path: relative to the bundle, or absolute" {
	mv "$BUNDLE/rootfs" "$BUNDLE/other"
	echo relative >"$BUNDLE/other/marker"
	update_config '.root.path = "other"'
	args probe cat /marker -- mounts
	run_ok hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *relative* ]]
	[ "$(mnt_root /)" = "$BUNDLE/other" ]
	assert_no_leftovers "$ID"

	mv "$BUNDLE/other" "$BATS_TEST_TMPDIR/abs-root"
	echo absolute >"$BATS_TEST_TMPDIR/abs-root/marker"
	update_config '.root.path = "'"$BATS_TEST_TMPDIR"'/abs-root"'
	run_ok hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *absolute* ]]
	[ "$(mnt_root /)" = "$BATS_TEST_TMPDIR/abs-root" ]
	assert_no_leftovers "$ID"
}

@test "root.readonly: the root is read-only, the mounts on it are not" {
	update_config '.root.readonly = true'
	add_mount '{"destination":"/tmp","type":"tmpfs","source":"tmpfs"}'
	args probe write /newfile x -- write /tmp/x y -- write /dev/shm/x y -- mounts
	run hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"write=error errno=30"* ]]
	[ "$(echo "$output" | grep -c 'write=ok')" -eq 2 ]
	assert_opt / ro
	assert_opt /tmp rw
	[ ! -e "$BUNDLE/rootfs/newfile" ]
	assert_no_leftovers "$ID"

	update_config '.root.readonly = false'
	run_ok hako run -b "$BUNDLE" "$ID"
	assert_opt / rw
	[ -e "$BUNDLE/rootfs/newfile" ]
}

# A rootfs on a shared mount of the host, so that slave shows as master:N.
shared_rootfs() {
	local s="$BATS_TEST_TMPDIR/shared"
	host_mount -t tmpfs shared "$s"
	mount --make-shared "$s"
	cp -a "$BUNDLE/rootfs" "$s/rootfs"
	update_config '.root.path = "'"$s"'/rootfs"'
	ROOTFS="$s/rootfs"
}

@test "rootfsPropagation: shared, slave, private, unbindable, and the recursive forms" {
	shared_rootfs
	local p
	for p in shared rshared slave rslave private rprivate unbindable runbindable; do
		update_config '.linux.rootfsPropagation = "'$p'"'
		run_ok hako run -b "$BUNDLE" "$ID-$p"
		local top sub
		top="$(mnt_tags /)"
		sub="$(mnt_tags /proc)"
		case $p in
		shared) [[ "$top" == *shared:* && "$sub" != *shared:* ]] ;;
		rshared) [[ "$top" == *shared:* && "$sub" == *shared:* ]] ;;
		slave | rslave) [[ "$top" == master:* && "$top" != *shared:* ]] ;;
		private | rprivate) [ -z "$top" ] && [ -z "$sub" ] ;;
		unbindable) [ "$top" = unbindable ] && [ "$sub" != unbindable ] ;;
		runbindable) [ "$top" = unbindable ] && [ "$sub" = unbindable ] ;;
		esac || fail "$p: / has '$top', /proc has '$sub'"
		assert_no_leftovers "$ID-$p"
	done
}

@test "rootfsPropagation shared: the container's mounts never reach the host" {
	shared_rootfs
	update_config '.linux.rootfsPropagation = "rshared"'
	args probe sleep 3
	local before
	before="$(grep -c "$ROOTFS" /proc/self/mountinfo || true)"
	hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	hako start "$ID"
	# The container's tree holds proc, sysfs, tmpfs... the host sees none.
	[ "$(grep -c "$ROOTFS" /proc/self/mountinfo || true)" -eq "$before" ]
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
}

@test "--no-pivot: a root on a tmpfs, moved onto / and chrooted into" {
	local r="$BATS_TEST_TMPDIR/ram"
	host_mount -t tmpfs ram "$r"
	cp -a "$BUNDLE/rootfs" "$r/rootfs"
	update_config '.root.path = "'"$r"'/rootfs"'
	args probe echo in -- cat /proc/self/cgroup -- mounts
	run_ok hako run --no-pivot -b "$BUNDLE" "$ID"
	[[ "$output" == *in* ]]
	[ "$(mnt_fstype /)" = tmpfs ]
	[ "$(mnt_root /)" = /rootfs ]
	[ "$(mnt_fstype /proc)" = proc ]
	assert_no_leftovers "$ID"
	! grep -q " $r/rootfs/" /proc/self/mountinfo || false
}

@test "maskedPaths: a file gets /dev/null, a directory an empty read-only tmpfs, after every mount" {
	mkdir -p "$BUNDLE/rootfs/secret/dir"
	echo secret >"$BUNDLE/rootfs/secret/file"
	echo secret >"$BUNDLE/rootfs/secret/dir/inner"
	# /data comes from mounts[]: the mask applies on top of it.
	add_mount '{"destination":"/data","type":"tmpfs","source":"tmpfs"}'
	update_config '.linux.maskedPaths += ["/secret/file","/secret/dir","/data","/no/such/path"]
		| .process.args = ["sh","-c","/bin/probe cat /secret/file -- stat /secret/file -- ls /secret/dir -- write /secret/dir/x y -- write /data/x y -- stat /proc/kcore -- mounts"]'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	! echo "$output" | grep -qx secret || false
	[[ "$output" == *"rdev=1:3"* ]]
	[ "$(echo "$output" | grep -c 'write=error errno=30')" -eq 2 ]
	[ "$(mnt_fstype /secret/dir)" = tmpfs ]
	assert_opt /secret/dir ro
	assert_opt /data ro
	[ "$(mnt_root /secret/file)" = /null ]
	[ -n "$(mnt /proc/timer_list)" ]
	assert_no_leftovers "$ID"
}

@test "readonlyPaths: read-only binds, after every mount; missing paths are skipped" {
	mkdir -p "$BUNDLE/rootfs/data"
	add_mount '{"destination":"/m","type":"tmpfs","source":"tmpfs"}'
	update_config '.linux.readonlyPaths += ["/data","/m","/no/such/path"]'
	args probe write /data/x y -- write /m/x y -- write /proc/sys/kernel/hostname h -- mounts
	run hako run -b "$BUNDLE" "$ID"
	[ "$(echo "$output" | grep -c 'write=error errno=30')" -eq 3 ]
	assert_opt /data ro
	assert_opt /m ro
	assert_opt /proc/sys ro
	assert_no_leftovers "$ID"
}

@test "linux.sysctl: written in the container's ipc, uts and network namespaces, not the host's" {
	local host_shmmax host_fwd
	host_shmmax="$(cat /proc/sys/kernel/shmmax)"
	host_fwd="$(cat /proc/sys/net/ipv4/ip_forward)"
	update_config '.linux.sysctl = {"kernel.shmmax":"123456789","net.ipv4.ip_forward":"1","fs.mqueue.msg_max":"42","kernel.domainname":"sysctl.example"}'
	args probe cat /proc/sys/kernel/shmmax -- cat /proc/sys/net/ipv4/ip_forward -- cat /proc/sys/fs/mqueue/msg_max -- hostname
	run_ok hako run -b "$BUNDLE" "$ID"
	[ "$(echo "$output" | sed -n 1p)" = 123456789 ]
	[ "$(echo "$output" | sed -n 2p)" = 1 ]
	[ "$(echo "$output" | sed -n 3p)" = 42 ]
	[ "$(field domainname)" = sysctl.example ]
	[ "$(cat /proc/sys/kernel/shmmax)" = "$host_shmmax" ]
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_fwd" ]
	assert_no_leftovers "$ID"
}

@test "linux.sysctl: a key the kernel does not have fails naming it, and nothing is left" {
	update_config '.linux.sysctl = {"net.ipv4.no_such_knob":"1"}'
	run_fails hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *'linux.sysctl["net.ipv4.no_such_knob"]'* ]]
	assert_no_leftovers "$ID"
}

@test "linux.mountLabel: refused on a host without SELinux, and nothing is left" {
	[ ! -e /sys/fs/selinux/enforce ] || skip "SELinux is enabled on this host"
	update_config '.linux.mountLabel = "system_u:object_r:container_file_t:s0:c1,c2"'
	run_fails hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"linux.mountLabel"*SELinux* ]]
	assert_no_leftovers "$ID"
}

@test "linux.personality: LINUX32 shows a 32-bit machine, LINUX the native one; flags are refused" {
	update_config '.linux.personality = {"domain":"LINUX32"}'
	args probe uname -- personality
	run_ok hako run -b "$BUNDLE" "$ID"
	[ "$(field machine)" = i686 ]
	[ "$(field personality)" = 0x8 ]
	assert_no_leftovers "$ID"

	update_config '.linux.personality = {"domain":"LINUX"}'
	run_ok hako run -b "$BUNDLE" "$ID"
	[ "$(field machine)" = "$(uname -m)" ]
	[ "$(field personality)" = 0x0 ]

	update_config '.linux.personality = {"domain":"LINUX","flags":["ADDR_NO_RANDOMIZE"]}'
	run_fails hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"linux.personality.flags"* ]]
	assert_no_leftovers "$ID"
}

@test "HAKO_TEST_NO_OPENAT2=1: the fallback walk makes the same mounts, links resolved inside the root" {
	mkdir -p "$BUNDLE/rootfs/real/dir"
	ln -s /real/dir "$BUNDLE/rootfs/abs"
	ln -s ../../real/./dir "$BUNDLE/rootfs/real/rel"
	ln -s ../../../../../../../../real "$BUNDLE/rootfs/up"
	add_mount '{"destination":"/abs/a","type":"tmpfs","source":"tmpfs"}'
	add_mount '{"destination":"/real/rel/b","type":"tmpfs","source":"tmpfs"}'
	add_mount '{"destination":"/up/dir/c","type":"tmpfs","source":"tmpfs"}'
	add_mount '{"destination":"/up/new/file","type":"bind","source":"'"$BUNDLE"'/config.json","options":["bind"]}'
	update_config '.linux.maskedPaths += ["/abs/masked"]'
	touch "$BUNDLE/rootfs/real/dir/masked"
	local mode
	for mode in 0 1; do
		HAKO_TEST_NO_OPENAT2=$mode run_ok hako run -b "$BUNDLE" "$ID"
		[ "$(mnt_fstype /real/dir/a)" = tmpfs ]
		[ "$(mnt_fstype /real/dir/b)" = tmpfs ]
		[ "$(mnt_fstype /real/dir/c)" = tmpfs ]
		[ -n "$(mnt /real/new/file)" ]
		[ "$(mnt_root /real/dir/masked)" = /null ]
		assert_no_leftovers "$ID"
	done
}
