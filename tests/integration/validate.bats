#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# hako validate: every problem of a bundle at once, each with its JSON
# path; the host checks (rootfs, namespace paths, bind sources); and the
# same checks refusing `create` with nothing left behind.

load helpers

setup() {
	setup_hako
	setup_bundle probe pid
}

teardown() {
	teardown_hako
}

@test "validate: the bundle of setup_bundle is valid" {
	run hako validate -b "$BUNDLE"
	[ "$status" -eq 0 ]
	[ "$output" = "config.json: valid" ]
}

@test "validate: a bundle with many problems lists every one, with its path, and exits 1" {
	update_config '
		.process.args = [] |
		.process.cwd = "tmp" |
		.process.rlimits += [{"type":"RLIMIT_BOGUS","soft":1,"hard":1},{"type":"RLIMIT_NPROC","soft":10,"hard":5}] |
		.process.capabilities.bounding += ["CAP_MAKE_COFFEE"] |
		.linux.namespaces |= map(select(.type != "uts")) |
		.linux.sysctl = {"vm.swappiness":"10"} |
		.linux.maskedPaths += ["proc/kcore"] |
		.hooks = {"prestart":[{"path":"relative/hook"}]} |
		.linux.devices = [{"type":"c","path":"/dev/foo"}] |
		.mounts += [{"destination":"/data","type":"bind","source":"/nonexistent/src","options":["rbind"]}]'
	run hako validate -b "$BUNDLE"
	echo "$output"
	[ "$status" -eq 1 ]
	local want=(
		'config.json: process.args: must not be empty'
		'config.json: process.cwd: `tmp` is not an absolute path'
		'config.json: process.rlimits[1].type: unknown rlimit `RLIMIT_BOGUS`'
		'config.json: process.rlimits[2]: soft limit above the hard limit'
		'config.json: process.capabilities.bounding[3]: unknown capability `CAP_MAKE_COFFEE`'
		'config.json: hooks.prestart[0].path: `relative/hook` is not an absolute path'
		'config.json: mounts[7].source: `/nonexistent/src`: No such file or directory'
		'config.json: hostname: needs a new uts namespace'
		'config.json: linux.sysctl["vm.swappiness"]: not a namespaced sysctl, so it would change the host'
		'config.json: linux.maskedPaths[10]: `proc/kcore` is not an absolute path'
		'config.json: linux.devices[0]: major and minor are required'
	)
	local line
	for line in "${want[@]}"; do
		grep -qxF -- "$line" <<<"$output" || fail "missing: $line"
	done
	[ "$(wc -l <<<"$output")" -eq "${#want[@]}" ]
	[ ! -e "$HAKO_ROOT/$ID" ]
}

@test "validate: host checks: a missing rootfs, namespace path and bind source" {
	rm -rf "$BUNDLE/rootfs"
	update_config '
		.linux.namespaces += [{"type":"network","path":"/run/netns/hako-no-such-netns"}] |
		.linux.namespaces |= map(select(.type != "network" or .path != null)) |
		.mounts += [{"destination":"/src","source":"missing-dir","options":["bind"]}]'
	run hako validate -b "$BUNDLE"
	echo "$output"
	[ "$status" -eq 1 ]
	grep -qxF "config.json: root.path: \`$BUNDLE/rootfs\`: No such file or directory" <<<"$output"
	grep -qxF 'config.json: linux.namespaces[5].path: `/run/netns/hako-no-such-netns`: No such file or directory' <<<"$output"
	grep -qxF "config.json: mounts[7].source: \`$BUNDLE/missing-dir\`: No such file or directory" <<<"$output"
	[ "$(wc -l <<<"$output")" -eq 3 ]
}

@test "validate: what the host provides is not a problem (existing bind source, joined namespace)" {
	mkdir "$BUNDLE/data"
	update_config '
		.linux.namespaces |= map(select(.type != "network")) + [{"type":"network","path":"/proc/self/ns/net"}] |
		.mounts += [{"destination":"/data","source":"data","options":["rbind","ro"]}]'
	run hako validate -b "$BUNDLE"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "validate: a config with wrong types lists every one of them, not only the first" {
	update_config '.process.user.uid = "root"'
	run hako validate -b "$BUNDLE"
	[ "$status" -eq 1 ]
	[ "$output" = "config.json: process.user.uid: expected integer, got string" ]
	update_config '.hostname = 5 | .mounts[1].options = [1, "ro"] | del(.mounts[3].destination) |
		.linux.namespaces[0].type = "pidd" | .linux.resources.memory = {"limit":"1G","swappiness":500}'
	run hako validate -b "$BUNDLE"
	echo "$output"
	[ "$status" -eq 1 ]
	local want=(
		'config.json: process.user.uid: expected integer, got string'
		'config.json: hostname: expected string, got integer'
		'config.json: mounts[1].options[0]: expected string, got integer'
		'config.json: mounts[3].destination: required property is missing'
		'config.json: linux.namespaces[0].type: unknown value "pidd" (expected one of: pid, network, mount, ipc, uts, user, cgroup, time)'
		'config.json: linux.resources.memory.limit: expected integer, got string'
		'config.json: linux.resources.memory.swappiness: 500 is out of range (0..100)'
	)
	local line
	for line in "${want[@]}"; do
		grep -qxF -- "$line" <<<"$output" || fail "missing: $line"
	done
	[ "$(wc -l <<<"$output")" -eq "${#want[@]}" ]
	# create still stops at the first, with nothing left behind.
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[ "$(wc -l <<<"$output")" -eq 1 ]
	assert_no_leftovers "$ID"
}

@test "validate: a document that is not JSON gives the one error that stopped the parser" {
	printf '{"ociVersion": "1.0.0",' >"$BUNDLE/config.json"
	run hako validate -b "$BUNDLE"
	[ "$status" -eq 1 ]
	[ "$output" = "hako: config.json: invalid JSON at line 1, column 24: parse error: premature EOF" ]
}

@test "validate: --config names another file, in messages too" {
	jq '.process.cwd = "rel"' "$BUNDLE/config.json" >"$BUNDLE/other.json"
	run hako validate -b "$BUNDLE" --config other.json
	[ "$status" -eq 1 ]
	[ "$output" = 'other.json: process.cwd: `rel` is not an absolute path' ]
	run hako validate -b "$BUNDLE" -f config.json
	[ "$status" -eq 0 ]
}

@test "validate: a missing bundle or config is an error, not a crash" {
	run hako validate -b "$BATS_TEST_TMPDIR/none"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bundle \`$BATS_TEST_TMPDIR/none\`: No such file or directory"* ]]
	rm "$BUNDLE/config.json"
	run hako validate -b "$BUNDLE"
	[ "$status" -eq 1 ]
	[[ "$output" == *"open \`$BUNDLE/config.json\`: No such file or directory"* ]]
}

@test "validate: control characters from the config do not reach the report" {
	update_config '.process.cwd = "a\nhako: fake line"'
	run hako validate -b "$BUNDLE"
	[ "$status" -eq 1 ]
	[ "$output" = 'config.json: process.cwd: `a?hako: fake line` is not an absolute path' ]
}

@test "validate: fields hako does not apply are refused, not ignored" {
	update_config '.linux.intelRdt = {"closID":"x"} | .linux.memoryPolicy = {"mode":"MPOL_BIND","nodes":"0"} |
		.linux.netDevices = {"eth9":{}}'
	run hako validate -b "$BUNDLE"
	echo "$output"
	[ "$status" -eq 1 ]
	grep -qxF 'config.json: linux.intelRdt: Intel RDT (resctrl) is not supported by this hako' <<<"$output"
	grep -qxF 'config.json: linux.memoryPolicy: memory policies are not supported by this hako' <<<"$output"
	grep -qxF 'config.json: linux.netDevices: moving network devices into the container is not supported by this hako' <<<"$output"
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.intelRdt: Intel RDT (resctrl) is not supported by this hako"* ]]
	assert_no_leftovers "$ID"
}

@test "create: the validator's problems refuse the container, all of them named, nothing left behind" {
	update_config '.process.cwd = "rel" | .hooks = {"poststop":[{"path":"x"}]}'
	run hako create -b "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = 'hako: config.json: process.cwd: `rel` is not an absolute path; hooks.poststop[0].path: `x` is not an absolute path' ]
	assert_no_leftovers "$ID"
	# A valid config runs: the checks do not refuse what they should not.
	update_config '.process.cwd = "/" | del(.hooks)'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(field pid)" = 1 ]
	assert_no_leftovers "$ID"
}
