#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The rest of the process profile: noNewPrivileges, oomScoreAdj, rlimits,
# user (uid, gid, umask, additionalGids), scheduler, ioPriority,
# execCPUAffinity, AppArmor and SELinux labels; for the init and exec.

load helpers

setup() {
	setup_hako
	setup_bundle probe pid
}

teardown() {
	teardown_hako
}

args() {
	update_config ".process.args = $(printf '%s\n' probe "$@" | jq -R . | jq -s -c .)"
}

# expect_create_error TEXT...: run fails, the output has every TEXT, and
# nothing is left behind.
expect_create_error() {
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -ne 0 ] || fail "accepted: $output"
	local t
	for t in "$@"; do
		[[ "$output" == *"$t"* ]] || fail "expected '$t' in: $output"
	done
	assert_no_leftovers "$ID"
}

@test "noNewPrivileges: NoNewPrivs 1 when set, 0 when not; exec inherits it, --no-new-privs sets it" {
	args status NoNewPrivs
	update_config '.process.noNewPrivileges = true'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(field NoNewPrivs)" = 1 ]
	update_config '.process.noNewPrivileges = false'
	run hako run -b "$BUNDLE" "$ID"
	[ "$(field NoNewPrivs)" = 0 ]

	args sleep 60
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run hako exec "$ID" probe status NoNewPrivs
	[ "$(field NoNewPrivs)" = 0 ]
	run hako exec --no-new-privs "$ID" probe status NoNewPrivs
	[ "$(field NoNewPrivs)" = 1 ]
	hako delete --force "$ID"
	update_config '.process.noNewPrivileges = true'
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run hako exec "$ID" probe status NoNewPrivs
	[ "$(field NoNewPrivs)" = 1 ]
	hako delete --force "$ID"
}

@test "oomScoreAdj: written when set (init and exec), left alone when not" {
	args oom
	update_config '.process.oomScoreAdj = 500'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = 500 ]
	update_config 'del(.process.oomScoreAdj)'
	run hako run -b "$BUNDLE" "$ID"
	[ "$output" = "$(cat /proc/self/oom_score_adj)" ]

	update_config '.process.oomScoreAdj = 300'
	args sleep 60
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run hako exec "$ID" probe oom
	[ "$output" = 300 ]
	hako delete --force "$ID"
}

@test "oomScoreAdj: out of range, or lowering it without CAP_SYS_RESOURCE, fails create clearly" {
	update_config '.process.oomScoreAdj = 1001'
	expect_create_error "process.oomScoreAdj: 1001 is out of range"
	own=$(cat /proc/self/oom_score_adj)
	bnd=$(sed -n 's/^CapEff:\t//p' /proc/self/status)
	if (( (16#$bnd >> 24) & 1 )); then
		skip "hako has CAP_SYS_RESOURCE here"
	fi
	update_config ".process.oomScoreAdj = $((own - 100))"
	expect_create_error "process.oomScoreAdj: cannot lower it to $((own - 100))" "needs CAP_SYS_RESOURCE"
}

@test "rlimits: soft and hard exactly as asked, for the init and exec" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200},
		{"type": "RLIMIT_CORE", "soft": 0, "hard": 4096}, {"type": "RLIMIT_CPU", "soft": 100, "hard": 1000}]'
	args rlimit RLIMIT_NOFILE -- rlimit RLIMIT_CORE -- rlimit RLIMIT_CPU
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | tr '\n' ' ')" = "soft=100 hard=200 soft=0 hard=4096 soft=100 hard=1000 " ]

	args sleep 60
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run hako exec "$ID" probe rlimit RLIMIT_NOFILE
	[ "$(echo "$output" | tr '\n' ' ')" = "soft=100 hard=200 " ]
	hako delete --force "$ID"
}

@test "rlimits: unknown, duplicate, soft above hard, and a hard limit hako cannot raise are errors" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOPE", "soft": 1, "hard": 1}]'
	expect_create_error 'process.rlimits[0].type' RLIMIT_NOPE
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 10}, {"type": "RLIMIT_NOFILE", "soft": 20, "hard": 20}]'
	expect_create_error 'process.rlimits[1].type' 'RLIMIT_NOFILE' 'twice'
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 20, "hard": 10}]'
	expect_create_error 'process.rlimits[0]' 'above'
	eff=$(sed -n 's/^CapEff:\t//p' /proc/self/status)
	if (( (16#$eff >> 24) & 1 )); then
		skip "hako has CAP_SYS_RESOURCE here"
	fi
	hard=$(ulimit -Hn)
	update_config ".process.rlimits = [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 64, \"hard\": $((hard + 1))}]"
	expect_create_error "process.rlimits[0]: cannot raise the hard limit of RLIMIT_NOFILE to $((hard + 1)) (hako's is $hard)" \
		"needs CAP_SYS_RESOURCE"
}

@test "user: uid, gid, additionalGids and umask, for the init and exec" {
	update_config '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [5, 7, 65534], "umask": 23}'
	args ids -- umask
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(field uid)" = 1000 ]
	[ "$(field euid)" = 1000 ]
	[ "$(field gid)" = 1001 ]
	[ "$(field egid)" = 1001 ]
	[ "$(field groups)" = 5,7,65534 ]
	[ "$(field umask)" = 0027 ]

	args sleep 60
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run hako exec "$ID" probe ids -- umask
	[ "$(field uid)" = 1000 ]
	[ "$(field groups)" = 5,7,65534 ]
	[ "$(field umask)" = 0027 ]
	run hako exec --user 2000:3000 --additional-gids 9 "$ID" probe ids
	[ "$(field uid)" = 2000 ]
	[ "$(field gid)" = 3000 ]
	# (the kernel keeps them sorted)
	[ "$(field groups)" = 5,7,9,65534 ]
	hako delete --force "$ID"
}

@test "user: without umask the process keeps the one it inherits" {
	update_config 'del(.process.user.umask)'
	args umask
	run bash -c "umask 0007; '$HAKO' --root '$HAKO_ROOT' run -b '$BUNDLE' '$ID'"
	[ "$status" -eq 0 ]
	[ "$(field umask)" = 0007 ]
}

@test "scheduler: SCHED_BATCH with nice, SCHED_IDLE, SCHED_DEADLINE; SCHED_FIFO with real-time runtime" {
	args sched
	update_config '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 7}'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(field policy)" = 3 ]
	[ "$(field nice)" = 7 ]
	update_config '.process.scheduler = {"policy": "SCHED_IDLE"}'
	run hako run -b "$BUNDLE" "$ID"
	[ "$(field policy)" = 5 ]
	update_config '.process.scheduler = {"policy": "SCHED_DEADLINE", "runtime": 1000000, "deadline": 5000000, "period": 10000000}'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(field policy)" = 6 ]

	# cgroup v1 with real-time group scheduling gives a new cgroup no
	# real-time runtime: ask for some.
	update_config '.process.scheduler = {"policy": "SCHED_FIFO", "priority": 10}'
	if [ -e /sys/fs/cgroup/cpu/cpu.rt_runtime_us ]; then
		update_config '.linux.resources.cpu.realtimeRuntime = 10000 | .linux.resources.cpu.realtimePeriod = 1000000'
	fi
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(field policy)" = 1 ]
	[ "$(field priority)" = 10 ]

	args sleep 60
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run hako exec "$ID" probe sched
	[ "$(field policy)" = 1 ]
	[ "$(field priority)" = 10 ]
	hako delete --force "$ID"
}

@test "scheduler: combinations sched(7) refuses are errors at create" {
	update_config '.process.scheduler = {"policy": "SCHED_LOTTERY"}'
	expect_create_error 'process.scheduler.policy' SCHED_LOTTERY
	update_config '.process.scheduler = {"policy": "SCHED_FIFO", "nice": 3, "priority": 5}'
	expect_create_error 'process.scheduler.nice: only valid with SCHED_OTHER or SCHED_BATCH'
	update_config '.process.scheduler = {"policy": "SCHED_OTHER", "priority": 5}'
	expect_create_error 'process.scheduler.priority: only valid with SCHED_FIFO or SCHED_RR'
	update_config '.process.scheduler = {"policy": "SCHED_RR"}'
	expect_create_error 'process.scheduler.priority: 0 is out of range for SCHED_RR (1 to 99)'
	update_config '.process.scheduler = {"policy": "SCHED_OTHER", "nice": 20}'
	expect_create_error 'process.scheduler.nice: 20 is out of range'
	update_config '.process.scheduler = {"policy": "SCHED_OTHER", "runtime": 5}'
	expect_create_error 'only valid with SCHED_DEADLINE'
	update_config '.process.scheduler = {"policy": "SCHED_DEADLINE", "runtime": 500, "deadline": 100}'
	expect_create_error 'process.scheduler.deadline: must be at least the runtime'
	update_config '.process.scheduler = {"policy": "SCHED_ISO"}'
	expect_create_error 'SCHED_ISO is not implemented by Linux'
	update_config '.process.scheduler = {"policy": "SCHED_OTHER", "flags": ["SCHED_FLAG_FAST"]}'
	expect_create_error 'process.scheduler.flags[0]' SCHED_FLAG_FAST
}

@test "ioPriority: class and level for the init and exec (the process, not the caller's group); bad values are errors" {
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6}'
	args ioprio
	before=$(ionice -p $$ 2>/dev/null || true)
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(field ioprio_class)" = 2 ]
	[ "$(field ioprio_level)" = 6 ]
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
	run hako run -b "$BUNDLE" "$ID"
	[ "$(field ioprio_class)" = 3 ]

	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_RT", "priority": 2}'
	args sleep 60
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run hako exec "$ID" probe ioprio
	[ "$(field ioprio_class)" = 1 ]
	[ "$(field ioprio_level)" = 2 ]
	hako delete --force "$ID"
	# The test's own shell is untouched.
	[ "$(ionice -p $$ 2>/dev/null || true)" = "$before" ]

	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_URGENT", "priority": 0}'
	expect_create_error 'process.ioPriority.class' IOPRIO_CLASS_URGENT
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 8}'
	expect_create_error 'process.ioPriority.priority' 8
}

@test "execCPUAffinity: exec only; final is the affinity of the exec'd process, the init keeps its own" {
	[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
	update_config '.process.execCPUAffinity = {"initial": "1", "final": "0"}'
	args sleep 60
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	pid=$(hako state "$ID" | jq -r .pid)
	[ "$(taskset -pc "$pid" | sed 's/.*: //')" = "$(taskset -pc $$ | sed 's/.*: //')" ]
	run hako exec "$ID" probe affinity
	[ "$status" -eq 0 ]
	[ "$(field cpus)" = 0 ]
	# The order: `initial` on the new process, its cgroup move, then
	# `final` by the process itself.
	if command -v strace >/dev/null; then
		strace -f -qq -e trace=sched_setaffinity,write -e signal=none -o "$BATS_TEST_TMPDIR/strace" \
			"$HAKO" --root "$HAKO_ROOT" exec "$ID" probe pid >/dev/null
		# (a line may be cut by "<unfinished ...>" when processes interleave)
		child=$(sed -n 's/.*sched_setaffinity(\([1-9][0-9]*\), [0-9]*, \[1\].*/\1/p' "$BATS_TEST_TMPDIR/strace")
		[ -n "$child" ]
		initial=$(grep -n "sched_setaffinity($child, " "$BATS_TEST_TMPDIR/strace" | cut -d: -f1)
		moved=$(grep -n "write([0-9]*, \"$child\"" "$BATS_TEST_TMPDIR/strace" | head -n1 | cut -d: -f1)
		final=$(grep -n "^$child  *sched_setaffinity(0, [0-9]*, \[0\]" "$BATS_TEST_TMPDIR/strace" | cut -d: -f1)
		[ -n "$moved" ] && [ -n "$final" ] || fail "$(cat "$BATS_TEST_TMPDIR/strace")"
		[ "$initial" -lt "$moved" ] && [ "$moved" -lt "$final" ]
	fi
	# A --process with only `initial`: the cgroup move decides the rest.
	jq '.process | .args = ["probe", "affinity"] | .execCPUAffinity = {"initial": "0-1"}' "$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/p.json"
	run hako exec --process "$BATS_TEST_TMPDIR/p.json" "$ID"
	[ "$status" -eq 0 ]
	jq '.process | .args = ["probe", "affinity"] | .execCPUAffinity = {"final": "1"}' "$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/p.json"
	run hako exec --process "$BATS_TEST_TMPDIR/p.json" "$ID"
	[ "$(field cpus)" = 1 ]
	hako delete --force "$ID"

	update_config '.process.execCPUAffinity = {"final": "0-"}'
	expect_create_error 'process.execCPUAffinity.final: `0-` is not a CPU list'
	update_config '.process.execCPUAffinity = {"initial": "3,1-0"}'
	expect_create_error 'process.execCPUAffinity.initial'
}

@test "AppArmor and SELinux: a label on a host without the LSM is an error; an empty one is fine" {
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] || [ -e /sys/fs/selinux/enforce ]; then
		skip "this host has AppArmor or SELinux"
	fi
	update_config '.process.apparmorProfile = "hako-default"'
	expect_create_error 'process.apparmorProfile: `hako-default` asked for, but AppArmor is not enabled on this host'
	update_config '.process.apparmorProfile = "" | .process.selinuxLabel = "system_u:system_r:container_t:s0"'
	expect_create_error 'process.selinuxLabel' 'SELinux is not enabled on this host'
	update_config '.process.selinuxLabel = "" | .linux.mountLabel = "system_u:object_r:container_file_t:s0"'
	expect_create_error 'linux.mountLabel' 'SELinux is not enabled on this host'
	update_config '.linux.mountLabel = ""'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]

	args sleep 60
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run hako exec --apparmor hako-default "$ID" probe pid
	[ "$status" -ne 0 ]
	[[ "$output" == *"AppArmor is not enabled on this host"* ]]
	run hako exec --process-label "system_u:system_r:container_t:s0" "$ID" probe pid
	[ "$status" -ne 0 ]
	[[ "$output" == *"SELinux is not enabled on this host"* ]]
	hako delete --force "$ID"
}
