#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# mounts[]: every type and every option of config.md's table, read back
# from /proc/self/mountinfo inside a real container.

load helpers
load rootfs-helpers

setup() {
	setup_hako
	setup_bundle probe mounts
	SRC="$BUNDLE/src"
	mkdir -p "$SRC/dir"
	echo dirdata >"$SRC/dir/f"
	echo filedata >"$SRC/file"
}

teardown() {
	[ -z "${LOOPDEV:-}" ] || losetup -d "$LOOPDEV" 2>/dev/null || true
	rootfs_teardown
}

@test "bind: a directory and a file, absolute and bundle-relative sources, destinations made to match; relative destinations" {
	add_mount '{"destination":"/mnt/dir","type":"bind","source":"src/dir","options":["bind"]}'
	add_mount '{"destination":"/mnt/deep/er/file","type":"none","source":"'"$SRC"'/file","options":["rbind"]}'
	# A relative destination is taken from / (config.md).
	add_mount '{"destination":"mnt/rel","type":"tmpfs","source":"tmpfs"}'
	args probe cat /mnt/dir/f -- cat /mnt/deep/er/file -- stat /mnt/deep/er/file -- mounts
	run_ok hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *dirdata* ]]
	[[ "$output" == *filedata* ]]
	[ "$(field type)" = file ]
	[ "$(mnt_root /mnt/dir)" = "$SRC/dir" ]
	[ "$(mnt_root /mnt/deep/er/file)" = "$SRC/file" ]
	[ "$(mnt_fstype /mnt/rel)" = tmpfs ]
	[ -d "$BUNDLE/rootfs/mnt/dir" ]
	[ -f "$BUNDLE/rootfs/mnt/deep/er/file" ]
	assert_no_leftovers "$ID"
}

@test "bind ro is really read-only and the source stays writable; rbind carries submounts, bind does not" {
	host_mount -t tmpfs sub "$SRC/dir/sub"
	add_mount '{"destination":"/ro","type":"bind","source":"src/dir","options":["rbind","ro"]}'
	add_mount '{"destination":"/b","type":"bind","source":"src/dir","options":["bind"]}'
	args probe write /ro/new x -- write /ro/sub/new y -- mounts
	run hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"write=error errno=30"* ]]
	assert_opt /ro ro
	# ro is the top mount only; rro is the recursive one.
	refute_opt /ro/sub ro
	[ "$(mnt_fstype /ro/sub)" = tmpfs ]
	[ -n "$(mnt /b)" ]
	[ -z "$(mnt /b/sub)" ]
	[ ! -e "$SRC/dir/new" ]
	[ -e "$SRC/dir/sub/new" ]
	echo ok >"$SRC/dir/hostwrite"
	assert_no_leftovers "$ID"
}

@test "recursive options rro rnosuid rnodev rnoexec rnodiratime rnoatime rnosymfollow reach every submount; rrw clears" {
	host_mount -t tmpfs sub "$SRC/dir/sub"
	host_mount -t tmpfs -o ro rosub "$SRC/dir/rosub"
	add_mount '{"destination":"/a","type":"bind","source":"src/dir","options":["rbind","rro","rnosuid","rnodev","rnoexec","rnodiratime","rnosymfollow"]}'
	add_mount '{"destination":"/b","type":"bind","source":"src/dir","options":["rbind","rrw","rnoatime"]}'
	add_mount '{"destination":"/c","type":"bind","source":"src/dir","options":["rbind","rstrictatime"]}'
	add_mount '{"destination":"/d","type":"bind","source":"src/dir","options":["rbind","rnoatime","rrelatime","rsuid","rdev","rexec","rdiratime","rsymfollow"]}'
	run_ok hako run -b "$BUNDLE" "$ID"
	local d o
	for d in /a /a/sub /a/rosub; do
		for o in ro nosuid nodev noexec nodiratime nosymfollow; do
			assert_opt "$d" "$o"
		done
	done
	for d in /b /b/sub /b/rosub; do
		assert_opt "$d" rw
		assert_opt "$d" noatime
	done
	for d in /c /c/sub; do
		refute_opt "$d" relatime
		refute_opt "$d" noatime
	done
	for d in /d /d/sub; do
		assert_opt "$d" relatime
		for o in nosuid nodev noexec nodiratime nosymfollow; do
			refute_opt "$d" "$o"
		done
	done
	assert_no_leftovers "$ID"
}

@test "tmpfs: nosuid nodev noexec and suid dev exec; noexec really stops execve" {
	add_mount '{"destination":"/no","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev","noexec"]}'
	add_mount '{"destination":"/yes","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev","noexec","suid","dev","exec"]}'
	args sh -c 'cp /bin/probe /no/probe && cp /bin/probe /yes/probe && /no/probe pid; /bin/probe exec /no/probe pid -- exec /yes/probe pid -- mounts'
	run_ok hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"exec=error errno=13"* ]]
	[[ "$output" == *"exec=0"* ]]
	assert_opt /no nosuid
	assert_opt /no nodev
	assert_opt /no noexec
	refute_opt /yes nosuid
	refute_opt /yes nodev
	refute_opt /yes noexec
	assert_no_leftovers "$ID"
}

@test "bind: nosuid nodev noexec nosymfollow and the atime family, per mount" {
	ln -s f "$SRC/dir/link"
	add_mount '{"destination":"/b1","type":"bind","source":"src/dir","options":["bind","nosuid","nodev","noexec","noatime","nosymfollow"]}'
	add_mount '{"destination":"/b2","type":"bind","source":"src/dir","options":["bind","strictatime","nodiratime"]}'
	add_mount '{"destination":"/b3","type":"bind","source":"src/dir","options":["bind","noatime","atime"]}'
	add_mount '{"destination":"/b4","type":"bind","source":"src/dir","options":["bind","strictatime","norelatime","relatime","diratime"]}'
	args probe cat /b1/link -- cat /b2/link -- readlink /b1/link -- mounts
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	# nosymfollow: the link is not followed, but can still be read.
	[[ "$output" == *"error=/b1/link: Too many levels of symbolic links"* ]]
	[[ "$output" == *dirdata* ]]
	[ "$(field link)" = f ]
	for o in nosuid nodev noexec noatime nosymfollow; do assert_opt /b1 "$o"; done
	assert_opt /b2 nodiratime
	refute_opt /b2 relatime
	refute_opt /b2 noatime
	# atime cancels noatime: relatime, as mount(2) would.
	assert_opt /b3 relatime
	assert_opt /b4 relatime
	refute_opt /b4 nodiratime
	assert_no_leftovers "$ID"
}

@test "tmpfs: the atime family, and recursive options on a file system" {
	add_mount '{"destination":"/n","type":"tmpfs","source":"tmpfs","options":["noatime"]}'
	add_mount '{"destination":"/s","type":"tmpfs","source":"tmpfs","options":["strictatime"]}'
	add_mount '{"destination":"/r","type":"tmpfs","source":"tmpfs","options":["noatime","relatime"]}'
	add_mount '{"destination":"/d","type":"tmpfs","source":"tmpfs","options":["nodiratime"]}'
	# The recursive forms on a file system mount too.
	add_mount '{"destination":"/rr","type":"tmpfs","source":"tmpfs","options":["rro","rnoexec","rnoatime"]}'
	run_ok hako run -b "$BUNDLE" "$ID"
	assert_opt /rr ro
	assert_opt /rr noexec
	assert_opt /rr noatime
	assert_opt /n noatime
	refute_opt /s relatime
	refute_opt /s noatime
	assert_opt /r relatime
	refute_opt /r noatime
	assert_opt /d nodiratime
	assert_no_leftovers "$ID"
}

@test "sync, dirsync, mand, lazytime go to the file system; async, nomand, nolazytime clear them" {
	add_mount '{"destination":"/t","type":"tmpfs","source":"tmpfs","options":["sync","dirsync","mand","lazytime","iversion","silent"]}'
	add_mount '{"destination":"/u","type":"tmpfs","source":"tmpfs","options":["sync","async","mand","nomand","lazytime","nolazytime","loud","noiversion"]}'
	run_ok hako run -b "$BUNDLE" "$ID"
	local s
	s="$(mnt_super /t)"
	for o in sync dirsync mand lazytime; do has_opt "$s" "$o" || fail "/t: $s lacks $o"; done
	s="$(mnt_super /u)"
	for o in sync mand lazytime; do ! has_opt "$s" "$o" || fail "/u: $s has $o"; done
	assert_no_leftovers "$ID"
}

@test "a bind refuses the options that belong to a file system, and nothing is left" {
	add_mount '{"destination":"/b","type":"bind","source":"src/dir","options":["bind","sync"]}'
	run_fails hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"mounts[7]"*"cannot be set on a bind mount"* ]]
	assert_no_leftovers "$ID"
}

@test "remount: new flags for a mount made before, a file system or a bind" {
	add_mount '{"destination":"/t","type":"tmpfs","source":"tmpfs","options":["size=1m"]}'
	add_mount '{"destination":"/t","type":"tmpfs","source":"tmpfs","options":["remount","ro","size=2m"]}'
	add_mount '{"destination":"/b","type":"bind","source":"src/dir","options":["bind"]}'
	add_mount '{"destination":"/b","type":"bind","source":"src/dir","options":["bind","remount","ro","nosuid"]}'
	args probe write /t/x y -- write /b/x y -- mounts
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | grep -c 'write=error errno=30')" -eq 2 ]
	assert_opt /t ro
	has_opt "$(mnt_super /t)" size=2048k
	assert_opt /b ro
	assert_opt /b nosuid
	[ "$(echo "$output" | awk '$5 == "/t"' | wc -l)" -eq 1 ]
	assert_no_leftovers "$ID"
}

@test "propagation: shared, slave, private, unbindable and their recursive forms, per mount" {
	host_mount -t tmpfs shsrc "$BATS_TEST_TMPDIR/shsrc"
	mount --make-shared "$BATS_TEST_TMPDIR/shsrc"
	host_mount -t tmpfs shsub "$BATS_TEST_TMPDIR/shsrc/sub"
	local s="$BATS_TEST_TMPDIR/shsrc"
	add_mount '{"destination":"/sh","type":"tmpfs","source":"tmpfs","options":["shared"]}'
	add_mount '{"destination":"/rsh","type":"bind","source":"'"$s"'","options":["rbind","rshared"]}'
	add_mount '{"destination":"/sl","type":"bind","source":"'"$s"'","options":["bind","slave"]}'
	add_mount '{"destination":"/rsl","type":"bind","source":"'"$s"'","options":["rbind","rslave"]}'
	add_mount '{"destination":"/pr","type":"bind","source":"'"$s"'","options":["rbind","private"]}'
	add_mount '{"destination":"/rpr","type":"bind","source":"'"$s"'","options":["rbind","rprivate"]}'
	add_mount '{"destination":"/ub","type":"tmpfs","source":"tmpfs","options":["unbindable"]}'
	add_mount '{"destination":"/rub","type":"bind","source":"'"$s"'","options":["rbind","runbindable"]}'
	run_ok hako run -b "$BUNDLE" "$ID"
	[[ "$(mnt_tags /sh)" == *shared:* ]]
	[[ "$(mnt_tags /rsh)" == *shared:* ]]
	[[ "$(mnt_tags /rsh/sub)" == *shared:* ]]
	# A slave of the host's peer group: receives, never sends.
	[[ "$(mnt_tags /sl)" == master:* ]]
	[[ "$(mnt_tags /rsl)" == master:* ]]
	[[ "$(mnt_tags /rsl/sub)" == master:* ]]
	# private on the top only, rprivate on all of it.
	[ -z "$(mnt_tags /pr)" ]
	[ -n "$(mnt_tags /pr/sub)" ]
	[ -z "$(mnt_tags /rpr)" ]
	[ -z "$(mnt_tags /rpr/sub)" ]
	[ "$(mnt_tags /ub)" = unbindable ]
	[ "$(mnt_tags /rub)" = unbindable ]
	[ "$(mnt_tags /rub/sub)" = unbindable ]
	assert_no_leftovers "$ID"
}

@test "tmpcopyup: the tmpfs starts with a copy of what it covers, modes, owners and links kept" {
	local d="$BUNDLE/rootfs/etc/cp"
	mkdir -p "$d/sub"
	echo data >"$d/sub/f"
	chmod 604 "$d/sub/f"
	chown 1000:1000 "$d/sub/f"
	chmod 711 "$d/sub"
	ln -s sub/f "$d/link"
	add_mount '{"destination":"/etc/cp","type":"tmpfs","source":"tmpfs","options":["tmpcopyup","mode=755"]}'
	args probe cat /etc/cp/link -- stat /etc/cp/sub/f -- write /etc/cp/new x -- stat /etc/cp/sub -- readlink /etc/cp/link -- mounts
	run_ok hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *data* ]]
	[ "$(field mode)" = 604 ]
	[ "$(field uid)" = 1000 ]
	[ "$(field gid)" = 1000 ]
	[[ "$output" == *"mode=711"* ]]
	[ "$(field link)" = sub/f ]
	[ "$(mnt_fstype /etc/cp)" = tmpfs ]
	[ ! -e "$d/new" ]
	assert_no_leftovers "$ID"
}

@test "file systems by type: proc, sysfs, mqueue, devpts, tmpfs data, overlay, and any other by name" {
	mkdir -p "$BATS_TEST_TMPDIR"/ov/{lower,upper,work}
	echo lower >"$BATS_TEST_TMPDIR/ov/lower/f"
	local ov="$BATS_TEST_TMPDIR/ov"
	add_mount '{"destination":"/ov","type":"overlay","source":"overlay","options":["lowerdir='"$ov"'/lower,upperdir='"$ov"'/upper,workdir='"$ov"'/work"]}'
	add_mount '{"destination":"/ram","type":"ramfs","source":"ramfs","options":["mode=700"]}'
	add_mount '{"destination":"/sized","type":"tmpfs","source":"tmpfs","options":["size=1m","mode=1770","nr_inodes=100"]}'
	add_mount '{"destination":"/pts2","type":"devpts","source":"devpts","options":["newinstance","ptmxmode=0600","mode=0600","nosuid"]}'
	add_mount '{"destination":"/mq2","type":"mqueue","source":"mqueue","options":["nodev","noexec"]}'
	add_mount '{"destination":"/sys2","type":"sysfs","source":"sysfs","options":["ro","nosuid"]}'
	add_mount '{"destination":"/proc2","type":"proc","source":"proc","options":["nosuid","noexec","hidepid=2"]}'
	args probe cat /ov/f -- write /ov/g up -- stat /ram -- mounts
	run_ok hako run -b "$BUNDLE" "$ID"
	[ "$(mnt_fstype /proc)" = proc ]
	[ "$(mnt_fstype /sys)" = sysfs ]
	assert_opt /sys ro
	[ "$(mnt_fstype /dev/mqueue)" = mqueue ]
	[ "$(mnt_fstype /dev/pts)" = devpts ]
	local s
	s="$(mnt_super /dev/pts)"
	has_opt "$s" mode=620
	has_opt "$s" ptmxmode=666
	has_opt "$s" gid=5
	[ "$(mnt_fstype /ov)" = overlay ]
	[[ "$output" == *lower* ]]
	[ "$(cat "$ov/upper/g")" = up ]
	[ "$(mnt_fstype /ram)" = ramfs ]
	[[ "$output" == *"mode=700"* ]]
	s="$(mnt_super /pts2)"
	has_opt "$s" ptmxmode=600
	has_opt "$s" mode=600
	assert_opt /pts2 nosuid
	[ "$(mnt_fstype /mq2)" = mqueue ]
	assert_opt /mq2 noexec
	[ "$(mnt_fstype /sys2)" = sysfs ]
	assert_opt /sys2 ro
	[ "$(mnt_fstype /proc2)" = proc ]
	has_opt "$(mnt_super /proc2)" hidepid=invisible
	s="$(mnt_super /sized)"
	has_opt "$s" size=1024k
	has_opt "$s" nr_inodes=100
	has_opt "$s" mode=1770
	assert_no_leftovers "$ID"
}

@test "a block device by type: ext4 from a loop device, ro and nodev" {
	truncate -s 16M "$BATS_TEST_TMPDIR/img"
	mkfs.ext4 -q "$BATS_TEST_TMPDIR/img"
	LOOPDEV="$(losetup -f --show "$BATS_TEST_TMPDIR/img")"
	# The mount opens the device from inside the container's device cgroup.
	update_config '.linux.resources.devices += [{"allow":true,"type":"b","major":'"$((0x$(stat -c %t "$LOOPDEV")))"',"minor":'"$((0x$(stat -c %T "$LOOPDEV")))"',"access":"rwm"}]'
	add_mount '{"destination":"/disk","type":"ext4","source":"'"$LOOPDEV"'","options":["ro","nodev","noatime","errors=remount-ro"]}'
	args probe write /disk/x y -- mounts
	run hako run -b "$BUNDLE" "$ID"
	losetup -d "$LOOPDEV"
	LOOPDEV=
	[[ "$output" == *"write=error errno=30"* ]]
	[ "$(mnt_fstype /disk)" = ext4 ]
	[[ "$(mnt_source /disk)" == /dev/loop* ]]
	assert_opt /disk ro
	assert_opt /disk nodev
	assert_opt /disk noatime
	has_opt "$(mnt_super /disk)" errors=remount-ro
	assert_no_leftovers "$ID"
}

@test "an unknown file system type fails naming the mount, and nothing is left" {
	add_mount '{"destination":"/x","type":"nosuchfs","source":"none"}'
	run_fails hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"mounts[7]"*nosuchfs* ]]
	assert_no_leftovers "$ID"
}

@test "a missing bind source fails naming the mount, and nothing is left" {
	add_mount '{"destination":"/x","type":"bind","source":"/nonexistent/src","options":["bind"]}'
	run_fails hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"mounts[7]"*"/nonexistent/src"* ]]
	assert_no_leftovers "$ID"
}

@test "cgroup with a cgroup namespace: each hierarchy mounted anew, rooted at the container's cgroup" {
	args probe mounts -- cat /proc/self/cgroup
	run_ok hako run -b "$BUNDLE" "$ID"
	[ "$(mnt_fstype /sys/fs/cgroup)" = tmpfs ]
	assert_opt /sys/fs/cgroup ro
	local h n=0
	for h in $(awk '$9 == "cgroup" || $9 == "cgroup2" {print $5}' /proc/self/mountinfo | grep '^/sys/fs/cgroup/'); do
		[ "$(mnt_root "$h")" = / ] || fail "$h: root $(mnt_root "$h")"
		assert_opt "$h" ro
		n=$((n + 1))
	done
	[ "$n" -gt 1 ]
	[ "$(mnt_fstype /sys/fs/cgroup/memory)" = cgroup ]
	[ "$(mnt_fstype /sys/fs/cgroup/unified)" = cgroup2 ]
	echo "$output" | grep -q '^[0-9]*:memory:/$'
	assert_no_leftovers "$ID"
}

@test "cgroup without a cgroup namespace: binds of the container's own cgroup, read-write when asked" {
	update_config '.linux.namespaces |= map(select(.type != "cgroup"))
		| (.mounts[] | select(.destination == "/sys/fs/cgroup") | .options) = ["nosuid","noexec","nodev","rw"]'
	run_ok hako run -b "$BUNDLE" "$ID"
	local root
	root="$(mnt_root /sys/fs/cgroup/memory)"
	[[ "$root" == */"$ID" ]] || fail "root $root"
	[ "$(mnt_root /sys/fs/cgroup/unified)" = "$root" ]
	assert_opt /sys/fs/cgroup/memory rw
	assert_opt /sys/fs/cgroup/memory nosuid
	assert_no_leftovers "$ID"
}

@test "cgroup: propagation and recursive options reach every hierarchy" {
	update_config '(.mounts[] | select(.destination == "/sys/fs/cgroup") | .options) += ["rshared","rnosymfollow"]'
	run_ok hako run -b "$BUNDLE" "$ID"
	local h
	for h in /sys/fs/cgroup /sys/fs/cgroup/memory /sys/fs/cgroup/unified; do
		assert_opt "$h" nosymfollow
		[[ "$(mnt_tags "$h")" == *shared:* ]] || fail "$h: $(mnt_tags "$h")"
	done
	assert_no_leftovers "$ID"
}

@test "cgroup2 by type: the unified hierarchy alone" {
	update_config '(.mounts[] | select(.destination == "/sys/fs/cgroup")) |= (.type = "cgroup2" | .source = "cgroup2")'
	run_ok hako run -b "$BUNDLE" "$ID"
	[ "$(mnt_fstype /sys/fs/cgroup)" = cgroup2 ]
	[ "$(mnt_root /sys/fs/cgroup)" = / ]
	assert_opt /sys/fs/cgroup ro
	[ -z "$(mnt /sys/fs/cgroup/memory)" ]
	assert_no_leftovers "$ID"
}

@test "idmap with the mount's own uidMappings and gidMappings; ridmap reaches submounts" {
	chown 1000:1001 "$SRC/dir/f"
	host_mount -t tmpfs sub "$SRC/dir/sub"
	chown 1002:1002 "$SRC/dir/sub"
	local maps='"uidMappings":[{"containerID":1000,"hostID":2000,"size":10}],"gidMappings":[{"containerID":1000,"hostID":3000,"size":10}]'
	add_mount '{"destination":"/i","type":"bind","source":"src/dir","options":["rbind","idmap"],'"$maps"'}'
	add_mount '{"destination":"/r","type":"bind","source":"src/dir","options":["rbind","ridmap"],'"$maps"'}'
	args probe stat /i/f -- stat /r/sub -- stat /i/sub -- mounts
	run_ok hako run -b "$BUNDLE" "$ID"
	[ "$(echo "$output" | grep '^uid=' | tr '\n' ' ')" = "uid=2000 uid=2002 uid=1002 " ]
	[ "$(echo "$output" | grep '^gid=' | tr '\n' ' ')" = "gid=3001 gid=3002 gid=1002 " ]
	assert_opt /i idmapped
	assert_opt /r idmapped
	assert_opt /r/sub idmapped
	refute_opt /i/sub idmapped
	# The files on disk keep their owners.
	[ "$(stat -c %u:%g "$SRC/dir/f")" = 1000:1001 ]
	assert_no_leftovers "$ID"
}

@test "idmap in a user namespace without maps of its own: the container's maps, files show their on-disk owners" {
	userns_config
	chown 1000:1000 "$SRC/dir/f"
	add_mount '{"destination":"/i","type":"bind","source":"'"$SRC"'/dir","options":["bind","idmap"]}'
	add_mount '{"destination":"/p","type":"bind","source":"'"$SRC"'/dir","options":["bind"]}'
	args probe stat /i/f -- stat /p/f -- mounts
	run_ok hako run -b "$BUNDLE" "$ID"
	# Through the id-mapped mount the owner is 1000; through the plain
	# bind it is unmapped (the overflow id).
	[ "$(echo "$output" | grep '^uid=' | tr '\n' ' ')" = "uid=1000 uid=65534 " ]
	assert_opt /i idmapped
	assert_no_leftovers "$ID"
}

@test "option errors: idmap not on a bind, maps without idmap, tmpcopyup not on a tmpfs, data on a bind; nothing is left" {
	add_mount '{"destination":"/t","type":"tmpfs","source":"tmpfs","options":["idmap"]}'
	run_fails hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"mounts[7]"*"bind"* ]]
	assert_no_leftovers "$ID"
	update_config '.mounts[7] = {"destination":"/i","type":"bind","source":"src/dir","options":["bind"],"uidMappings":[{"containerID":0,"hostID":1,"size":1}],"gidMappings":[{"containerID":0,"hostID":1,"size":1}]}'
	run_fails hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"mounts[7]"*idmap* ]]
	assert_no_leftovers "$ID"
	local t
	for t in '"type":"bind","source":"src/dir","options":["bind","tmpcopyup"]' '"type":"ramfs","source":"ramfs","options":["tmpcopyup"]'; do
		update_config '.mounts[7] = {"destination":"/etc",'"$t"'}'
		run_fails hako run -b "$BUNDLE" "$ID"
		[[ "$output" == *"mounts[7]"*"tmpcopyup applies to tmpfs"* ]]
		assert_no_leftovers "$ID"
	done
	# An option no one knows is file system data; a bind has none.
	update_config '.mounts[7] = {"destination":"/b","type":"bind","source":"src/dir","options":["rbind","nosuchopt"]}'
	run_fails hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"mounts[7]"*"nosuchopt"*"bind mount takes no file system options"* ]]
	assert_no_leftovers "$ID"
}

@test "user namespace: a bind keeps the flags locked on its source; clearing one is a clear error" {
	userns_config
	host_mount -t tmpfs -o ro,nosuid,nodev,noexec,noatime locked "$BATS_TEST_TMPDIR/locked"
	local l="$BATS_TEST_TMPDIR/locked"
	add_mount '{"destination":"/l1","type":"bind","source":"'"$l"'","options":["bind"]}'
	add_mount '{"destination":"/l2","type":"bind","source":"'"$l"'","options":["bind","ro","nosymfollow"]}'
	run_ok hako run -b "$BUNDLE" "$ID"
	for o in ro nosuid nodev noexec noatime; do
		assert_opt /l1 "$o"
		assert_opt /l2 "$o"
	done
	assert_opt /l2 nosymfollow
	assert_no_leftovers "$ID"

	for opt in rw suid relatime; do
		update_config '.mounts[8].options = ["bind","'$opt'"]'
		run_fails hako run -b "$BUNDLE" "$ID"
		[[ "$output" == *"mounts[8]"*"locked"* ]]
		assert_no_leftovers "$ID"
	done
}

@test "user namespace: a plain bind of a tree holding mounts says to use rbind" {
	userns_config
	host_mount -t tmpfs sub "$SRC/dir/sub"
	chmod 755 "$SRC" "$SRC/dir"
	add_mount '{"destination":"/b","type":"bind","source":"'"$SRC"'/dir","options":["bind"]}'
	run_fails hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"mounts[7]"*rbind* ]]
	assert_no_leftovers "$ID"
	update_config '.mounts[7].options = ["rbind"]'
	run_ok hako run -b "$BUNDLE" "$ID"
	[ "$(mnt_fstype /b/sub)" = tmpfs ]
	assert_no_leftovers "$ID"
}
