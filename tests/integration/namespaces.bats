#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# linux.namespaces: every type made new, inherited when unlisted, joined
# by path (and the errors for a path that is no namespace or one of the
# wrong type); hostname and domainname; user namespaces with id mappings
# written as root; time namespaces with offsets.

load helpers
load lifecycle-lib

ALL_TYPES="pid network ipc uts mount cgroup user time"

# proc name of a spec type
proc_ns() {
	case "$1" in
	network) echo net ;;
	mount) echo mnt ;;
	*) echo "$1" ;;
	esac
}

setup() {
	setup_hako
	setup_bundle probe sleep 100
	MAP='[{"containerID":0,"hostID":200000,"size":65536}]'
}

teardown() {
	teardown_hako
	local f
	for f in "$BATS_TEST_TMPDIR"/ns-*; do
		[ -e "$f" ] && umount "$f" 2>/dev/null
	done
	true
}

# with_userns: a user namespace mapping 0-65535 to 200000-265535, the
# rootfs owned accordingly.
with_userns() {
	update_config '.linux.namespaces += [{"type":"user"}] | .linux.uidMappings = '"$MAP"' | .linux.gidMappings = '"$MAP"
	chown -R 200000:200000 "$BUNDLE/rootfs"
	traversable "$BUNDLE"
}

@test "namespaces: every type listed is new; an unlisted type is the runtime's" {
	with_userns
	update_config '.linux.namespaces += [{"type":"time"}]'
	hako run -d -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null >/dev/null 2>&1
	local pid t
	pid="$(cat "$BATS_TEST_TMPDIR/pid")"
	for t in $ALL_TYPES; do
		# the init's: differs from ours
		[ "$(ns_of "$pid" "$(proc_ns "$t")")" != "$(ns_of self "$(proc_ns "$t")")" ] || fail "$t namespace not new"
	done
	# exec'd processes are in the very same ones
	for t in $ALL_TYPES; do
		run hako exec "$ID" probe ns "$(proc_ns "$t")"
		[ "$status" -eq 0 ]
		[ "$output" = "ns_$(proc_ns "$t")=$(ns_of "$pid" "$(proc_ns "$t")")" ] || fail "exec: $t: $output"
	done
	hako delete -f "$ID"
	assert_no_leftovers "$ID"

	# none listed but mount: everything else is the host's
	update_config '.linux.namespaces = [{"type":"mount"}] | del(.linux.uidMappings, .linux.gidMappings, .hostname)'
	update_config '.mounts |= map(select(.type != "cgroup" and .type != "mqueue"))'
	chown -R 0:0 "$BUNDLE/rootfs"
	sys_bind
	hako run -d -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null >/dev/null 2>&1
	pid="$(cat "$BATS_TEST_TMPDIR/pid")"
	for t in $ALL_TYPES; do
		[ "$t" = mount ] && continue
		[ "$(ns_of "$pid" "$(proc_ns "$t")")" = "$(ns_of self "$(proc_ns "$t")")" ] || fail "$t namespace not inherited"
	done
	[ "$(ns_of "$pid" mnt)" != "$(ns_of self mnt)" ]
	hako delete -f "$ID"
	assert_no_leftovers "$ID"
}

@test "namespaces: a new network namespace has only lo, up" {
	set_args probe cat /proc/net/dev
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | tail -n +3 | wc -l)" -eq 1 ]
	[[ "$(echo "$output" | tail -n 1)" == *"lo:"* ]]
}

@test "namespaces: joined by path, each type (the container shares another's namespaces)" {
	# a first container with its own namespaces of every joinable type
	with_userns
	update_config '.linux.namespaces += [{"type":"time"}]'
	hako run -d -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid1" "$ID-1" </dev/null >/dev/null 2>&1
	local p1 t
	p1="$(cat "$BATS_TEST_TMPDIR/pid1")"
	# a second one joining them all by /proc path (user and mount too)
	local join='[.linux.namespaces[] | {type, path: ("/proc/'"$p1"'/ns/" + ({"network":"net","mount":"mnt"}[.type] // .type))}]'
	# (a mount namespace must be new; a hostname needs a uts namespace of our own)
	update_config ".linux.namespaces = ($join) | del(.linux.uidMappings, .linux.gidMappings, .hostname)"
	update_config '.linux.namespaces |= map(if .type == "mount" then {type} else . end)'
	hako run -d -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid2" "$ID-2" </dev/null >/dev/null 2>&1
	local p2
	p2="$(cat "$BATS_TEST_TMPDIR/pid2")"
	for t in pid network ipc uts cgroup user time; do
		[ "$(ns_of "$p2" "$(proc_ns "$t")")" = "$(ns_of "$p1" "$(proc_ns "$t")")" ] || fail "$t namespace not joined"
	done
	# joined pid namespace: the second init is not pid 1 there
	run hako exec "$ID-2" probe pid
	[[ "$output" == *"pid="* ]]
	[ "$(echo "$output" | sed -n 's/^pid=//p')" -gt 2 ]
	# deleting the joiner leaves the joined namespaces alone
	hako delete -f "$ID-2"
	[ "$(status_of "$ID-1")" = running ]
	run hako exec "$ID-1" probe ns net
	[ "$status" -eq 0 ]
	hako delete -f "$ID-1"
	assert_no_leftovers "$ID-1"
	assert_no_leftovers "$ID-2"
}

@test "namespaces: joined by a bind-mounted path (ip netns style), with a new user namespace (the slow path)" {
	local netns="$BATS_TEST_TMPDIR/ns-net" ipcns="$BATS_TEST_TMPDIR/ns-ipc"
	touch "$netns" "$ipcns"
	unshare --net="$netns" --ipc="$ipcns" true
	with_userns
	sys_bind
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "'"$netns"'" elif .type == "ipc" then .path = "'"$ipcns"'" else . end)'
	update_config '.mounts |= map(select(.type != "mqueue"))'
	hako run -d -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null >/dev/null 2>&1
	local pid
	pid="$(cat "$BATS_TEST_TMPDIR/pid")"
	[ "$(ns_of "$pid" net)" = "net:[$(stat -L -c %i "$netns")]" ]
	[ "$(ns_of "$pid" ipc)" = "ipc:[$(stat -L -c %i "$ipcns")]" ]
	[ "$(ns_of "$pid" user)" != "$(ns_of self user)" ]
	run hako exec "$ID" probe ns net -- ids
	[ "$status" -eq 0 ]
	[[ "$output" == *"ns_net=net:[$(stat -L -c %i "$netns")]"*"uid=0"* ]]
	hako delete -f "$ID"
	assert_no_leftovers "$ID"
	# the namespaces hako joined are still there
	[ "$(stat -L -c %i "$netns")" -gt 0 ]
	nsenter --net="$netns" true
}

@test "namespaces: a joined user namespace with a network namespace it does not own (joined first, with the host's rights)" {
	with_userns
	sys_bind
	update_config '.mounts |= map(select(.type != "mqueue"))'
	hako run -d -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid1" "$ID-1" </dev/null >/dev/null 2>&1
	local p1 netns="$BATS_TEST_TMPDIR/ns-net"
	p1="$(cat "$BATS_TEST_TMPDIR/pid1")"
	new_netns "$netns"
	update_config 'del(.linux.uidMappings, .linux.gidMappings) | .linux.namespaces |= map(if .type == "user" then .path = "/proc/'"$p1"'/ns/user" elif .type == "network" then .path = "'"$netns"'" else . end)'
	hako run -d -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid2" "$ID-2" </dev/null >/dev/null 2>&1
	local p2
	p2="$(cat "$BATS_TEST_TMPDIR/pid2")"
	[ "$(ns_of "$p2" user)" = "$(ns_of "$p1" user)" ]
	[ "$(ns_of "$p2" net)" = "net:[$(stat -L -c %i "$netns")]" ]
	run hako exec "$ID-2" probe ns net -- ids
	[ "$status" -eq 0 ]
	[[ "$output" == *"net:[$(stat -L -c %i "$netns")]"*"uid=0"* ]]
	hako delete -f "$ID-2"
	hako delete -f "$ID-1"
	assert_no_leftovers "$ID-1"
	assert_no_leftovers "$ID-2"
}

@test "namespaces: a path that is no namespace, of the wrong type, missing or relative is an error; nothing is left" {
	update_config '.linux.namespaces |= map(if .type == "ipc" then .path = "/etc/hostname" else . end)'
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.namespaces[2].path"*"/etc/hostname"*"is not a namespace"* ]]
	assert_no_leftovers "$ID"
	update_config '.linux.namespaces |= map(if .type == "ipc" then .path = "/proc/self/ns/net" else . end)'
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.namespaces[2].path"*"is not a ipc namespace"* ]]
	assert_no_leftovers "$ID"
	update_config '.linux.namespaces |= map(if .type == "ipc" then .path = "/nonexistent/ns" else . end)'
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.namespaces[2].path"*"/nonexistent/ns"* ]]
	assert_no_leftovers "$ID"
	update_config '.linux.namespaces |= map(if .type == "ipc" then .path = "proc/1/ns/ipc" else . end)'
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.namespaces[2].path"* ]]
	assert_no_leftovers "$ID"
	# every type, with a path of another type
	local t
	for t in pid network uts cgroup; do
		setup_bundle probe sleep 100
		update_config 'del(.hostname) | .linux.namespaces |= map(if .type == "'"$t"'" then .path = "/proc/self/ns/ipc" else . end)'
		run hako create -b "$BUNDLE" "$ID"
		[ "$status" -eq 1 ]
		[[ "$output" == *"is not a $t namespace"* ]] || fail "$t: $output"
		assert_no_leftovers "$ID"
	done
	# a duplicate type and an unknown one
	update_config '.linux.namespaces += [{"type":"uts"}]'
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"uts"* ]]
	update_config '.linux.namespaces = [{"type":"mount"},{"type":"bogus"}]'
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bogus"* ]]
	assert_root_empty
}

@test "hostname and domainname: set in a new uts namespace; an error without one" {
	set_args probe hostname
	update_config '.hostname = "box" | .domainname = "example.org"'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(field hostname)" = box ]
	[ "$(field domainname)" = example.org ]
	# the host's are untouched
	[ "$(hostname)" != box ]
	update_config '.linux.namespaces |= map(select(.type != "uts"))'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"hostname"*"uts"* ]]
	update_config 'del(.hostname)'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"domainname"*"uts"* ]]
	assert_no_leftovers "$ID"
}

@test "user namespace as root: the maps exactly as given; the process has exactly the ids asked, on the host shifted" {
	with_userns
	update_config '.linux.uidMappings = [{"containerID":0,"hostID":200000,"size":1000},{"containerID":1000,"hostID":300000,"size":10}]'
	update_config '.linux.gidMappings = [{"containerID":0,"hostID":200000,"size":65536}]'
	update_config '.process.user = {"uid":1005,"gid":1000,"additionalGids":[5,100]}'
	set_args probe ids -- cat /proc/self/uid_map -- cat /proc/self/gid_map -- sleep 100
	hako run -d -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1
	wait_file "$BATS_TEST_TMPDIR/out" "200000 *65536"
	sleep 0.2
	local out pid
	out="$(cat "$BATS_TEST_TMPDIR/out")"
	pid="$(cat "$BATS_TEST_TMPDIR/pid")"
	[[ "$out" == *$'uid=1005\ngid=1000\neuid=1005\negid=1000\ngroups=5,100'* ]]
	[ "$(echo "$out" | grep -E '^ +[0-9]+ +[0-9]+ +[0-9]+$' | tr -s ' ' | sed 's/^ //' | tr '\n' ';')" = "0 200000 1000;1000 300000 10;0 200000 65536;" ]
	# seen from the host
	[ "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")" = "300005 300005 300005 300005" ]
	[ "$(awk '/^Gid:/ {print $2}' "/proc/$pid/status")" = 201000 ]
	[ "$(awk '/^Groups:/ {print $2, $3}' "/proc/$pid/status")" = "200005 200100" ]
	# exec: the same namespace, its own ids
	run hako exec --user 1003:7 "$ID" probe ids
	[[ "$output" == *$'uid=1003\ngid=7'* ]]
	hako delete -f "$ID"
	assert_no_leftovers "$ID"
}

@test "user namespace: an unmapped process.user or missing mappings are errors; nothing is left" {
	with_userns
	update_config '.process.user.uid = 70000'
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"process.user.uid"* || "$output" == *"70000"* ]]
	assert_no_leftovers "$ID"
	update_config '.process.user.uid = 0 | del(.linux.uidMappings)'
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"uidMappings"* ]]
	assert_no_leftovers "$ID"
}

@test "time namespace: timeOffsets move CLOCK_MONOTONIC and CLOCK_BOOTTIME (and /proc/uptime) for the container only" {
	update_config '.linux.namespaces += [{"type":"time"}] | .linux.timeOffsets = {"boottime":{"secs":31536000,"nanosecs":0},"monotonic":{"secs":864000,"nanosecs":500}}'
	set_args probe clock -- cat /proc/uptime -- sleep 100
	hako run -d -b "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1
	wait_file "$BATS_TEST_TMPDIR/out" boottime
	sleep 0.2
	local out host_boot host_mono
	out="$(cat "$BATS_TEST_TMPDIR/out")"
	host_boot="$("$PROBE" clock | sed -n 's/^boottime=//p')"
	host_mono="$("$PROBE" clock | sed -n 's/^monotonic=//p')"
	local boot mono up
	boot="$(echo "$out" | sed -n 's/^boottime=//p')"
	mono="$(echo "$out" | sed -n 's/^monotonic=//p')"
	up="$(echo "$out" | tail -n1 | cut -d. -f1)"
	[ $((boot - host_boot)) -ge 31535990 ] && [ $((boot - host_boot)) -le 31536010 ]
	[ $((mono - host_mono)) -ge 863990 ] && [ $((mono - host_mono)) -le 864010 ]
	[ "$up" -ge 31536000 ]
	# exec'd processes share the offsets
	run hako exec "$ID" probe clock
	[ $(($(echo "$output" | sed -n 's/^boottime=//p') - host_boot)) -ge 31535990 ]
	hako delete -f "$ID"
	# offsets without a time namespace: an error
	update_config '.linux.namespaces |= map(select(.type != "time"))'
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"timeOffsets"* ]]
	assert_no_leftovers "$ID"
}
