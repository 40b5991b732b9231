#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# hako spec [--bundle DIR] [--rootless]: the defaults a runc or crun user
# expects, output that validates and runs as it is.

load helpers

setup() {
	setup_hako
	DIR="$(mktemp -d "$BATS_TEST_TMPDIR/spec.XXXXXX")"
}

teardown() {
	teardown_hako
}

@test "spec: writes config.json in the current directory, tab-indented, with runc's defaults" {
	cd "$DIR"
	run hako spec
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	local c="$DIR/config.json"
	jq -e . "$c" >/dev/null
	grep -q $'^\t"ociVersion": "1.3.0",$' "$c"
	[ "$(jq -r '.root.path' "$c")" = rootfs ]
	[ "$(jq -r '.root.readonly' "$c")" = true ]
	[ "$(jq -r '.process.terminal' "$c")" = true ]
	[ "$(jq -c '.process.args' "$c")" = '["sh"]' ]
	[ "$(jq -r '.process.cwd' "$c")" = / ]
	[ "$(jq -r '.process.noNewPrivileges' "$c")" = true ]
	[ "$(jq -c '.process.capabilities.bounding' "$c")" = '["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"]' ]
	[ "$(jq -c '.process.rlimits' "$c")" = '[{"type":"RLIMIT_NOFILE","soft":1024,"hard":1024}]' ]
	[ "$(jq -c '[.linux.namespaces[].type] | sort' "$c")" = '["cgroup","ipc","mount","network","pid","uts"]' ]
	[ "$(jq -c '[.mounts[].destination]' "$c")" = '["/proc","/dev","/dev/pts","/dev/shm","/dev/mqueue","/sys","/sys/fs/cgroup"]' ]
	[ "$(jq -r '.linux.maskedPaths | index("/proc/kcore") != null' "$c")" = true ]
	[ "$(jq -r '.linux.readonlyPaths | index("/proc/sys") != null' "$c")" = true ]
	[ "$(jq -c '.linux.resources.devices' "$c")" = '[{"allow":false,"access":"rwm"}]' ]
}

@test "spec: an existing config.json is not overwritten" {
	echo '{"mine":true}' >"$DIR/config.json"
	run hako spec --bundle "$DIR"
	[ "$status" -eq 1 ]
	[[ "$output" == *"\`$DIR/config.json\` exists already"* ]]
	[ "$(cat "$DIR/config.json")" = '{"mine":true}' ]
}

@test "spec: --bundle and -b write into that directory; a missing directory is an error" {
	run hako spec --bundle "$DIR"
	[ "$status" -eq 0 ]
	[ -s "$DIR/config.json" ]
	mkdir "$DIR/b"
	run hako spec -b "$DIR/b"
	[ "$status" -eq 0 ]
	[ -s "$DIR/b/config.json" ]
	run hako spec -b "$DIR/missing"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$DIR/missing/config.json"* ]]
	run hako spec "$DIR"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unexpected argument"* ]]
}

@test "spec: the default config validates with no problem and runs as it is" {
	setup_bundle
	rm "$BUNDLE/config.json"
	(cd "$BUNDLE" && hako spec)
	run hako validate -b "$BUNDLE"
	[ "$status" -eq 0 ]
	[ "$output" = "config.json: valid" ]
	# Only the command and the terminal changed: every default applies.
	update_config '.process.terminal = false | .process.args = ["probe","pid","--","status","NoNewPrivs","--","caps"]'
	run hako run -b "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field pid)" = 1 ]
	[ "$(field NoNewPrivs)" = 1 ]
	# CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE: bits 5, 10, 29.
	[ "$(field CapBnd)" = 0000000020000420 ]
	[ "$(field CapEff)" = 0000000020000420 ]
	assert_no_leftovers "$ID"
}

@test "spec --rootless: a user namespace mapping only the caller, no network namespace, no resources" {
	run hako spec --rootless -b "$DIR"
	[ "$status" -eq 0 ]
	local c="$DIR/config.json"
	[ "$(jq -c '[.linux.namespaces[].type] | sort' "$c")" = '["cgroup","ipc","mount","pid","user","uts"]' ]
	[ "$(jq -c '.linux.uidMappings' "$c")" = "[{\"containerID\":0,\"hostID\":$(id -u),\"size\":1}]" ]
	[ "$(jq -c '.linux.gidMappings' "$c")" = "[{\"containerID\":0,\"hostID\":$(id -g),\"size\":1}]" ]
	[ "$(jq -r '.linux.resources' "$c")" = null ]
	[ "$(jq -c '.mounts[] | select(.destination == "/sys") | .options' "$c")" = '["rbind","nosuid","noexec","nodev","ro"]' ]
	[ "$(jq -r '[.mounts[].destination] | index("/sys/fs/cgroup")' "$c")" = null ]
	[ "$(jq -r '.mounts[] | select(.destination == "/dev/pts") | .options | map(select(startswith("gid="))) | length' "$c")" = 0 ]
}

@test "spec --rootless: validates with no problem and runs" {
	setup_bundle
	rm "$BUNDLE/config.json"
	(cd "$BUNDLE" && hako spec --rootless)
	run hako validate -b "$BUNDLE"
	[ "$status" -eq 0 ]
	[ "$output" = "config.json: valid" ]
	update_config '.process.terminal = false | .process.args = ["probe","ids","--","ns","user"]'
	run hako run -b "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	# The container has a user namespace of its own.
	[ "$(field ns_user)" != "$(readlink /proc/self/ns/user)" ]
	assert_no_leftovers "$ID"
}
