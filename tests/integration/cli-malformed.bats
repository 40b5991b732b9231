#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Malformed configs through `create` and `run`: each gives one error naming
# the JSON path and what was expected, exit 1, and nothing left behind (no
# state directory, cgroup or mount).

load helpers

setup() {
	setup_hako
	setup_bundle probe pid
	GOOD="$(cat "$BUNDLE/config.json")"
}

teardown() {
	teardown_hako
}

# expect_refused MESSAGE: create and run both fail with MESSAGE, exit 1,
# and leave nothing; the config is then restored.
expect_refused() {
	local want="$1" cmd
	for cmd in create run; do
		run hako "$cmd" -b "$BUNDLE" "$ID"
		[ "$status" -eq 1 ] || fail "$cmd: status $status: $output"
		[ "$output" = "hako: $want" ] || fail "$cmd: got '$output', want 'hako: $want'"
		assert_no_leftovers "$ID"
	done
	printf '%s\n' "$GOOD" >"$BUNDLE/config.json"
}

# refused_edit JQ MESSAGE
refused_edit() {
	update_config "$1"
	expect_refused "$2"
}

# refused_number JQ-PATH NUMBER MESSAGE: jq would round NUMBER through a
# double, so it goes in as text.
refused_number() {
	update_config "$1 = \"HAKO-NUMBER\""
	sed -i "s/\"HAKO-NUMBER\"/$2/" "$BUNDLE/config.json"
	expect_refused "$3"
}

# refused_text TEXT MESSAGE: config.json is exactly TEXT (printf %b).
refused_text() {
	printf '%b' "$1" >"$BUNDLE/config.json"
	expect_refused "$2"
}

@test "malformed: wrong types, one per kind of value" {
	refused_edit '.linux.resources.memory = {"limit":"1G"}' \
		'config.json: linux.resources.memory.limit: expected integer, got string'
	refused_edit '.process.terminal = "no"' 'config.json: process.terminal: expected boolean, got string'
	refused_edit '.hostname = 7' 'config.json: hostname: expected string, got integer'
	refused_edit '.mounts = {}' 'config.json: mounts: expected array, got object'
	refused_edit '.process = []' 'config.json: process: expected object, got array'
	refused_edit '.process.args = ["probe", 1]' 'config.json: process.args[1]: expected string, got integer'
	refused_edit '.annotations = {"org.example.n": 1}' 'config.json: annotations["org.example.n"]: expected string, got integer'
	refused_edit '.linux.sysctl = ["a=b"]' 'config.json: linux.sysctl: expected object, got array'
	refused_edit '.process.user.uid = 1.5' 'config.json: process.user.uid: expected integer, got number'
	refused_edit '.mounts[0].options = ["ro", null]' 'config.json: mounts[0].options[1]: expected string, got null'
	refused_edit '.ociVersion = null' 'config.json: ociVersion: expected string, got null'
}

@test "malformed: missing required properties" {
	refused_edit 'del(.ociVersion)' 'config.json: ociVersion: required property is missing'
	refused_edit 'del(.mounts[2].destination)' 'config.json: mounts[2].destination: required property is missing'
	refused_edit 'del(.process.user)' 'config.json: process.user: required property is missing'
	refused_edit 'del(.process.cwd)' 'config.json: process.cwd: required property is missing'
	refused_edit '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"action":"SCMP_ACT_ERRNO"}]}' \
		'config.json: linux.seccomp.syscalls[0].names: required property is missing'
	refused_edit 'del(.root)' 'config.json: root: required property is missing'
	refused_edit '.root.path = ""' 'config.json: root.path: must not be empty'
}

@test "malformed: out of range, for every integer width the spec uses" {
	refused_edit '.process.user.uid = -1' 'config.json: process.user.uid: -1 is out of range (0..4294967295)'
	refused_edit '.process.user.gid = 4294967296' 'config.json: process.user.gid: 4294967296 is out of range (0..4294967295)'
	refused_edit '.process.oomScoreAdj = -1001' 'config.json: process.oomScoreAdj: -1001 is out of range (-1000..1000)'
	refused_edit '.linux.resources.blockIO = {"weight":65536}' \
		'config.json: linux.resources.blockIO.weight: 65536 is out of range (0..65535)'
	refused_edit '.linux.resources.memory = {"swappiness":101}' \
		'config.json: linux.resources.memory.swappiness: 101 is out of range (0..100)'
	refused_number '.process.rlimits[0].hard' 18446744073709551616 \
		'config.json: process.rlimits[0].hard: 18446744073709551616 is out of range (0..18446744073709551615)'
	refused_number '.linux.resources.pids.limit' 9223372036854775808 \
		'config.json: linux.resources.pids.limit: 9223372036854775808 is out of range (-9223372036854775808..9223372036854775807)'
	refused_edit '.process.user.umask = 512' 'config.json: process.user.umask: 512 is out of range (0..511)'
}

@test "malformed: unknown enum values" {
	refused_edit '.linux.namespaces[0].type = "pidd"' \
		'config.json: linux.namespaces[0].type: unknown value "pidd" (expected one of: pid, network, mount, ipc, uts, user, cgroup, time)'
	refused_edit '.linux.rootfsPropagation = "sideways"' \
		'config.json: linux.rootfsPropagation: unknown value "sideways" (expected one of: shared, slave, private, unbindable, rshared, rslave, rprivate, runbindable)'
	refused_edit '.linux.seccomp = {"defaultAction":"SCMP_ACT_MAYBE"}' \
		'config.json: linux.seccomp.defaultAction: unknown value "SCMP_ACT_MAYBE" (expected one of: SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_ERRNO, SCMP_ACT_TRACE, SCMP_ACT_ALLOW, SCMP_ACT_LOG, SCMP_ACT_NOTIFY)'
}

@test "malformed: not JSON, or not quite: empty, truncated, garbage, NUL, \\u0000, invalid UTF-8, deep nesting" {
	refused_text '' 'config.json: invalid JSON: empty document'
	refused_text '{"ociVersion": "1.0.0", "process": {' 'config.json: invalid JSON at line 1, column 37: parse error: premature EOF'
	refused_text '{"ociVersion": "1.0.0"}}' 'config.json: invalid JSON at line 1, column 24: parse error: trailing garbage'
	refused_text '{"ociVersion": "1.0.0",\n "hostname": "a\0b"}' 'config.json: invalid JSON at line 2, column 16: NUL byte'
	refused_text '{"ociVersion": "1.0.0", "hostname": "a\\u0000b"}' 'config.json: invalid JSON at line 1, column 39: \u0000 in a string'
	refused_text '{"ociVersion": "1.0.0", "hostname": "\xc0\x80"}' 'config.json: invalid JSON at line 1, column 38: invalid UTF-8'
	refused_text '{"ociVersion": "1.0.0", /* c */ "hostname": "h"}' 'config.json: invalid JSON at line 1, column 25: comments are not allowed'
	refused_text "{\"ociVersion\": \"1.0.0\", \"x\": $(printf '[%.0s' $(seq 4096))" \
		'config.json: invalid JSON: nested deeper than 128 levels'
	refused_text '[]' 'config.json: (top level): expected object, got array'
}

@test "malformed: problems the validator finds refuse create the same way" {
	refused_edit '.process.cwd = "relative"' 'config.json: process.cwd: `relative` is not an absolute path'
	refused_edit '.linux.sysctl = {"vm.swappiness":"1"}' \
		'config.json: linux.sysctl["vm.swappiness"]: not a namespaced sysctl, so it would change the host'
	refused_edit '.process.rlimits[0].type = "RLIMIT_NOPE"' 'config.json: process.rlimits[0].type: unknown rlimit `RLIMIT_NOPE`'
}

@test "malformed: a valid config still runs after all that" {
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(field pid)" = 1 ]
	assert_no_leftovers "$ID"
}
