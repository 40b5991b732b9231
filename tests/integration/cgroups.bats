#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Resource control with real containers: limits read back from the cgroup
# files, the OOM killer, pids.max against a fork bomb, update, pause,
# events, kill --all, delete --force.  The same file runs on cgroup v1,
# hybrid (this host) and v2 (tests/vm boots a kernel with cgroup2 alone;
# it runs the tests named "cgroups: ...", those "any layout" being the
# same code on every layout).

load helpers

setup() {
	setup_hako
	setup_bundle probe sleep 100
	LAYOUT="$(cg_layout)"
}

teardown() {
	teardown_hako
}

cg_layout() {
	if grep -q '^[^ ]* /sys/fs/cgroup cgroup2 ' /proc/self/mounts; then
		echo v2
	elif grep -q '^[^ ]* /sys/fs/cgroup/unified cgroup2 ' /proc/self/mounts; then
		echo hybrid
	else
		echo v1
	fi
}

# cg CONTROLLER [ID]: the directory of the container's cgroup for CONTROLLER.
cg() {
	local id="${2:-$ID}"
	if [ "$LAYOUT" = v2 ]; then
		echo "/sys/fs/cgroup/hako/$id"
	elif [ "$1" = unified ]; then
		echo "/sys/fs/cgroup/unified/hako/$id"
	else
		echo "/sys/fs/cgroup/$1/hako/$id"
	fi
}

v1_has() {
	[ "$LAYOUT" != v2 ] && [ -d "/sys/fs/cgroup/$1" ]
}

v2_has() {
	[ "$LAYOUT" = v2 ] && grep -qw "$1" /sys/fs/cgroup/cgroup.controllers
}

start_container() {
	hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/create.err" ||
		fail "create: $(cat "$BATS_TEST_TMPDIR/create.err")"
	hako start "$ID"
}

# The container's CPU time in microseconds.
cpu_usage_us() {
	if [ "$LAYOUT" = v2 ]; then
		sed -n 's/^usage_usec //p' "$(cg cpu)/cpu.stat"
	else
		echo $(($(cat "$(cg cpuacct)/cpuacct.usage") / 1000))
	fi
}

@test "cgroups: the container is in its own cgroup under /hako, removed on delete" {
	start_container
	pid="$(hako state "$ID" | jq -r .pid)"
	if [ "$LAYOUT" = v2 ]; then
		grep -qx "0::/hako/$ID" "/proc/$pid/cgroup"
	else
		grep -q ":memory:/hako/$ID\$" "/proc/$pid/cgroup"
		grep -q ":freezer:/hako/$ID\$" "/proc/$pid/cgroup"
		grep -q ":pids:/hako/$ID\$" "/proc/$pid/cgroup"
	fi
	grep -qx "$pid" "$(cg pids)/cgroup.procs"
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
}

@test "cgroups: memory limits are written and read back" {
	update_config '.linux.resources.memory = {"limit": 67108864, "reservation": 33554432, "swap": 134217728}'
	start_container
	if [ "$LAYOUT" = v2 ]; then
		[ "$(cat "$(cg memory)/memory.max")" = 67108864 ]
		[ "$(cat "$(cg memory)/memory.low")" = 33554432 ]
		if [ -e "$(cg memory)/memory.swap.max" ]; then
			# the spec's swap is memory+swap; v2 limits swap alone
			[ "$(cat "$(cg memory)/memory.swap.max")" = 67108864 ]
		fi
	else
		[ "$(cat "$(cg memory)/memory.limit_in_bytes")" = 67108864 ]
		[ "$(cat "$(cg memory)/memory.soft_limit_in_bytes")" = 33554432 ]
		[ "$(cat "$(cg memory)/memory.memsw.limit_in_bytes")" = 134217728 ]
	fi
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
}

@test "cgroups: v1 memory extras (swappiness, disableOOMKiller, kernelTCP)" {
	v1_has memory || skip "cgroup v1 only"
	update_config '.linux.resources.memory = {"limit": 67108864, "swappiness": 10, "disableOOMKiller": true, "kernelTCP": 16777216, "useHierarchy": true}'
	start_container
	[ "$(cat "$(cg memory)/memory.swappiness")" = 10 ]
	grep -qx "oom_kill_disable 1" "$(cg memory)/memory.oom_control"
	[ "$(cat "$(cg memory)/memory.kmem.tcp.limit_in_bytes")" = 16777216 ]
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
}

@test "cgroups: v1-only settings are clear errors on cgroup v2, before anything exists" {
	[ "$LAYOUT" = v2 ] || skip "cgroup v2 only"
	for r in '{"memory":{"swappiness":10}}' '{"memory":{"disableOOMKiller":true}}' '{"cpu":{"realtimeRuntime":1000}}' \
		'{"blockIO":{"leafWeight":100}}' '{"network":{"classID":1}}' '{"memory":{"kernelTCP":1048576}}'; do
		update_config ".linux.resources = $r"
		run hako run -b "$BUNDLE" "$ID"
		[ "$status" -ne 0 ]
		[[ "$output" == *"linux.resources."*"cgroup v"* ]]
		assert_no_leftovers "$ID"
	done
}

@test "cgroups: cpu limits are written and read back (shares as weight on v2)" {
	update_config '.linux.resources.cpu = {"shares": 512, "quota": 50000, "period": 200000, "burst": 10000, "cpus": "0", "mems": "0", "idle": 0}'
	start_container
	if [ "$LAYOUT" = v2 ]; then
		# ceil(10^((l^2+125l)/612 - 7/34)) with l = log2(512)
		[ "$(cat "$(cg cpu)/cpu.weight")" = 59 ]
		[ "$(cat "$(cg cpu)/cpu.max")" = "50000 200000" ]
		[ "$(cat "$(cg cpu)/cpu.max.burst")" = 10000 ]
		v2_has cpuset && [ "$(cat "$(cg cpu)/cpuset.cpus")" = 0 ]
	else
		[ "$(cat "$(cg cpu)/cpu.shares")" = 512 ]
		[ "$(cat "$(cg cpu)/cpu.cfs_quota_us")" = 50000 ]
		[ "$(cat "$(cg cpu)/cpu.cfs_period_us")" = 200000 ]
		[ "$(cat "$(cg cpu)/cpu.cfs_burst_us")" = 10000 ]
		[ "$(cat "$(cg cpuset)/cpuset.cpus")" = 0 ]
		[ "$(cat "$(cg cpuset)/cpuset.mems")" = 0 ]
	fi
	[ "$(cat "$(cg cpu)/cpu.idle")" = 0 ]
	pid="$(hako state "$ID" | jq -r .pid)"
	grep -qx "Cpus_allowed_list:.0" "/proc/$pid/status"
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
}

@test "cgroups: a realtime budget is given to the container (v1)" {
	v1_has cpu && [ -e /sys/fs/cgroup/cpu/cpu.rt_runtime_us ] || skip "no v1 realtime group scheduling"
	update_config '.linux.resources.cpu = {"realtimePeriod": 1000000, "realtimeRuntime": 10000}'
	start_container
	[ "$(cat "$(cg cpu)/cpu.rt_period_us")" = 1000000 ]
	[ "$(cat "$(cg cpu)/cpu.rt_runtime_us")" = 10000 ]
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
}

@test "cgroups: pids.limit stops a fork bomb; 0 is honoured, -1 is max" {
	update_config '.linux.resources.pids = {"limit": 10} | .process.args = ["probe","forkbomb","100"]'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	forked="$(field forked)"
	[ "$forked" -ge 1 ] && [ "$forked" -lt 10 ]
	assert_no_leftovers "$ID"

	update_config '.linux.resources.pids = {"limit": 0} | .process.args = ["probe","forkbomb","5"]'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(field forked)" = 0 ]
	assert_no_leftovers "$ID"

	update_config '.linux.resources.pids = {"limit": -1} | .process.args = ["probe","sleep","100"]'
	start_container
	[ "$(cat "$(cg pids)/pids.max")" = max ]
	hako delete --force "$ID"
}

@test "cgroups: a memory hog is killed by the OOM killer within the limit" {
	update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432} | .process.args = ["probe","memhog","256"]'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 137 ]
	[[ "$output" != *"memhog=256"* ]]
	assert_no_leftovers "$ID"
	# below the limit the same program completes
	update_config '.process.args = ["probe","memhog","8"]'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(field memhog)" = 8 ]
}

@test "cgroups: blkio/io weight and throttling are written and read back" {
	dev=""
	for pass in disk ram; do
		for d in /sys/block/*; do
			[ -e "$d/dev" ] || continue
			case "$(basename "$d")" in
			loop* | zram*) continue ;;
			ram*) [ $pass = ram ] || continue ;;
			esac
			dev="$(cat "$d/dev")"
			break 2
		done
	done
	[ -n "$dev" ] || skip "no block device"
	maj="${dev%:*}" min="${dev#*:}"
	update_config ".linux.resources.blockIO = {\"throttleReadBpsDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 1048576}], \"throttleWriteIOPSDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 100}]}"
	start_container
	if [ "$LAYOUT" = v2 ]; then
		grep -q "^$maj:$min rbps=1048576 wbps=max riops=max wiops=100" "$(cg io)/io.max"
	else
		grep -qx "$maj:$min 1048576" "$(cg blkio)/blkio.throttle.read_bps_device"
		grep -qx "$maj:$min 100" "$(cg blkio)/blkio.throttle.write_iops_device"
	fi
	# the weight: BFQ's file takes the blkio scale, io.weight its own
	d="$(cg blkio)"
	if [ -e "$d/blkio.weight" ] || [ -e "$d/blkio.bfq.weight" ] || [ -e "$d/io.bfq.weight" ] || [ -e "$d/io.weight" ]; then
		hako update --blkio-weight 300 "$ID"
		if [ -e "$d/blkio.weight" ]; then
			[ "$(cat "$d/blkio.weight")" = 300 ]
		elif [ -e "$d/blkio.bfq.weight" ]; then
			[ "$(cat "$d/blkio.bfq.weight")" = 300 ]
		elif [ -e "$d/io.bfq.weight" ]; then
			grep -q "default 300" "$d/io.bfq.weight"
		else
			grep -q "default 2930" "$d/io.weight"
		fi
	else
		run hako update --blkio-weight 300 "$ID"
		[ "$status" -ne 0 ]
		[[ "$output" == *"linux.resources.blockIO.weight"* ]]
	fi
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
}

@test "cgroups: hugepageLimits (with reservations where the kernel has them)" {
	[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages"
	update_config '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]'
	start_container
	if [ "$LAYOUT" = v1 ] || { [ "$LAYOUT" = hybrid ] && v1_has hugetlb; }; then
		[ "$(cat "$(cg hugetlb)/hugetlb.2MB.limit_in_bytes")" = 4194304 ]
	else
		# v2, or a hybrid host whose hugetlb is only in its cgroup2
		[ "$(cat "$(cg unified)/hugetlb.2MB.max")" = 4194304 ]
		if [ -e "$(cg unified)/hugetlb.2MB.rsvd.max" ]; then
			[ "$(cat "$(cg unified)/hugetlb.2MB.rsvd.max")" = 4194304 ]
		fi
	fi
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
}

@test "cgroups: unified keys are written to the cgroup2 hierarchy" {
	[ "$LAYOUT" != v1 ] || skip "no cgroup2 hierarchy"
	update_config '.linux.resources.unified = {"cgroup.max.descendants": "7"}'
	start_container
	[ "$(cat "$(cg unified)/cgroup.max.descendants")" = 7 ]
	hako delete --force "$ID"
	assert_no_leftovers "$ID"

	update_config '.linux.resources.unified = {"nosuchcontroller.max": "1"}'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.unified.nosuchcontroller.max"* ]]
	assert_no_leftovers "$ID"
}

@test "cgroups: device rules (v1 devices.allow, v2 BPF program): denied by default, allowed by a rule" {
	update_config '.linux.devices = [{"path": "/dev/hakotest", "type": "c", "major": 42, "minor": 42, "fileMode": 438}]
		| .process.args = ["probe","cat","/dev/hakotest","--","cat","/dev/null"]'
	run hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"error=/dev/hakotest: Operation not permitted"* ]]
	assert_no_leftovers "$ID"
	# allowed: the open reaches the (absent) driver
	update_config '.linux.resources.devices += [{"allow": true, "type": "c", "major": 42, "minor": 42, "access": "rw"}]'
	run hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"error=/dev/hakotest: No such device or address"* ]]
	# a later deny of write only: reading still passes the device check
	update_config '.linux.resources.devices += [{"allow": false, "type": "c", "major": 42, "minor": 42, "access": "w"}]
		| .process.args = ["probe","cat","/dev/hakotest","--","write","/dev/hakotest","x"]'
	run hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"error=/dev/hakotest: No such device or address"* ]]
	[[ "$output" == *"write=error errno=1 "* ]]
	assert_no_leftovers "$ID"
}

@test "cgroups: update replaces the device rules (v1 files; v2 a new BPF program, the old one detached)" {
	update_config '.root.readonly = false
		| .linux.devices = [{"path": "/dev/hakotest", "type": "c", "major": 42, "minor": 42, "fileMode": 438}]
		| .process.args = ["sh","-c","probe cat /dev/hakotest >/before; while [ ! -e /go ]; do sleep 0.1; done; probe cat /dev/hakotest >/after; sleep 100"]'
	start_container
	wait_for test -s "$BUNDLE/rootfs/before"
	grep -q "Operation not permitted" "$BUNDLE/rootfs/before"
	echo '{"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 42, "minor": 42, "access": "r"}]}' |
		hako update -r - "$ID"
	touch "$BUNDLE/rootfs/go"
	wait_for test -s "$BUNDLE/rootfs/after"
	grep -q "No such device or address" "$BUNDLE/rootfs/after"
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
}

@test "cgroups, any layout: network and rdma are clear errors where the host lacks them" {
	v1_has net_cls && skip "this host has net_cls"
	update_config '.linux.resources.network = {"classID": 1048577}'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.network"* ]]
	assert_no_leftovers "$ID"
	update_config 'del(.linux.resources.network) | .linux.resources.rdma = {"mlx4_0": {"hcaHandles": 2}}'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.rdma"* ]]
	assert_no_leftovers "$ID"
}

@test "cgroups, any layout: network classID and priorities where net_cls and net_prio are mounted" {
	v1_has net_cls && v1_has net_prio || skip "no net_cls and net_prio hierarchies"
	update_config '.linux.resources.network = {"classID": 1048577, "priorities": [{"name": "lo", "priority": 5}]}'
	start_container
	[ "$(cat "$(cg net_cls)/net_cls.classid")" = 1048577 ]
	grep -qx "lo 5" "$(cg net_prio)/net_prio.ifpriomap"
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
}

@test "cgroups, any layout: impossible values are errors naming the field, and nothing is created" {
	for r in '{"memory":{"limit":67108864,"swap":1048576}}' '{"memory":{"limit":-5}}' '{"cpu":{"period":10}}' \
		'{"cpu":{"quota":10000,"burst":20000}}' '{"cpu":{"cpus":"0-a"}}' '{"blockIO":{"weight":5}}' \
		'{"blockIO":{"weightDevice":[{"major":8,"minor":0}]}}' '{"hugepageLimits":[{"pageSize":"3MB","limit":1}]}' \
		'{"rdma":{"mlx5_0":{}}}' '{"unified":{"../x":"1"}}' '{"devices":[{"allow":true,"access":"rwx"}]}' \
		'{"network":{"priorities":[{"name":"eth0\nlo","priority":1}]}}'; do
		update_config ".linux.resources = $r"
		run hako run -b "$BUNDLE" "$ID"
		[ "$status" -ne 0 ]
		[[ "$output" == *"linux.resources."* ]] || fail "no field named for $r: $output"
		assert_no_leftovers "$ID"
	done
}

@test "cgroups, any layout: cgroupsPath absolute and relative; a busy existing cgroup is refused" {
	update_config ".linux.cgroupsPath = \"/hakotest-$ID/c\""
	start_container
	pid="$(hako state "$ID" | jq -r .pid)"
	grep -qx "$pid" "$(dirname "$(cg pids)")/../hakotest-$ID/c/cgroup.procs" 2>/dev/null ||
		grep -qx "$pid" "/sys/fs/cgroup/$([ "$LAYOUT" = v2 ] || echo pids/)hakotest-$ID/c/cgroup.procs"
	# a second container may not join a cgroup that has processes
	setup_bundle probe sleep 100
	update_config ".linux.cgroupsPath = \"/hakotest-$ID/c\""
	run hako run -b "$BUNDLE" "$ID-2"
	[ "$status" -ne 0 ]
	[[ "$output" == *"already has processes"* ]]
	hako delete --force "$ID"
	[ ! -e "/sys/fs/cgroup/$([ "$LAYOUT" = v2 ] || echo pids/)hakotest-$ID/c" ]
	for d in /sys/fs/cgroup/hakotest-$ID /sys/fs/cgroup/*/hakotest-$ID; do
		[ ! -d "$d" ] || rmdir "$d"
	done

	update_config ".linux.cgroupsPath = \"rel-$ID\""
	start_container
	[ -d "$(cg pids "rel-$ID")" ]
	hako delete --force "$ID"
	[ ! -e "$(cg pids "rel-$ID")" ]
}

@test "cgroups: update changes live limits (flags, -r file and -r -)" {
	update_config '.linux.resources.memory = {"limit": 67108864} | .linux.resources.cpu = {"quota": 50000, "period": 100000}'
	start_container
	hako update --memory 128m --pids-limit 20 "$ID"
	if [ "$LAYOUT" = v2 ]; then
		[ "$(cat "$(cg memory)/memory.max")" = 134217728 ]
	else
		[ "$(cat "$(cg memory)/memory.limit_in_bytes")" = 134217728 ]
	fi
	[ "$(cat "$(cg pids)/pids.max")" = 20 ]
	# runc keeps the current value of whichever of quota and period is not given
	hako update --cpu-period 200000 "$ID"
	hako update --cpu-quota 30000 "$ID"
	if [ "$LAYOUT" = v2 ]; then
		[ "$(cat "$(cg cpu)/cpu.max")" = "30000 200000" ]
	else
		[ "$(cat "$(cg cpu)/cpu.cfs_quota_us")" = 30000 ]
		[ "$(cat "$(cg cpu)/cpu.cfs_period_us")" = 200000 ]
	fi
	echo '{"pids": {"limit": 33}, "memory": {"limit": 100663296}}' | hako update -r - "$ID"
	[ "$(cat "$(cg pids)/pids.max")" = 33 ]
	echo '{"cpu": {"shares": 2048}}' >"$BATS_TEST_TMPDIR/r.json"
	hako update -r "$BATS_TEST_TMPDIR/r.json" "$ID"
	if [ "$LAYOUT" = v2 ]; then
		[ "$(cat "$(cg cpu)/cpu.weight")" = 174 ]
	else
		[ "$(cat "$(cg cpu)/cpu.shares")" = 2048 ]
	fi
	# --memory -1 frees memory (and swap with it, as runc)
	hako update --memory -1 "$ID"
	if [ "$LAYOUT" = v2 ]; then
		[ "$(cat "$(cg memory)/memory.max")" = max ]
	else
		[ "$(cat "$(cg memory)/memory.limit_in_bytes")" -gt 1000000000000 ]
	fi
	# bad values: errors that change nothing
	run hako update --memory lots "$ID"
	[ "$status" -ne 0 ]
	run hako update --cpu-period 5 "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.cpu.period"* ]]
	hako delete --force "$ID"
	run hako update --memory 64m "$ID"
	[ "$status" -ne 0 ]
	assert_no_leftovers "$ID"
}

@test "cgroups, any layout: update can lower the memory limit under the OOM killer's eye" {
	update_config '.process.args = ["sh","-c","sleep 1; probe memhog 128; echo survived; sleep 100"]'
	start_container
	hako update --memory 32m --memory-swap 32m "$ID"
	pid="$(hako state "$ID" | jq -r .pid)"
	wait_for bash -c "! grep -q . '$(cg pids)/cgroup.procs' || [ \"\$(wc -l <'$(cg pids)/cgroup.procs')\" -eq 1 ]"
	sleep 2
	# the hog was killed; the shell (and its sleep) go on
	[ -d "/proc/$pid" ]
	if [ "$LAYOUT" = v2 ]; then
		grep -q "oom_kill [1-9]" "$(cg memory)/memory.events"
	else
		grep -q "oom_kill [1-9]" "$(cg memory)/memory.oom_control"
	fi
	hako delete --force "$ID"
}

@test "cgroups, any layout: update with checkBeforeUpdate refuses a limit below the usage" {
	update_config '.process.args = ["sh","-c","x=$(yes aaaaaaaaaaaaaaa | head -c 24000000); sleep 100; echo ${#x}"]'
	start_container
	wait_for bash -c "[ \$(cat '$(cg memory)/memory.$([ "$LAYOUT" = v2 ] && echo current || echo usage_in_bytes)') -gt 20000000 ]"
	run bash -c "echo '{\"memory\": {\"limit\": 8388608, \"checkBeforeUpdate\": true}}' | '$HAKO' --root '$HAKO_ROOT' update -r - '$ID'"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.memory.limit"*"checkBeforeUpdate"* ]]
	if [ "$LAYOUT" = v2 ]; then
		[ "$(cat "$(cg memory)/memory.max")" = max ]
	else
		[ "$(cat "$(cg memory)/memory.limit_in_bytes")" -gt 1000000000 ]
	fi
	hako delete --force "$ID"
}

@test "cgroups: pause freezes a busy loop, resume thaws it; the state says paused" {
	update_config '.process.args = ["probe","busyloop"]'
	start_container
	sleep 0.2
	hako pause "$ID"
	[ "$(hako state "$ID" | jq -r .status)" = paused ]
	a="$(cpu_usage_us)"
	sleep 0.5
	b="$(cpu_usage_us)"
	[ "$a" = "$b" ] || fail "CPU time went on while paused: $a -> $b"
	run hako pause "$ID"
	[ "$status" -ne 0 ]
	hako resume "$ID"
	[ "$(hako state "$ID" | jq -r .status)" = running ]
	sleep 0.3
	c="$(cpu_usage_us)"
	[ "$c" -gt "$b" ]
	run hako resume "$ID"
	[ "$status" -ne 0 ]
	# a paused container can be killed and deleted
	hako pause "$ID"
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
}

@test "cgroups: events --stats prints runc's stats event" {
	update_config '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 50} | .process.args = ["sh","-c","probe memhog 4; exec probe busyloop"]'
	start_container
	sleep 0.3
	run hako events --stats "$ID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | wc -l)" -eq 1 ]
	echo "$output" | jq -e --arg id "$ID" '.type == "stats" and .id == $id' >/dev/null
	echo "$output" | jq -e '.data | has("cpu") and has("cpuset") and has("memory") and has("pids") and has("blkio") and has("hugetlb") and has("intel_rdt") and has("network_interfaces")' >/dev/null
	echo "$output" | jq -e '.data.cpu.usage.total > 0 and (.data.cpu.usage | has("kernel") and has("user"))' >/dev/null
	echo "$output" | jq -e '.data.memory.usage.limit == 67108864 and .data.memory.usage.usage > 0 and (.data.memory.usage | has("failcnt"))' >/dev/null
	echo "$output" | jq -e '.data.pids.current >= 1 and .data.pids.limit == 50' >/dev/null
	echo "$output" | jq -e '.data.memory.raw | length > 5' >/dev/null
	echo "$output" | jq -e '.data.cpuset.cpus | length >= 1' >/dev/null
	hako delete --force "$ID"
	run hako events --stats "$ID"
	[ "$status" -ne 0 ]
}

@test "cgroups: events, a stats event every interval, and an oom event" {
	update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432} | .process.args = ["sh","-c","sleep 1.5; probe memhog 256; sleep 100"]'
	start_container
	timeout 3 "$HAKO" --root "$HAKO_ROOT" events --interval 400ms "$ID" >"$BATS_TEST_TMPDIR/ev" || true
	grep -c '"type":"stats"' "$BATS_TEST_TMPDIR/ev" | grep -q '^[3-9]'
	grep -qx "{\"type\":\"oom\",\"id\":\"$ID\"}" "$BATS_TEST_TMPDIR/ev"
	run hako events --interval 0s "$ID"
	[ "$status" -ne 0 ]
	hako delete --force "$ID"
}

@test "cgroups: kill --all reaches every process; delete --force every one left behind" {
	update_config '.process.args = ["sh","-c","probe sleep 100 & probe sleep 100 & wait"]'
	start_container
	wait_for bash -c "[ \$(wc -l <'$(cg pids)/cgroup.procs') -ge 3 ]"
	pids="$(cat "$(cg pids)/cgroup.procs")"
	hako kill --all "$ID" KILL
	for p in $pids; do
		wait_for bash -c "[ ! -d /proc/$p ] || grep -q '^State:.*Z' /proc/$p/status"
	done
	hako delete "$ID"
	assert_no_leftovers "$ID"

	# without a pid namespace, children outlive the init: delete --force finds them
	update_config 'del(.linux.namespaces[] | select(.type == "pid")) | .process.args = ["sh","-c","probe sleep 100 & exec probe sleep 100"]'
	start_container
	wait_for bash -c "[ \$(wc -l <'$(cg pids)/cgroup.procs') -ge 2 ]"
	pids="$(cat "$(cg pids)/cgroup.procs")"
	hako kill "$ID" KILL
	sleep 0.2
	hako delete --force "$ID"
	for p in $pids; do
		[ ! -d "/proc/$p" ] || grep -q '^State:.*Z' "/proc/$p/status"
	done
	assert_no_leftovers "$ID"
}

@test "cgroups: delete removes sub-cgroups the container made" {
	start_container
	pid="$(hako state "$ID" | jq -r .pid)"
	mkdir -p "$(cg pids)/sub" "$(cg memory)/sub/deeper"
	echo "$pid" >"$(cg pids)/sub/cgroup.procs"
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
}

@test "cgroups, any layout: rootless runs without the cgroups it may not create; limits are an error" {
	command -v setpriv >/dev/null || skip "no setpriv"
	[ "$(cat /proc/sys/user/max_user_namespaces)" -gt 0 ] || skip "no user namespaces"
	d="$(mktemp -d /tmp/hako-rootless.XXXXXX)"
	user_hako="$(any_user_copy "$HAKO")"
	cp -a "$BUNDLE/rootfs" "$d/rootfs"
	(cd "$d" && "$HAKO" spec --rootless)
	jq '.process.terminal = false | .process.args = ["probe","pid"]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 1000, "size": 1}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 1000, "size": 1}]' "$d/config.json" >"$d/c" && mv "$d/c" "$d/config.json"
	chown -R 1000:1000 "$d"
	run setpriv --reuid=1000 --regid=1000 --clear-groups env HOME="$d" "$user_hako" --root "$d/state" run -b "$d" "$ID"
	[ "$status" -eq 0 ] || { rm -rf "$d"; fail "$output"; }
	[[ "$output" == *"rootless: cannot use cgroups"* ]]
	[ "$(field pid)" = 1 ]
	jq '.linux.resources = {"memory": {"limit": 67108864}}' "$d/config.json" >"$d/c" && mv "$d/c" "$d/config.json"
	run setpriv --reuid=1000 --regid=1000 --clear-groups env HOME="$d" "$user_hako" --root "$d/state" run -b "$d" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"rootless: cannot apply linux.resources"* ]]
	rm -rf "$d"
	assert_no_leftovers "$ID"
}

@test "cgroups, any layout: exec joins the container's cgroup, or a sub-cgroup with --cgroup" {
	start_container
	mkdir "$(cg pids)/sub"
	[ "$LAYOUT" = v2 ] || mkdir "$(cg freezer)/sub"
	hako exec -d "$ID" probe sleep 100
	hako exec -d --cgroup sub "$ID" probe sleep 101
	wait_for grep -q . "$(cg pids)/sub/cgroup.procs"
	[ "$(wc -l <"$(cg pids)/sub/cgroup.procs")" -eq 1 ]
	run hako ps --format json "$ID"
	[ "$(echo "$output" | jq length)" -eq 3 ]
	run hako exec --cgroup nosuch "$ID" probe pid
	[ "$status" -ne 0 ]
	[[ "$output" == *"nosuch"* ]]
	if [ "$LAYOUT" != v2 ]; then
		# per-controller form: only the named hierarchy's sub-cgroup
		mkdir "$(cg pids)/sub2"
		hako exec -d --cgroup pids:sub2 "$ID" probe sleep 102
		wait_for grep -q . "$(cg pids)/sub2/cgroup.procs"
		p="$(cat "$(cg pids)/sub2/cgroup.procs")"
		grep -qx "$p" "$(cg freezer)/cgroup.procs"
	fi
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
}

@test "cgroups: --cgroup-manager disabled makes no cgroup; limits are refused" {
	hako --cgroup-manager disabled create -b "$BUNDLE" "$ID" </dev/null
	hako start "$ID"
	pid="$(hako state "$ID" | jq .pid)"
	# The container shares the caller's cgroups, and no hako cgroup exists.
	[ "$(grep -v ':/hako/' /proc/$pid/cgroup)" = "$(grep -v ':/hako/' /proc/self/cgroup)" ]
	[ -z "$(grep "/hako/$ID" /proc/$pid/cgroup)" ]
	for d in /sys/fs/cgroup/*/hako/"$ID" /sys/fs/cgroup/hako/"$ID"; do
		[ ! -e "$d" ]
	done
	run hako pause "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no cgroup"* ]]
	hako delete --force "$ID"
	# A limit with no cgroup to hold it is an error, and nothing stays.
	update_config '.linux.resources.memory.limit = 67108864'
	run hako --cgroup-manager disabled create -b "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources: limits need a cgroup"* ]]
	[ ! -e "$HAKO_ROOT/$ID" ]
	run hako --cgroup-manager nonsense list
	[ "$status" -ne 0 ]
	[[ "$output" == *"expected cgroupfs, systemd or disabled"* ]]
}

@test "cgroups: a container starts under a memory limit of 512 KiB" {
	update_config '.process.args = ["probe","echo","small"] | .linux.resources.memory = {limit: 524288}'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = small ]
	assert_no_leftovers "$ID"
}
