#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# linux.seccomp: every action, errnoRet, argument conditions with each
# operator, architectures, flags, the notify listener (init and exec), the
# placement of the filter after setup, the compiled-filter cache, the
# errors, and contrib/seccomp/default.json with busybox.

load helpers

setup() {
	setup_hako
	setup_bundle probe pid
	LISTENER_PID=
}

teardown() {
	if [ -n "$LISTENER_PID" ]; then
		kill "$LISTENER_PID" 2>/dev/null || true
		wait "$LISTENER_PID" 2>/dev/null || true
	fi
	teardown_hako
}

# set_seccomp JSON: linux.seccomp = JSON.
set_seccomp() {
	update_config ".linux.seccomp = $1"
}

# args PROBE-ARGS...: process.args = [probe, ARGS...].
args() {
	update_config ".process.args = $(printf '%s\n' probe "$@" | jq -R . | jq -s -c .)"
}

# The line "syscall=NAME ret=R errno=E" of the N-th (1-based) syscall call.
nth_syscall() {
	echo "$output" | grep '^syscall=' | sed -n "${1}p"
}

# start_listener ARGS...: the seccomp agent on $SOCK, in the background.
start_listener() {
	SOCK="$BATS_TEST_TMPDIR/agent.sock"
	"$HAKO_BUILDDIR/tests/helpers/seccomp-listener" "$SOCK" --states "$BATS_TEST_TMPDIR/states" \
		--log "$BATS_TEST_TMPDIR/answers" "$@" &
	LISTENER_PID=$!
	wait_for test -S "$SOCK"
}

@test "seccomp: a denied syscall returns the errnoRet asked, others run; Seccomp: 2" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
		{"names": ["sync", "acct"], "action": "SCMP_ACT_ERRNO"}]}'
	args syscall getppid -- syscall sync -- syscall acct 0 -- syscall getpid -- status Seccomp
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(nth_syscall 1)" = "syscall=getppid ret=-1 errno=38" ]
	# errnoRet unset: EPERM
	[ "$(nth_syscall 2)" = "syscall=sync ret=-1 errno=1" ]
	[ "$(nth_syscall 3)" = "syscall=acct ret=-1 errno=1" ]
	[ "$(nth_syscall 4)" = "syscall=getpid ret=1 errno=0" ]
	[ "$(field Seccomp)" = 2 ]
	assert_no_leftovers "$ID"
}

@test "seccomp: defaultAction ERRNO with defaultErrnoRet, and an allow-list" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 95, "syscalls": [{"names": [
		"execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64", "mprotect",
		"readlinkat", "getrandom", "newfstatat", "fstat", "mmap", "munmap", "uname", "write", "exit_group",
		"getpid", "openat", "read", "close", "lseek"], "action": "SCMP_ACT_ALLOW"}]}'
	args syscall getpid -- syscall getppid -- syscall sync
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(nth_syscall 1)" = "syscall=getpid ret=1 errno=0" ]
	[ "$(nth_syscall 2)" = "syscall=getppid ret=-1 errno=95" ]
	[ "$(nth_syscall 3)" = "syscall=sync ret=-1 errno=95" ]
}

@test "seccomp: every operator, applied to the syscall's argument" {
	# dup(0), dup(1), dup(2): which are denied for each comparison with 1.
	declare -A expect=(
		[SCMP_CMP_EQ]="0 1 0" [SCMP_CMP_NE]="1 0 1" [SCMP_CMP_LT]="1 0 0"
		[SCMP_CMP_LE]="1 1 0" [SCMP_CMP_GT]="0 0 1" [SCMP_CMP_GE]="0 1 1"
	)
	args syscall dup 0 -- syscall dup 1 -- syscall dup 2
	for op in "${!expect[@]}"; do
		set_seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"dup\"],
			\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 77, \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"$op\"}]}]}"
		run hako run -b "$BUNDLE" "$ID"
		[ "$status" -eq 0 ]
		got=""
		for i in 1 2 3; do
			if [[ "$(nth_syscall $i)" == *"errno=77" ]]; then got+="1 "; else got+="0 "; fi
		done
		[ "${got% }" = "${expect[$op]}" ] || fail "$op: denied pattern '$got', expected '${expect[$op]}'"
	done

	# MASKED_EQ: value is the mask, valueTwo the result; fd 3 = 0b11 & 0b10 == 0b10
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["dup"], "action": "SCMP_ACT_ERRNO",
		"errnoRet": 77, "args": [{"index": 0, "value": 2, "valueTwo": 2, "op": "SCMP_CMP_MASKED_EQ"}]}]}'
	args syscall dup 0 -- syscall dup 1 -- syscall dup 2 -- syscall dup 3
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$(nth_syscall 1)" != *"errno=77" ]]
	[[ "$(nth_syscall 2)" != *"errno=77" ]]
	[ "$(nth_syscall 3)" = "syscall=dup ret=-1 errno=77" ]
	[[ "$(nth_syscall 4)" == *"errno=77" ]]
}

@test "seccomp: several conditions on one syscall: all must hold; one argument twice: either" {
	# socket(AF_INET, SOCK_DGRAM) denied, AF_INET stream and AF_UNIX datagram allowed.
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO",
		"errnoRet": 13, "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"},
		                         {"index": 1, "value": 15, "valueTwo": 2, "op": "SCMP_CMP_MASKED_EQ"}]}]}'
	args syscall socket 2 2 0 -- syscall socket 2 0x80002 0 -- syscall socket 2 1 0 -- syscall socket 1 2 0
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(nth_syscall 1)" = "syscall=socket ret=-1 errno=13" ]
	[ "$(nth_syscall 2)" = "syscall=socket ret=-1 errno=13" ]
	[[ "$(nth_syscall 3)" == *"errno=0" ]]
	[[ "$(nth_syscall 4)" == *"errno=0" ]]

	# The same argument compared twice: each comparison is a rule of its
	# own, as runc does.
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["dup"], "action": "SCMP_ACT_ERRNO",
		"errnoRet": 77, "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}]}'
	args syscall dup 0 -- syscall dup 1 -- syscall dup 2
	run hako run -b "$BUNDLE" "$ID"
	[ "$(nth_syscall 1)" = "syscall=dup ret=-1 errno=77" ]
	[[ "$(nth_syscall 2)" != *"errno=77" ]]
	[ "$(nth_syscall 3)" = "syscall=dup ret=-1 errno=77" ]
}

@test "seccomp: KILL, KILL_PROCESS, KILL_THREAD and TRAP end the process with SIGSYS (exit 159)" {
	args syscall getppid
	for action in SCMP_ACT_KILL SCMP_ACT_KILL_PROCESS SCMP_ACT_KILL_THREAD SCMP_ACT_TRAP; do
		set_seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getppid\"], \"action\": \"$action\"}]}"
		run hako run -b "$BUNDLE" "$ID"
		[ "$status" -eq 159 ] || fail "$action: exit $status"
		[[ "$output" != *"syscall=getppid"* ]]
		assert_no_leftovers "$ID"
	done
}

@test "seccomp: LOG lets the syscall run; TRACE with no tracer fails it with ENOSYS" {
	args syscall getppid
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_LOG"}]}'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(nth_syscall 1)" = "syscall=getppid ret=0 errno=0" ]
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_TRACE"}]}'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(nth_syscall 1)" = "syscall=getppid ret=-1 errno=38" ]
}

@test "seccomp: architectures: an i386 syscall is filtered when X86 is listed, killed when it is not" {
	cp "$HAKO_BUILDDIR/tests/helpers/seccomp-i386" "$BUNDLE/rootfs/bin/"
	update_config '.process.args = ["sh", "-c", "probe syscall mkdir /tmp/a 0755; seccomp-i386 mkdir /tmp/b"]'
	rule='{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 55}'
	set_seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"], \"syscalls\": [$rule]}"
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"syscall=mkdir ret=-1 errno=55"* ]]
	[[ "$output" == *"i386 mkdir ret=-1 errno=55"* ]]

	# Only the native architecture: a foreign one is a bad arch, killed.
	set_seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [$rule]}"
	run hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"syscall=mkdir ret=-1 errno=55"* ]]
	[[ "$output" != *"i386 mkdir"* ]]
	[ "$status" -eq 159 ]
}

@test "seccomp: flags reach seccomp(2): unset means SPEC_ALLOW, [] none, and the ones listed" {
	command -v strace >/dev/null || skip "no strace"
	args pid
	seccomp_flags() {
		strace -f -qq -e trace=seccomp -o "$BATS_TEST_TMPDIR/strace" "$HAKO" --root "$HAKO_ROOT" run -b "$BUNDLE" "$ID" >/dev/null
		# The load, not the flag probes (those pass no program).
		grep 'filter=' "$BATS_TEST_TMPDIR/strace" | sed 's/.*SECCOMP_SET_MODE_FILTER, \([^,]*\),.*/\1/'
	}
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["sync"], "action": "SCMP_ACT_ERRNO"}]}'
	[ "$(seccomp_flags)" = SECCOMP_FILTER_FLAG_SPEC_ALLOW ]
	update_config '.linux.seccomp.flags = []'
	[ "$(seccomp_flags)" = 0 ]
	update_config '.linux.seccomp.flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]'
	[ "$(seccomp_flags)" = "SECCOMP_FILTER_FLAG_TSYNC|SECCOMP_FILTER_FLAG_LOG|SECCOMP_FILTER_FLAG_SPEC_ALLOW" ]

	# With a listener: NEW_LISTENER; WAIT_KILLABLE_RECV where the kernel
	# has it; TSYNC only along with TSYNC_ESRCH.
	start_listener
	set_seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$SOCK\",
		\"flags\": [\"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],
		\"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
	want="SECCOMP_FILTER_FLAG_TSYNC|SECCOMP_FILTER_FLAG_NEW_LISTENER|SECCOMP_FILTER_FLAG_TSYNC_ESRCH"
	if hako features | jq -e '.linux.seccomp.supportedFlags | index("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")' >/dev/null; then
		want+="|SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"
	fi
	[ "$(seccomp_flags)" = "$want" ]
}

@test "seccomp: the filter comes after setup: a profile denying mount, setns, chdir... breaks nothing (NNP on and off, root and not)" {
	deny='"mount", "umount2", "pivot_root", "setns", "unshare", "chdir", "fchdir", "chroot", "sethostname",
		"setgroups", "setresuid", "setresgid", "setuid", "setgid", "mkdir", "mkdirat", "symlink", "symlinkat",
		"mknod", "mknodat", "keyctl", "prlimit64", "setrlimit", "sched_setattr", "ioprio_set", "rt_sigaction",
		"rt_sigprocmask", "close_range", "fcntl", "openat2", "sendmsg", "dup2", "dup3"'
	update_config '.hostname = "strict" | .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 512}]
		| .process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 5} | .process.cwd = "/new/dir"
		| .process.user.additionalGids = [5] | .root.readonly = false'
	args ids -- status NoNewPrivs -- status Seccomp -- syscall chdir / -- cwd
	for nnp in true false; do
		for uid in 0 1000; do
			# Without no_new_privs and CAP_SYS_ADMIN the filter goes in while
			# hako still holds it, before the capability sets: capset and
			# prctl must be allowed then (as with runc).
			extra='"capset", "prctl",'
			[ "$nnp" = false ] && extra=
			set_seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [$extra $deny], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 99}]}"
			update_config ".process.noNewPrivileges = $nnp | .process.user.uid = $uid"
			run hako run -b "$BUNDLE" "$ID"
			[ "$status" -eq 0 ] || fail "nnp=$nnp uid=$uid: $output"
			[ "$(field uid)" = "$uid" ]
			[ "$(field groups)" = 5 ]
			[ "$(field cwd)" = /new/dir ]
			[ "$(field NoNewPrivs)" = "$([ $nnp = true ] && echo 1 || echo 0)" ]
			[ "$(field Seccomp)" = 2 ]
			[ "$(nth_syscall 1)" = "syscall=chdir ret=-1 errno=99" ]
			assert_no_leftovers "$ID"
		done
	done
}

@test "seccomp: a profile answering capset without running it cannot leave hako's capabilities in place" {
	# No no_new_privs and no CAP_SYS_ADMIN kept: the filter is in before
	# the capability sets are, and a faked capset must not pass.
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["capset"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0}]}'
	update_config '.process.noNewPrivileges = false'
	args caps
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.capabilities: not in force after capset"* ]]
	[[ "$output" != *"CapEff="* ]]
	assert_no_leftovers "$ID"
	# With no_new_privs the filter comes after capset: nothing to fake.
	update_config '.process.noNewPrivileges = true'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(field CapEff)" = 0000000020000420 ]
}

@test "seccomp: exec gets the container's profile" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42}]}'
	update_config '.process.noNewPrivileges = true'
	args sleep 60
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run hako exec "$ID" probe status Seccomp -- status NoNewPrivs -- syscall getppid -- caps
	[ "$status" -eq 0 ]
	[ "$(field Seccomp)" = 2 ]
	[ "$(field NoNewPrivs)" = 1 ]
	[ "$(nth_syscall 1)" = "syscall=getppid ret=-1 errno=42" ]
	[ "$(field CapEff)" = 0000000020000420 ]
	# --process gets it too (the profile is the container's, not the process's).
	jq '.process | .args = ["probe", "status", "Seccomp", "--", "syscall", "getppid"]' "$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/p.json"
	run hako exec --process "$BATS_TEST_TMPDIR/p.json" "$ID"
	[ "$status" -eq 0 ]
	[ "$(field Seccomp)" = 2 ]
	[ "$(nth_syscall 1)" = "syscall=getppid ret=-1 errno=42" ]
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
}

@test "seccomp notify: the listener gets the state and the descriptor, and answers for the container (run and exec)" {
	start_listener --answer mkdir=42 --errno chmod=13
	set_seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$SOCK\", \"listenerMetadata\": \"hello agent\",
		\"flags\": [\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],
		\"syscalls\": [{\"names\": [\"mkdir\", \"chmod\", \"getppid\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
	args syscall mkdir /tmp/made 0755 -- stat /tmp/made -- syscall chmod / 0755 -- syscall getppid
	run hako run -b "$BUNDLE" "$ID"
	# mkdir "succeeded" with the agent's value, without a directory.
	[ "$(nth_syscall 1)" = "syscall=mkdir ret=42 errno=0" ]
	[[ "$output" == *"stat=error errno=2"* ]]
	[ "$(nth_syscall 2)" = "syscall=chmod ret=-1 errno=13" ]
	# Not answered by the agent: continues in the kernel.
	[ "$(nth_syscall 3)" = "syscall=getppid ret=0 errno=0" ]
	state=$(head -n1 "$BATS_TEST_TMPDIR/states")
	[ "$(echo "$state" | jq -r .ociVersion)" = 1.3.0 ]
	[ "$(echo "$state" | jq -c .fds)" = '["seccompFd"]' ]
	[ "$(echo "$state" | jq -r .metadata)" = "hello agent" ]
	[ "$(echo "$state" | jq -r .state.id)" = "$ID" ]
	[ "$(echo "$state" | jq -r .state.bundle)" = "$BUNDLE" ]
	[ "$(echo "$state" | jq -r .pid)" = "$(echo "$state" | jq -r .state.pid)" ]
	grep -q "^mkdir pid=.* ret=42" "$BATS_TEST_TMPDIR/answers"
	assert_no_leftovers "$ID"

	# create and start: the descriptor goes through `hako start`.
	update_config '.root.readonly = false'
	update_config '.process.args = ["sh", "-c", "probe syscall mkdir /tmp/y 0755 >/out; sleep 60"]'
	hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	hako start "$ID"
	wait_for test -s "$BUNDLE/rootfs/out"
	[ "$(cat "$BUNDLE/rootfs/out")" = "syscall=mkdir ret=42 errno=0" ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/states")" -eq 2 ]
	hako delete --force "$ID"

	# exec: a connection of its own, with the exec'd process's pid.
	args sleep 60
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run hako exec "$ID" probe syscall mkdir /tmp/x 0755 -- pid
	[ "$status" -eq 0 ]
	[ "$(nth_syscall 1)" = "syscall=mkdir ret=42 errno=0" ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/states")" -eq 4 ]
	exec_state=$(tail -n1 "$BATS_TEST_TMPDIR/states")
	[ "$(echo "$exec_state" | jq -r .state.status)" = running ]
	[ "$(echo "$exec_state" | jq -r .pid)" != "$(echo "$exec_state" | jq -r .state.pid)" ]
	hako delete --force "$ID"
}

@test "seccomp notify: a listener that is not there fails create, and nothing is left" {
	set_seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$BATS_TEST_TMPDIR/nobody.sock\",
		\"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"listenerPath"*"nobody.sock"* ]]
	assert_no_leftovers "$ID"
}

@test "seccomp: bad profiles are errors naming the JSON path; nothing is left behind" {
	# check_error PROFILE PATH [TEXT]: refused, with PATH and TEXT in the message.
	check_error() {
		set_seccomp "$1"
		run hako run -b "$BUNDLE" "$ID"
		[ "$status" -ne 0 ] || fail "accepted: $1"
		[[ "$output" == *"$2"*"${3:-}"* ]] || fail "for $1: got '$output', expected '$2' and '${3:-}'"
		assert_no_leftovers "$ID"
	}
	# Names outside the spec's lists (the parser knows them).
	check_error '{"defaultAction": "SCMP_ACT_NOPE"}' 'linux.seccomp.defaultAction' SCMP_ACT_NOPE
	check_error '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["sync"], "action": "SCMP_ACT_ERRNO"}, {"names": ["sync"], "action": "SCMP_ACT_BOGUS"}]}' \
		'linux.seccomp.syscalls[1].action' SCMP_ACT_BOGUS
	check_error '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["dup"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]}' \
		'linux.seccomp.syscalls[0].args[0].op' SCMP_CMP_ABOUT
	check_error '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_PDP11"]}' \
		'linux.seccomp.architectures[1]' SCMP_ARCH_PDP11
	check_error '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_FAST"]}' \
		'linux.seccomp.flags[0]' SECCOMP_FILTER_FLAG_FAST
	# Combinations.
	check_error '{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 5}' 'linux.seccomp.defaultAction: `SCMP_ACT_ALLOW` takes no errno return'
	check_error '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["sync"], "action": "SCMP_ACT_KILL", "errnoRet": 1}]}' \
		'linux.seccomp.syscalls[0].action: `SCMP_ACT_KILL` takes no errno return'
	check_error '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["dup"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}' \
		'linux.seccomp.syscalls[0].args[0].index' 6
	check_error '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}' \
		'SCMP_ACT_NOTIFY is used but listenerPath is not set'
	check_error '{"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/run/x.sock"}' \
		'linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action'
	check_error '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/x.sock", "syscalls": [{"names": ["sendmsg"], "action": "SCMP_ACT_NOTIFY"}]}' \
		'linux.seccomp.syscalls[0].names[0]: SCMP_ACT_NOTIFY cannot be used for `sendmsg`'
	check_error '{"defaultAction": "SCMP_ACT_ALLOW", "listenerMetadata": "x"}' \
		'linux.seccomp.listenerMetadata: set without listenerPath'
	check_error '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [], "action": "SCMP_ACT_ERRNO"}]}' \
		'linux.seccomp.syscalls[0].names: at least one syscall name is required'
}

@test "seccomp: a syscall name libseccomp does not know is skipped, with a debug message" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["no_such_syscall_at_all", "getppid"],
		"action": "SCMP_ACT_ERRNO", "errnoRet": 9}]}'
	args syscall getppid
	run "$HAKO" --root "$HAKO_ROOT" --debug run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *'syscall `no_such_syscall_at_all` is unknown to libseccomp'*'skipped'* ]]
	[[ "$output" == *"syscall=getppid ret=-1 errno=9"* ]]
}

@test "seccomp cache: the compiled filter is kept under the root and used again; damaged or foreign entries are not" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 61}]}'
	args syscall getppid
	run "$HAKO" --root "$HAKO_ROOT" --debug run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"compiled by libseccomp"* ]]
	[[ "$output" == *"syscall=getppid ret=-1 errno=61"* ]]
	cache="$HAKO_ROOT/.seccomp-cache"
	[ "$(stat -c %a "$cache")" = 700 ]
	entry=$(ls "$cache")
	[[ "$entry" =~ ^[0-9a-f]{64}$ ]]
	[ "$(stat -c %a "$cache/$entry")" = 600 ]

	run "$HAKO" --root "$HAKO_ROOT" --debug run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"from the cache ($entry)"* ]]
	[[ "$output" == *"syscall=getppid ret=-1 errno=61"* ]]

	# `hako exec` uses it as well.
	args sleep 60
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run "$HAKO" --root "$HAKO_ROOT" --debug exec "$ID" probe syscall getppid
	[[ "$output" == *"from the cache ($entry)"* ]]
	[[ "$output" == *"syscall=getppid ret=-1 errno=61"* ]]
	hako delete --force "$ID"
	args syscall getppid

	# Another profile, another entry.
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 62}]}'
	run hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"errno=62"* ]]
	[ "$(ls "$cache" | wc -l)" -eq 2 ]
	other=$(ls "$cache" | grep -v "$entry")

	# The other profile's program under this one's name: not used.
	cp "$cache/$other" "$cache/$entry"
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 61}]}'
	run "$HAKO" --root "$HAKO_ROOT" --debug run -b "$BUNDLE" "$ID"
	[[ "$output" == *"compiled by libseccomp"* ]]
	[[ "$output" == *"syscall=getppid ret=-1 errno=61"* ]]

	# A damaged entry: compiled again and rewritten.
	head -c 20 /dev/urandom >"$cache/$entry"
	run "$HAKO" --root "$HAKO_ROOT" --debug run -b "$BUNDLE" "$ID"
	[[ "$output" == *"compiled by libseccomp"* ]]
	[[ "$output" == *"syscall=getppid ret=-1 errno=61"* ]]
	run "$HAKO" --root "$HAKO_ROOT" --debug run -b "$BUNDLE" "$ID"
	[[ "$output" == *"from the cache ($entry)"* ]]

	# A cache directory others can write to is not trusted.
	chmod 0777 "$cache"
	run "$HAKO" --root "$HAKO_ROOT" --debug run -b "$BUNDLE" "$ID"
	[[ "$output" == *"compiled by libseccomp"* ]]
	[[ "$output" == *"syscall=getppid ret=-1 errno=61"* ]]
	chmod 0700 "$cache"
	rm -rf "$cache"
}

@test "seccomp: contrib/seccomp/default.json: busybox works, namespace, mount, reboot and kexec calls fail with EPERM" {
	profile="$TESTS_DIR/../contrib/seccomp/default.json"
	jq --slurpfile p "$profile" '.linux.seccomp = $p[0] | .root.readonly = false' "$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/c.json"
	mv "$BATS_TEST_TMPDIR/c.json" "$BUNDLE/config.json"
	cat >"$BUNDLE/rootfs/script" <<-'EOF'
		set -e
		ls -l / >/dev/null
		ps >/dev/null
		busybox wget --help 2>&1 | grep -q Usage
		echo hello >/tmp/f; grep -q hello /tmp/f; sed -i s/hello/bye/ /tmp/f; cat /tmp/f
		mkdir -p /tmp/d/e; touch /tmp/d/e/x; ln -s x /tmp/d/e/y; tar -cf /tmp/t.tar -C /tmp d; rm -r /tmp/d
		tar -xf /tmp/t.tar -C /tmp; gzip /tmp/t.tar; test -L /tmp/d/e/y
		find /bin -name sh | grep -q sh
		seq 1 100 | sort -rn | head -n1 | awk '{ print $1 * 2 }'
		sleep 0.1 & wait
		(echo sub; id -u) | wc -l
		date >/dev/null; uname -a >/dev/null; hostname >/dev/null; env >/dev/null; df / >/dev/null
		echo busybox-ok
	EOF
	update_config '.process.args = ["sh", "-c", "sh /script && probe syscall unshare 0x10000000 -- syscall mount none /mnt tmpfs 0 -- syscall reboot 0 -- syscall 246 0 0 0 0 -- syscall setns 0 0 -- syscall socket 40 1 0 -- syscall socket 2 1 0 -- syscall personality 0xffffffff -- syscall personality 0x0400000 -- status Seccomp && unshare -U true; echo unshare=$?"]'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"bye"* ]]
	[[ "$output" == *"200"* ]]
	[[ "$output" == *"busybox-ok"* ]]
	[ "$(nth_syscall 1)" = "syscall=unshare ret=-1 errno=1" ]
	[ "$(nth_syscall 2)" = "syscall=mount ret=-1 errno=1" ]
	[ "$(nth_syscall 3)" = "syscall=reboot ret=-1 errno=1" ]
	[ "$(nth_syscall 4)" = "syscall=246 ret=-1 errno=1" ]
	[ "$(nth_syscall 5)" = "syscall=setns ret=-1 errno=1" ]
	# AF_VSOCK no, AF_INET yes.
	[ "$(nth_syscall 6)" = "syscall=socket ret=-1 errno=1" ]
	[[ "$(nth_syscall 7)" == *"errno=0" ]]
	# personality: querying yes, READ_IMPLIES_EXEC no.
	[[ "$(nth_syscall 8)" == *"errno=0" ]]
	[ "$(nth_syscall 9)" = "syscall=personality ret=-1 errno=1" ]
	[ "$(field Seccomp)" = 2 ]
	[ "$(field unshare)" != 0 ]
}

@test "seccomp: contrib/seccomp/default.json is what gen-default.py writes" {
	command -v python3 >/dev/null || skip "no python3"
	python3 "$TESTS_DIR/../contrib/seccomp/gen-default.py" | cmp - "$TESTS_DIR/../contrib/seccomp/default.json"
}
