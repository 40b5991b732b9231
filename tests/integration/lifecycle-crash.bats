#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Crashes: hako killed (SIGKILL) at each named step of create, start and
# run (HAKO_TEST_CRASH_AT, see crash_point in container.c).  After each,
# state reports something true and delete --force removes everything:
# state directory, cgroup, mounts, processes.

load helpers
load lifecycle-lib

setup() {
	setup_hako
	setup_bundle probe sleep 100
}

teardown() {
	teardown_hako
	unmount_netns "$BATS_TEST_TMPDIR/netns"
}

# crash STEP HAKO-ARGS...: run hako with the crash point set; it must die
# by SIGKILL.
crash() {
	local step="$1" rc=0
	shift
	HAKO_TEST_CRASH_AT="$step" "$HAKO" --root "$HAKO_ROOT" "$@" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/crash.err" || rc=$?
	[ "$rc" -eq 137 ] || fail "hako $* with HAKO_TEST_CRASH_AT=$step exited $rc, not by SIGKILL: $(cat "$BATS_TEST_TMPDIR/crash.err")"
}

# cgroup_exists: whether any hierarchy holds a cgroup of $ID.
cgroup_exists() {
	local d
	for d in /sys/fs/cgroup/*/hako/"$ID" /sys/fs/cgroup/hako/"$ID"; do
		[ -d "$d" ] && return 0
	done
	return 1
}

# no_process_of_bundle: nothing runs from the bundle's rootfs any more.
no_process_of_bundle() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" != "$BUNDLE/rootfs" ] || return 1
	done
}

@test "crash after the id is claimed: state names the leftover, delete --force removes it" {
	crash after-claim create -b "$BUNDLE" "$ID"
	[ -d "$HAKO_ROOT/$ID" ]
	run hako state "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"leftover of a failed create"*"delete --force"* ]]
	[ "$(hako list -f json | jq -r '.[0].status')" = stopped ]
	run hako delete "$ID"
	[ "$status" -eq 1 ]
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
	# the id is free again
	hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	hako delete "$ID"
	assert_no_leftovers "$ID"
}

@test "crash after the cgroup is made: stopped, and delete --force removes the cgroup" {
	crash after-cgroup create -b "$BUNDLE" "$ID"
	cgroup_exists
	[ "$(status_of "$ID")" = stopped ]
	[ "$(hako state "$ID" | jq .pid)" = 0 ]
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
	! cgroup_exists || false
}

@test "crash after the init is cloned: the init exits on its own, state says stopped" {
	crash after-spawn create -b "$BUNDLE" "$ID"
	wait_status "$ID" stopped
	wait_for no_process_of_bundle
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
	! cgroup_exists || false
}

@test "crash when the init is ready: state says creating (create never finished); start refuses; delete --force kills it" {
	crash after-ready create -b "$BUNDLE" "$ID"
	[ "$(status_of "$ID")" = creating ]
	local pid
	pid="$(hako state "$ID" | jq .pid)"
	[ "$pid" -gt 0 ]
	[ -d "/proc/$pid" ]
	run hako start "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"creating"* ]]
	hako delete --force "$ID"
	gone "$pid"
	assert_no_leftovers "$ID"
	! cgroup_exists || false
}

@test "crash in start after the request: the process runs, state says running, delete --force cleans up" {
	hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	crash after-start-request start "$ID"
	wait_status "$ID" running
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
	wait_for no_process_of_bundle
}

@test "crash of a foreground run at each step: never a running container without hako, always removable" {
	local step
	for step in after-claim after-cgroup after-spawn after-ready; do
		crash "$step" run -b "$BUNDLE" "$ID"
		wait_for no_process_of_bundle
		[[ "$(status_of "$ID")" == stopped || "$(status_of "$ID")" == none ]]
		hako delete --force "$ID"
		assert_no_leftovers "$ID"
		! cgroup_exists || false
	done
}

@test "hako run killed while the container runs: the container goes on, state says running, delete --force stops it" {
	"$HAKO" --root "$HAKO_ROOT" run -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null >/dev/null 2>&1 &
	local bg=$!
	wait_file "$BATS_TEST_TMPDIR/pid"
	wait_status "$ID" running
	kill -9 "$bg"
	wait "$bg" || true
	[ "$(status_of "$ID")" = running ]
	hako delete --force "$ID"
	gone "$(cat "$BATS_TEST_TMPDIR/pid")"
	assert_no_leftovers "$ID"
}

@test "crashes in the slow path (a user namespace joined with others by path)" {
	# a user namespace plus a joined network namespace takes init.c's slow path
	setup_bundle probe sleep 100
	update_config '.linux.namespaces += [{"type":"user"}] | .linux.uidMappings = [{"containerID":0,"hostID":100000,"size":65536}] | .linux.gidMappings = [{"containerID":0,"hostID":100000,"size":65536}]'
	local netns="$BATS_TEST_TMPDIR/netns"
	new_netns "$netns"
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "'"$netns"'" else . end)'
	sys_bind
	chown -R 100000:100000 "$BUNDLE/rootfs"
	traversable "$BUNDLE"
	local step
	for step in after-spawn after-ready; do
		crash "$step" create -b "$BUNDLE" "$ID"
		hako delete --force "$ID"
		assert_no_leftovers "$ID"
		wait_for no_process_of_bundle
	done
	hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	[ "$(status_of "$ID")" = created ]
	hako exec "$ID" true
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
}
