#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# hako features: the shape of the document (features.md,
# features-linux.md) and that what it claims is true of this build.

load helpers

setup() {
	setup_hako
	FEATURES="$BATS_TEST_TMPDIR/features.json"
	hako features >"$FEATURES"
}

teardown() {
	teardown_hako
}

f() {
	jq -c "$1" "$FEATURES"
}

@test "features: a JSON document with every key of features.md and features-linux.md" {
	jq -e . "$FEATURES" >/dev/null
	[ "$(f .ociVersionMin)" = '"1.0.0"' ]
	[ "$(f .ociVersionMax)" = '"1.3.0"' ]
	[ "$(f .hooks)" = '["prestart","createRuntime","createContainer","startContainer","poststart","poststop"]' ]
	[ "$(f '.mountOptions | length > 20 and index("rbind") != null and index("ro") != null and index("idmap") != null')" = true ]
	[ "$(f '.linux.namespaces | sort')" = '["cgroup","ipc","mount","network","pid","time","user","uts"]' ]
	[ "$(f '.linux.capabilities | index("CAP_SYS_ADMIN") != null and index("CAP_CHECKPOINT_RESTORE") != null')" = true ]
	[ "$(f '.linux.cgroup | keys')" = '["rdma","systemd","systemdUser","v1","v2"]' ]
	[ "$(f '[.linux.cgroup[]] | all(type == "boolean")')" = true ]
	[ "$(f '.linux.seccomp | keys')" = '["actions","archs","enabled","knownFlags","operators","supportedFlags"]' ]
	[ "$(f .linux.seccomp.enabled)" = true ]
	[ "$(f '.linux.seccomp.operators | length')" = 7 ]
	[ "$(f '.linux.seccomp.archs | index("SCMP_ARCH_X86_64") != null')" = true ]
	[ "$(f '.linux.seccomp.supportedFlags - .linux.seccomp.knownFlags')" = '[]' ]
	[ "$(f '.linux.apparmor.enabled | type')" = '"boolean"' ]
	[ "$(f '.linux.selinux.enabled | type')" = '"boolean"' ]
	[ "$(f .linux.mountExtensions.idmap.enabled)" = true ]
	[ "$(f '.annotations["org.hako.version"]')" = "\"$(hako --version | sed -n 's/^hako version //p')\"" ]
	[ "$(f '.annotations["io.github.seccomp.libseccomp.version"]')" = "\"$(hako --version | sed -n 's/^libseccomp: //p')\"" ]
}

@test "features: what hako does not apply is reported as unsupported" {
	[ "$(f .linux.intelRdt.enabled)" = false ]
	[ "$(f .linux.netDevices.enabled)" = false ]
	[ "$(f .linux.memoryPolicy.modes)" = '[]' ]
	[ "$(f .linux.cgroup.systemdUser)" = false ]
}

@test "features: apparmor and selinux are reported as the host has them" {
	local aa=false se=false
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] && aa=true
	[ -e /sys/fs/selinux/enforce ] && se=true
	[ "$(f .linux.apparmor.enabled)" = "$aa" ]
	[ "$(f .linux.selinux.enabled)" = "$se" ]
}

@test "features: ociVersionMin and ociVersionMax are accepted as a config's ociVersion" {
	setup_bundle probe pid
	local v
	for v in "$(jq -r .ociVersionMin "$FEATURES")" "$(jq -r .ociVersionMax "$FEATURES")"; do
		update_config ".ociVersion = \"$v\""
		run hako validate -b "$BUNDLE"
		[ "$status" -eq 0 ]
		run hako run -b "$BUNDLE" "$ID"
		echo "$output"
		[ "$status" -eq 0 ]
		[ "$(field pid)" = 1 ]
		assert_no_leftovers "$ID"
	done
}

@test "features: every namespace listed is one a container gets" {
	setup_bundle probe pid
	local types args=() t
	types="$(jq -r '.linux.namespaces[]' "$FEATURES")"
	# /proc/self/ns names: network is net, mount is mnt.
	proc_name() {
		case "$1" in network) echo net ;; mount) echo mnt ;; *) echo "$1" ;; esac
	}
	for t in $types; do
		args+=(-- ns "$(proc_name "$t")")
	done
	# A user namespace needs mappings; without cgroup v1 mount rights in it,
	# /sys/fs/cgroup is left out (as in spec --rootless).
	update_config "
		.linux.namespaces = ($(jq -c '[.linux.namespaces[] | {type: .}]' "$FEATURES")) |
		.linux.uidMappings = [{\"containerID\":0,\"hostID\":0,\"size\":65536}] |
		.linux.gidMappings = [{\"containerID\":0,\"hostID\":0,\"size\":65536}] |
		.mounts |= map(select(.destination != \"/sys/fs/cgroup\")) |
		.process.args = [\"probe\",\"pid\"$(printf ',"%s"' "${args[@]}")]"
	run hako run -b "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	for t in $types; do
		local proc inside
		proc="$(proc_name "$t")"
		inside="$(field "ns_$proc")"
		[ -n "$inside" ]
		[ "$inside" != "$(readlink "/proc/self/ns/$proc")" ] || fail "namespace $t is the host's"
	done
	assert_no_leftovers "$ID"
}

@test "features: every seccomp action listed (but notify, which needs an agent) loads" {
	setup_bundle probe pid
	local a
	for a in $(jq -r '.linux.seccomp.actions[] | select(. != "SCMP_ACT_NOTIFY")' "$FEATURES"); do
		update_config ".linux.seccomp = {\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"acct\"],\"action\":\"$a\"}]}"
		run hako run -b "$BUNDLE" "$ID"
		[ "$status" -eq 0 ] || fail "action $a: $output"
		assert_no_leftovers "$ID"
	done
}

@test "features: every seccomp flag said to be supported loads" {
	setup_bundle probe pid
	local flag
	# WAIT_KILLABLE_RECV only means something with a notify rule (the
	# kernel refuses it alone); the seccomp tests cover that case.
	for flag in $(jq -r '.linux.seccomp.supportedFlags[] | select(. != "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")' "$FEATURES"); do
		update_config ".linux.seccomp = {\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"$flag\"],\"syscalls\":[{\"names\":[\"acct\"],\"action\":\"SCMP_ACT_ERRNO\"}]}"
		run hako run -b "$BUNDLE" "$ID"
		[ "$status" -eq 0 ] || fail "flag $flag: $output"
		assert_no_leftovers "$ID"
	done
}

@test "features: takes no arguments; --help" {
	run hako features extra
	[ "$status" -eq 1 ]
	[[ "$output" == *"unexpected argument"* ]]
	run hako features --help
	[ "$status" -eq 0 ]
	[[ "$output" == "Usage: hako features"* ]]
}
