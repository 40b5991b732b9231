#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# --systemd-cgroup: the container in a transient scope that systemd makes
# (Delegate=yes, the limits as unit properties), runc's slice:prefix:name.
# Where systemd is not PID 1 (this host), the clear error; tests/vm boots
# a Debian root with systemd for the rest.

load helpers

setup() {
	setup_hako
	setup_bundle probe sleep 100
}

teardown() {
	teardown_hako
}

has_systemd() {
	[ -d /run/systemd/system ]
}

shako() {
	"$HAKO" --root "$HAKO_ROOT" --systemd-cgroup "$@"
}

start_scope() {
	shako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/create.err" ||
		fail "create: $(cat "$BATS_TEST_TMPDIR/create.err")"
	shako start "$ID"
}

v2() {
	grep -q '^[^ ]* /sys/fs/cgroup cgroup2 ' /proc/self/mounts
}

# sd_cg CONTROLLER SLICE-PATH UNIT: the scope's directory for CONTROLLER.
sd_cg() {
	if v2; then
		echo "/sys/fs/cgroup$2/$3"
	else
		echo "/sys/fs/cgroup/$1$2/$3"
	fi
}

mem_limit() {
	if v2; then
		cat "$(sd_cg memory "$1" "$2")/memory.max"
	else
		cat "$(sd_cg memory "$1" "$2")/memory.limit_in_bytes"
	fi
}

@test "systemd-cgroup: without a systemd bus, a clear error and nothing left behind" {
	has_systemd && skip "systemd is running here"
	update_config '.linux.cgroupsPath = "system.slice:hakotest:'"$ID"'"'
	run shako run -b "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--systemd-cgroup: no systemd bus is reachable"* ]]
	assert_no_leftovers "$ID"
}

@test "systemd-cgroup: a cgroupsPath not of the form slice:prefix:name is an error" {
	for p in "/not/a/slice" "system.slice:onlytwo" "notaslice:p:n" "a--b.slice:p:n" "system.slice:p:"; do
		update_config ".linux.cgroupsPath = \"$p\""
		run shako run -b "$BUNDLE" "$ID"
		[ "$status" -ne 0 ]
		[[ "$output" == *"linux.cgroupsPath"* ]] || fail "no error naming the field for $p: $output"
		assert_no_leftovers "$ID"
	done
}

@test "systemd-cgroup: slice:prefix:name is a delegated transient scope with the limits as properties" {
	has_systemd || skip "systemd is not PID 1"
	unit="hakotest-$ID.scope"
	update_config ".linux.cgroupsPath = \"system.slice:hakotest:$ID\"
		| .linux.resources.memory = {\"limit\": 67108864}
		| .linux.resources.pids = {\"limit\": 42}
		| .linux.resources.cpu = {\"shares\": 1024, \"quota\": 50000, \"period\": 100000}"
	start_scope
	# v1 and hybrid hosts: MemoryLimit; v2: MemoryMax
	mem=MemoryMax
	v2 || mem=MemoryLimit
	props="$(systemctl show -p ActiveState -p Delegate -p Slice -p $mem -p TasksMax -p CPUQuotaPerSecUSec "$unit")"
	echo "$props"
	grep -qx ActiveState=active <<<"$props"
	grep -qx Delegate=yes <<<"$props"
	grep -qx Slice=system.slice <<<"$props"
	grep -qx $mem=67108864 <<<"$props"
	grep -qx TasksMax=42 <<<"$props"
	grep -qx CPUQuotaPerSecUSec=500ms <<<"$props"
	pid="$(shako state "$ID" | jq -r .pid)"
	for c in pids memory cpu freezer; do
		grep -qx "$pid" "$(sd_cg $c /system.slice "$unit")/cgroup.procs" || fail "$pid not in the scope's $c cgroup"
	done
	[ "$(mem_limit /system.slice "$unit")" = 67108864 ]
	[ "$(cat "$(sd_cg pids /system.slice "$unit")/pids.max")" = 42 ]
	if v2; then
		[ "$(cat "$(sd_cg cpu /system.slice "$unit")/cpu.max")" = "50000 100000" ]
	else
		[ "$(cat "$(sd_cg cpu /system.slice "$unit")/cpu.cfs_quota_us")" = 50000 ]
	fi
	# update: the property and the file
	shako update --memory 128m --pids-limit 21 "$ID"
	[ "$(systemctl show -p $mem --value "$unit")" = 134217728 ]
	[ "$(mem_limit /system.slice "$unit")" = 134217728 ]
	[ "$(cat "$(sd_cg pids /system.slice "$unit")/pids.max")" = 21 ]
	# exec joins the scope
	shako exec -d "$ID" probe sleep 100
	wait_for bash -c "[ \$(wc -l <'$(sd_cg pids /system.slice "$unit")/cgroup.procs') -eq 2 ]"
	# pause, events, kill --all
	shako pause "$ID"
	[ "$(shako state "$ID" | jq -r .status)" = paused ]
	shako resume "$ID"
	shako events --stats "$ID" | jq -e '.data.memory.usage.limit == 134217728 and .data.pids.current == 2' >/dev/null
	shako kill --all "$ID" KILL
	wait_for bash -c "[ \"\$('$HAKO' --root '$HAKO_ROOT' state '$ID' | jq -r .status)\" = stopped ]"
	shako delete "$ID"
	! systemctl is-active -q "$unit" || false
	for c in pids memory freezer; do
		[ ! -d "$(sd_cg $c /system.slice "$unit")" ] || fail "the scope's $c cgroup is left"
	done
	assert_no_leftovers "$ID"
}

@test "systemd-cgroup: no cgroupsPath gives hako-<id>.scope in system.slice; nested slices" {
	has_systemd || skip "systemd is not PID 1"
	start_scope
	[ "$(systemctl is-active "hako-$ID.scope")" = active ]
	[ -d "$(sd_cg pids /system.slice "hako-$ID.scope")" ]
	shako delete --force "$ID"
	! systemctl is-active -q "hako-$ID.scope" || false

	update_config ".linux.cgroupsPath = \"hako-test.slice:x:$ID\""
	start_scope
	dir="$(sd_cg pids /hako.slice/hako-test.slice "x-$ID.scope")"
	pid="$(shako state "$ID" | jq -r .pid)"
	grep -qx "$pid" "$dir/cgroup.procs"
	shako delete --force "$ID"
	[ ! -d "$dir" ]
	assert_no_leftovers "$ID"
}

@test "systemd-cgroup: org.systemd.property annotations become unit properties" {
	has_systemd || skip "systemd is not PID 1"
	update_config ".linux.cgroupsPath = \"system.slice:hakotest:$ID\"
		| .annotations = {\"org.systemd.property.TimeoutStopUSec\": \"uint64 3000000\", \"org.systemd.property.CPUAccounting\": \"true\"}"
	start_scope
	props="$(systemctl show -p TimeoutStopUSec -p CPUAccounting "hakotest-$ID.scope")"
	grep -qx TimeoutStopUSec=3s <<<"$props"
	grep -qx CPUAccounting=yes <<<"$props"
	shako delete --force "$ID"

	update_config '.annotations = {"org.systemd.property.Foo": "{not a value}"}'
	run shako run -b "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"annotations.org.systemd.property.Foo"* ]]
	! systemctl is-active -q "hakotest-$ID.scope" || false
	assert_no_leftovers "$ID"
}

@test "systemd-cgroup: the OOM killer works in the scope, which goes away with the container" {
	has_systemd || skip "systemd is not PID 1"
	update_config ".linux.cgroupsPath = \"system.slice:hakotest:$ID\"
		| .linux.resources.memory = {\"limit\": 33554432, \"swap\": 33554432}
		| .process.args = [\"probe\",\"memhog\",\"256\"]"
	run shako run -b "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 137 ]
	! systemctl is-active -q "hakotest-$ID.scope" || false
	assert_no_leftovers "$ID"
}
