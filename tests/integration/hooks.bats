#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# hooks: each kind at its point of the lifecycle and in the namespaces the
# spec gives it, with the state on stdin (runc's status values), args,
# env, timeout and order; a failure at every stage, and what is left.

load helpers
load lifecycle-lib

setup() {
	setup_hako
	setup_bundle probe sleep 100
	bind_out
	# The recorder: one line per call in $LOG (name, namespaces, args) and
	# the state it read on stdin in $LOG.NAME.  It runs on the host and, as
	# startContainer, inside the container (from /hook.sh, logging to /out).
	HOOK="$BATS_TEST_TMPDIR/hook.sh"
	cat >"$HOOK" <<-'EOF'
		#!/bin/sh
		log="$1"; name="$2"; shift 2
		cat >"$log.$name"
		echo "$name mnt=$(readlink /proc/self/ns/mnt) pid=$(readlink /proc/self/ns/pid) net=$(readlink /proc/self/ns/net) args=$* env=${HOOK_ENV:-unset}" >>"$log"
		[ -z "$FAIL" ] || exit "$FAIL"
	EOF
	chmod 755 "$HOOK"
	cp "$HOOK" "$BUNDLE/rootfs/hook.sh"
	LOG="$OUT/log"
}

teardown() {
	teardown_hako
}

# hook_json NAME [ARGS...]: a hook entry calling the recorder on the host.
hook_json() {
	local name="$1"
	shift
	jq -cn --arg p "$HOOK" --arg log "$LOG" --arg n "$name" '{path: $p, args: ([$p, $log, $n] + $ARGS.positional)}' --args "$@"
}

# log_of NAME: the recorded line of NAME.
log_of() {
	grep "^$1 " "$LOG"
}

@test "hooks: every kind runs once, in lifecycle order, with the state on stdin (runc's status values)" {
	local k
	for k in prestart createRuntime createContainer poststart poststop; do
		update_config ".hooks.$k = [$(hook_json "$k")]"
	done
	update_config '.hooks.startContainer = [{"path":"/hook.sh","args":["hook.sh","/out/log","startContainer"]}]'
	update_config '.annotations = {"hook.test":"yes"}'
	hako create -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null >/dev/null 2>&1
	local pid
	pid="$(cat "$BATS_TEST_TMPDIR/pid")"
	[ "$(cut -d' ' -f1 "$LOG" | tr '\n' ' ')" = "prestart createRuntime createContainer " ]
	hako start "$ID"
	[ "$(cut -d' ' -f1 "$LOG" | tr '\n' ' ')" = "prestart createRuntime createContainer startContainer poststart " ]
	hako kill "$ID" KILL
	wait_status "$ID" stopped
	hako delete "$ID"
	[ "$(cut -d' ' -f1 "$LOG" | tr '\n' ' ')" = "prestart createRuntime createContainer startContainer poststart poststop " ]
	assert_no_leftovers "$ID"

	# the state each one read: runc's status values, the container's id,
	# bundle, annotations and init pid (0 once stopped)
	local want
	for k in prestart:creating createRuntime:creating createContainer:creating startContainer:created poststart:running poststop:stopped; do
		local f="$LOG.${k%%:*}"
		[ "$(jq -r .status "$f")" = "${k#*:}" ] || fail "$k: $(cat "$f")"
		[ "$(jq -r .id "$f")" = "$ID" ]
		[ "$(jq -r .bundle "$f")" = "$BUNDLE" ]
		[ "$(jq -r .ociVersion "$f")" = 1.3.0 ]
		[ "$(jq -r '.annotations["hook.test"]' "$f")" = yes ]
		want="$pid"
		[ "${k%%:*}" != poststop ] || want=0
		[ "$(jq -r .pid "$f")" = "$want" ] || fail "$k: pid $(jq -r .pid "$f"), expected $want"
	done
}

@test "hooks: the runtime's namespaces for prestart, createRuntime, poststart, poststop; the container's for createContainer and startContainer" {
	local k
	for k in prestart createRuntime createContainer poststart poststop; do
		update_config ".hooks.$k = [$(hook_json "$k")]"
	done
	update_config '.hooks.startContainer = [{"path":"/hook.sh","args":["hook.sh","/out/log","startContainer"]}]'
	hako create -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null >/dev/null 2>&1
	hako start "$ID"
	local pid host ctr
	pid="$(cat "$BATS_TEST_TMPDIR/pid")"
	host="mnt=$(readlink /proc/self/ns/mnt) pid=$(readlink /proc/self/ns/pid) net=$(readlink /proc/self/ns/net)"
	ctr="mnt=$(ns_of "$pid" mnt) pid=$(ns_of "$pid" pid) net=$(ns_of "$pid" net)"
	[ "$host" != "$ctr" ]
	hako delete -f "$ID"
	for k in prestart createRuntime poststart poststop; do
		[[ "$(log_of "$k")" == "$k $host "* ]] || fail "$k: $(log_of "$k"), host: $host"
	done
	for k in createContainer startContainer; do
		[[ "$(log_of "$k")" == "$k $ctr "* ]] || fail "$k: $(log_of "$k"), container: $ctr"
	done
	assert_no_leftovers "$ID"
}

@test "hooks: args, env (given: exactly it; not given: hako's environment), and order within a kind" {
	update_config ".hooks.prestart = [$(hook_json one a 'b c'), $(hook_json two), $(hook_json three)]"
	update_config '.hooks.prestart[1].env = ["HOOK_ENV=given"]'
	HOOK_ENV=inherited hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	[ "$(cut -d' ' -f1 "$LOG" | tr '\n' ' ')" = "one two three " ]
	[[ "$(log_of one)" == *" args=a b c env=inherited" ]]
	[[ "$(log_of two)" == *" args= env=given" ]]
	[[ "$(log_of three)" == *" args= env=inherited" ]]
	hako delete -f "$ID"
	assert_no_leftovers "$ID"
}

@test "hooks: a failing prestart, createRuntime or createContainer hook fails create; nothing is left" {
	local k
	for k in prestart createRuntime createContainer; do
		rm -f "$LOG"
		update_config "del(.hooks) | .hooks.$k = [$(hook_json "$k")] | .hooks.$k[0].env = [\"FAIL=3\"]"
		run hako create -b "$BUNDLE" "$ID"
		[ "$status" -eq 1 ]
		[[ "$output" == *"$k hook 0"*"exit status 3"* ]] || fail "$k: $output"
		[ "$(wc -l <"$LOG")" -eq 1 ]
		assert_no_leftovers "$ID"
		# and for run
		run hako run -b "$BUNDLE" "$ID"
		[ "$status" -eq 1 ]
		[[ "$output" == *"$k hook 0"* ]]
		assert_no_leftovers "$ID"
	done
	# a later hook of the kind does not run after a failure
	rm -f "$LOG"
	update_config "del(.hooks) | .hooks.createRuntime = [$(hook_json first), $(hook_json second)] | .hooks.createRuntime[0].env = [\"FAIL=1\"]"
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[ "$(cut -d' ' -f1 "$LOG")" = first ]
	assert_no_leftovers "$ID"
}

@test "hooks: a failing startContainer hook fails start and stops the container; the process never runs" {
	set_args probe write /out/ran yes
	update_config '.hooks.startContainer = [{"path":"/hook.sh","args":["hook.sh","/out/log","startContainer"],"env":["FAIL=4"]}]'
	hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run hako start "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"startContainer hook 0"*"exit status 4"* ]]
	wait_status "$ID" stopped
	[ ! -e "$OUT/ran" ]
	hako delete "$ID"
	assert_no_leftovers "$ID"
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[ ! -e "$OUT/ran" ]
	assert_no_leftovers "$ID"
}

@test "hooks: a failing poststart hook fails start and stops the container (runtime-spec 1.3)" {
	update_config ".hooks.poststart = [$(hook_json poststart)] | .hooks.poststart[0].env = [\"FAIL=5\"]"
	hako create -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null >/dev/null 2>&1
	run hako start "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"poststart hook 0"*"exit status 5"* ]]
	wait_status "$ID" stopped
	gone "$(cat "$BATS_TEST_TMPDIR/pid")"
	hako delete "$ID"
	assert_no_leftovers "$ID"
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"poststart hook 0"* ]]
	assert_no_leftovers "$ID"
}

@test "hooks: a failing poststop hook is only a warning; delete succeeds and the rest still run" {
	update_config ".hooks.poststop = [$(hook_json bad), $(hook_json good)] | .hooks.poststop[0].env = [\"FAIL=6\"]"
	hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run hako delete "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning"*"poststop hook 0"* ]]
	assert_no_leftovers "$ID"
	[ "$(cut -d' ' -f1 "$LOG" | tr '\n' ' ')" = "bad good " ]
}

@test "hooks: timeout kills a hanging hook (and what it started) and fails create; nothing is left" {
	local slow="$BATS_TEST_TMPDIR/slow.sh"
	printf '#!/bin/sh\nsleep 30 &\necho $! >%s/child\nwait\n' "$OUT" >"$slow"
	chmod 755 "$slow"
	update_config '.hooks.createRuntime = [{"path":"'"$slow"'","timeout":1}]'
	local t0=$SECONDS
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"createRuntime hook 0"*"timed out after 1 s"* ]]
	[ $((SECONDS - t0)) -lt 10 ]
	wait_for gone "$(cat "$OUT/child")"
	assert_no_leftovers "$ID"
	# a hook within its timeout is fine
	update_config '.hooks.createRuntime = [{"path":"/bin/true","timeout":5}]'
	hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	hako delete "$ID"
	assert_no_leftovers "$ID"
}

@test "hooks: a hook that cannot be executed, a relative path and a bad timeout are errors" {
	update_config '.hooks.prestart = [{"path":"/nonexistent/hook"}]'
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"prestart hook 0"* ]]
	assert_no_leftovers "$ID"
	update_config '.hooks.prestart = [{"path":"relative/hook"}]'
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"hooks.prestart[0].path"* ]]
	assert_no_leftovers "$ID"
	update_config '.hooks.prestart = [{"path":"/bin/true","timeout":0}]'
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"hooks.prestart[0].timeout"* ]]
	assert_no_leftovers "$ID"
}

@test "hooks: poststop runs when run deletes the container, and on delete --force of a running one" {
	update_config ".hooks.poststop = [$(hook_json poststop)]"
	set_args probe exit 0
	hako run -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	[ "$(jq -r .status "$LOG.poststop")" = stopped ]
	assert_no_leftovers "$ID"
	rm -f "$LOG"
	set_args probe sleep 100
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	[ ! -e "$LOG" ]
	hako delete --force "$ID"
	[ "$(cut -d' ' -f1 "$LOG")" = poststop ]
	assert_no_leftovers "$ID"
}
