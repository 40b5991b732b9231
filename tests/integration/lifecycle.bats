#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# create / start / run / state / kill / delete / list / ps with real
# containers: flags, outputs as runc prints them, exit codes, and every
# wrong-state error with nothing left behind.

load helpers
load lifecycle-lib

setup() {
	setup_hako
	setup_bundle probe pid -- hostname
}

teardown() {
	teardown_hako
}

@test "run: the process is pid 1 with the config's hostname, and the exit status is passed on" {
	update_config '.hostname = "hako-test"'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(field pid)" = 1 ]
	[ "$(field hostname)" = hako-test ]
	assert_no_leftovers "$ID"

	update_config '.process.args = ["probe","exit","3"]'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 3 ]
	assert_no_leftovers "$ID"
}

@test "run: an init killed by signal N from the host makes run exit with 128+N" {
	set_args probe sleep 100
	"$HAKO" --root "$HAKO_ROOT" run -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null &
	local bg=$!
	wait_file "$BATS_TEST_TMPDIR/pid"
	wait_status "$ID" running
	kill -9 "$(cat "$BATS_TEST_TMPDIR/pid")"
	local rc=0
	wait "$bg" || rc=$?
	[ "$rc" -eq 137 ]
	assert_no_leftovers "$ID"
}

@test "run: SIGTERM and SIGUSR1 sent to hako reach the container" {
	bind_out
	set_args sh -c 'trap "echo usr1 >>/out/log" USR1; trap "echo term >>/out/log; exit 42" TERM; echo ready >/out/ready; while :; do sleep 0.05; done'
	"$HAKO" --root "$HAKO_ROOT" run -b "$BUNDLE" "$ID" </dev/null >/dev/null &
	local bg=$!
	wait_file "$OUT/ready"
	kill -USR1 "$bg"
	wait_file "$OUT/log" usr1
	kill -TERM "$bg"
	local rc=0
	wait "$bg" || rc=$?
	[ "$rc" -eq 42 ]
	[ "$(cat "$OUT/log")" = "$(printf 'usr1\nterm')" ]
	assert_no_leftovers "$ID"
}

@test "run: the container's stdio is hako's (stdin read, stdout and stderr apart)" {
	set_args sh -c 'read line; echo "out:$line"; echo "err:$line" >&2; exit 7'
	local rc=0
	echo hello | hako run -b "$BUNDLE" "$ID" >"$BATS_TEST_TMPDIR/o" 2>"$BATS_TEST_TMPDIR/e" || rc=$?
	[ "$rc" -eq 7 ]
	[ "$(cat "$BATS_TEST_TMPDIR/o")" = out:hello ]
	[ "$(cat "$BATS_TEST_TMPDIR/e")" = err:hello ]
	assert_no_leftovers "$ID"
}

@test "run --detach: returns at once, the container runs with the caller's stdio; --keep keeps a stopped one" {
	set_args sh -c 'echo started; sleep 0.3; echo finished'
	hako run -d -b "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/o" 2>&1
	[ "$(status_of "$ID")" = running ]
	wait_status "$ID" stopped
	[ "$(cat "$BATS_TEST_TMPDIR/o")" = "$(printf 'started\nfinished')" ]
	# a detached container is not deleted by anyone: it stays, stopped
	[ "$(hako state "$ID" | jq .pid)" = 0 ]
	hako delete "$ID"
	assert_no_leftovers "$ID"

	set_args probe exit 5
	run hako run --keep -b "$BUNDLE" "$ID"
	[ "$status" -eq 5 ]
	[ "$(status_of "$ID")" = stopped ]
	hako delete "$ID"
	assert_no_leftovers "$ID"
}

parent_is_not_sh() {
	local ppid
	ppid="$(awk '/^PPid:/ {print $2}' "/proc/$1/status")"
	[ "$(cat "/proc/$ppid/comm")" != sh ]
}

@test "run: hako is the subreaper of the container's orphans (no pid namespace); not with --no-subreaper" {
	bind_out
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c '(probe sleep 100 & echo $! >/out/orphan); sleep 100'
	local mode bg
	for mode in subreaper no-subreaper; do
		rm -f "$OUT/orphan"
		if [ "$mode" = subreaper ]; then
			"$HAKO" --root "$HAKO_ROOT" run -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 &
		else
			"$HAKO" --root "$HAKO_ROOT" run --no-subreaper -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 &
		fi
		bg=$!
		wait_file "$OUT/orphan"
		local orphan ppid
		orphan="$(cat "$OUT/orphan")"
		# once the subshell that started it is gone
		wait_for parent_is_not_sh "$orphan"
		ppid="$(awk '/^PPid:/ {print $2}' "/proc/$orphan/status")"
		if [ "$mode" = subreaper ]; then
			[ "$ppid" = "$bg" ] || fail "orphan's parent is $ppid, not hako ($bg)"
		else
			[ "$ppid" != "$bg" ] || fail "orphan adopted by hako with --no-subreaper"
		fi
		hako kill "$ID" KILL
		wait "$bg" || true
		assert_no_leftovers "$ID"
	done
}

@test "run: a terminal without --detach needs no console socket; with --detach it does" {
	update_config '.process.terminal = true'
	run hako run -d -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--console-socket"* ]]
	assert_no_leftovers "$ID"
}

@test "create: init waits for start, the pid file is written (no newline) before create returns" {
	bind_out
	set_args probe write /out/started yes -- sleep 100
	hako create -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null >/dev/null 2>&1
	# the pid file: the init's host pid, no trailing newline, no temp file left
	[ "$(od -An -c "$BATS_TEST_TMPDIR/pid" | tr -d ' ' | tail -c 2)" != '\n' ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/pid")" -eq 0 ]
	[ "$(ls -A "$BATS_TEST_TMPDIR" | grep -c pid)" -eq 1 ]
	local pid
	pid="$(cat "$BATS_TEST_TMPDIR/pid")"
	[ -d "/proc/$pid" ]
	[ "$(hako state "$ID" | jq .pid)" = "$pid" ]
	# created: process.args has not run
	sleep 0.2
	[ ! -e "$OUT/started" ]
	[ "$(status_of "$ID")" = created ]
	hako start "$ID"
	wait_file "$OUT/started"
	[ "$(status_of "$ID")" = running ]
	[ "$(hako state "$ID" | jq .pid)" = "$pid" ]
	hako kill "$ID" KILL
	wait_status "$ID" stopped
	hako delete "$ID"
	assert_no_leftovers "$ID"
}

@test "create: a pid file that cannot be written fails create, and the container is undone" {
	set_args probe sleep 100
	run hako create -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/no/such/dir/pid" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"pid file"*"no/such/dir/pid"* ]]
	assert_no_leftovers "$ID"
	wait_for no_process_in "$BUNDLE/rootfs"
}

@test "create: a relative --pid-file is relative to the caller's directory, not the bundle" {
	set_args probe sleep 100
	mkdir "$BATS_TEST_TMPDIR/cwd"
	(cd "$BATS_TEST_TMPDIR/cwd" && "$HAKO" --root "$HAKO_ROOT" create -b "$BUNDLE" --pid-file sub.pid "$ID" </dev/null >/dev/null 2>&1)
	[ -s "$BATS_TEST_TMPDIR/cwd/sub.pid" ]
	[ ! -e "$BUNDLE/sub.pid" ]
	[ "$(cat "$BATS_TEST_TMPDIR/cwd/sub.pid")" = "$(hako state "$ID" | jq .pid)" ]
	hako delete "$ID"
	assert_no_leftovers "$ID"
}

@test "create: the bundle defaults to the current directory; --bundle=DIR and -b DIR work" {
	set_args probe sleep 100
	(cd "$BUNDLE" && "$HAKO" --root "$HAKO_ROOT" create "$ID" </dev/null >/dev/null 2>&1)
	[ "$(hako state "$ID" | jq -r .bundle)" = "$BUNDLE" ]
	hako delete "$ID"
	hako create --bundle="$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	[ "$(hako state "$ID" | jq -r .rootfs)" = "$BUNDLE/rootfs" ]
	hako delete "$ID"
	assert_no_leftovers "$ID"
}

@test "state: runc's fields and format; created, running and stopped (with pid 0) without anyone waiting" {
	set_args probe sleep 0.5
	update_config '.annotations = {"org.example.a":"1","b":"two"}'
	hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run hako state "$ID"
	[ "$status" -eq 0 ]
	# indented by two spaces, no trailing newline, keys in runc's order
	[ "${output:0:5}" = $'{\n  "' ]
	[ "$(hako state "$ID" | tail -c 1)" = "}" ]
	[ "$(echo "$output" | jq -c 'keys_unsorted')" = '["ociVersion","id","pid","status","bundle","rootfs","created","owner","annotations"]' ]
	[ "$(echo "$output" | jq -r .ociVersion)" = 1.3.0 ]
	[ "$(echo "$output" | jq -r .id)" = "$ID" ]
	[ "$(echo "$output" | jq -r .status)" = created ]
	[ "$(echo "$output" | jq -r .owner)" = "" ]
	[ "$(echo "$output" | jq -c .annotations)" = '{"org.example.a":"1","b":"two"}' ]
	# created is RFC 3339 (UTC), close to now
	local created
	created="$(echo "$output" | jq -r .created)"
	[[ "$created" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$ ]]
	[ $(($(date +%s) - $(date -d "$created" +%s))) -lt 30 ]
	hako start "$ID"
	[ "$(status_of "$ID")" = running ]
	# the process exits on its own, and nobody waits for it
	wait_status "$ID" stopped
	[ "$(hako state "$ID" | jq .pid)" = 0 ]
	hako delete "$ID"
	assert_no_leftovers "$ID"

	# no annotations: the key is left out
	update_config 'del(.annotations) | .process.args = ["probe","sleep","100"]'
	hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	[ "$(hako state "$ID" | jq 'has("annotations")')" = false ]
	hako delete "$ID"
	assert_no_leftovers "$ID"
}

@test "state: creating while create runs (seen from a createRuntime hook), then created" {
	local hook="$BATS_TEST_TMPDIR/hook.sh"
	cat >"$hook" <<-EOF
		#!/bin/sh
		"$HAKO" --root "$HAKO_ROOT" state "$ID" >"$BATS_TEST_TMPDIR/during" 2>&1
	EOF
	chmod +x "$hook"
	set_args probe sleep 100
	update_config '.hooks.createRuntime = [{"path":"'"$hook"'"}]'
	hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	[ "$(jq -r .status "$BATS_TEST_TMPDIR/during")" = creating ]
	[ "$(status_of "$ID")" = created ]
	hako delete "$ID"
	assert_no_leftovers "$ID"
}

@test "kill: names with and without SIG, any case, numbers, RT signals; TERM by default" {
	bind_out
	set_args sh -c 'for s in USR1 USR2 HUP INT WINCH; do trap "echo $s >>/out/log" $s; done; trap "echo TERM >>/out/log; exit 0" TERM; echo ready >/out/ready; while :; do sleep 0.05; done'
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	wait_file "$OUT/ready"
	local n=0 sig
	for sig in USR1 SIGUSR2 sighup int 28; do
		n=$((n + 1))
		hako kill "$ID" "$sig"
		wait_for bash -c "[ \$(wc -l <'$OUT/log') -ge $n ]"
	done
	[ "$(cat "$OUT/log")" = "$(printf 'USR1\nUSR2\nHUP\nINT\nWINCH')" ]
	hako kill "$ID"
	wait_status "$ID" stopped
	[ "$(tail -n1 "$OUT/log")" = TERM ]
	hako delete "$ID"
	assert_no_leftovers "$ID"
}

@test "kill: a bad signal is an error and changes nothing; 0 checks the init; a stopped container says container not running" {
	set_args probe sleep 100
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	local sig
	for sig in BOGUS SIGFOO 99999 65 KILLx RTMIN+99 ""; do
		run hako kill "$ID" "$sig"
		[ "$status" -eq 1 ]
		[[ "$output" == *"unknown signal"* ]]
	done
	run hako kill "$ID" -9
	[ "$status" -eq 1 ]
	[ "$(status_of "$ID")" = running ]
	# 0, as for kill(1): nothing sent, the answer says whether it runs.
	hako kill "$ID" 0
	[ "$(status_of "$ID")" = running ]
	hako kill "$ID" 9
	wait_status "$ID" stopped
	run hako kill "$ID" KILL
	[ "$status" -eq 1 ]
	[[ "$output" == *"container not running"* ]]
	run hako kill "$ID" 0
	[ "$status" -eq 1 ]
	[[ "$output" == *"container not running"* ]]
	run hako kill nosuch-"$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* ]]
	hako delete "$ID"
	assert_no_leftovers "$ID"
}

@test "kill --all: every process of the container gets the signal (no pid namespace)" {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c 'sleep 1000 & sleep 1001 & wait'
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	wait_for bash -c "[ \$('$HAKO' --root '$HAKO_ROOT' ps --format json '$ID' | jq length) -eq 3 ]"
	local pids
	pids="$(hako ps --format json "$ID" | jq -r '.[]')"
	hako kill --all "$ID" KILL
	local p
	for p in $pids; do
		wait_for bash -c "! kill -0 $p 2>/dev/null || grep -q '^State:.*Z' /proc/$p/status"
	done
	wait_status "$ID" stopped
	hako delete "$ID"
	assert_no_leftovers "$ID"
}

@test "delete: refuses a running container, kills a created one, --force kills a running one" {
	set_args probe sleep 100
	hako run -d -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null >/dev/null 2>&1
	run hako delete "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not stopped: running"* ]]
	[ "$(status_of "$ID")" = running ]
	hako delete --force "$ID"
	gone "$(cat "$BATS_TEST_TMPDIR/pid")"
	assert_no_leftovers "$ID"

	hako create -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null >/dev/null 2>&1
	hako delete "$ID"
	gone "$(cat "$BATS_TEST_TMPDIR/pid")"
	assert_no_leftovers "$ID"

	# an id that does not exist: an error, except with --force (containerd)
	run hako delete "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* ]]
	run hako delete -f "$ID"
	[ "$status" -eq 0 ]
}

@test "start: only a created container starts; unknown ids are errors; a missing process fails create" {
	set_args probe sleep 100
	run hako start "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* ]]
	hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	hako start "$ID"
	run hako start "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"running"* ]]
	hako kill "$ID" KILL
	wait_status "$ID" stopped
	run hako start "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"stopped"* ]]
	hako delete "$ID"

	# no process: refused at create, as runc does (start could not run it)
	update_config 'del(.process)'
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"process"* ]]
	assert_no_leftovers "$ID"
}

@test "ids: a duplicate id and invalid ids are refused; nothing is created" {
	set_args probe sleep 100
	hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"already exists"* ]]
	[ "$(status_of "$ID")" = created ]
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"already exists"* ]]
	hako delete "$ID"
	local bad
	for bad in ../x a/b .hidden "a b" "" 'x$y' "$(printf 'a%.0s' $(seq 300))"; do
		run hako create -b "$BUNDLE" "$bad"
		[ "$status" -eq 1 ]
		[[ "$output" == *"container id"* ]]
	done
	assert_root_empty
}

@test "wrong states: every command in created, running, paused and stopped" {
	set_args probe sleep 100
	hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run hako resume "$ID"
	[ "$status" -eq 1 ]
	hako start "$ID"
	run hako resume "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"running"* ]]
	hako pause "$ID"
	[ "$(status_of "$ID")" = paused ]
	run hako start "$ID"
	[ "$status" -eq 1 ]
	run hako delete "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"paused"* ]]
	run hako exec "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"paused"* ]]
	hako resume "$ID"
	[ "$(status_of "$ID")" = running ]
	hako kill "$ID" KILL
	wait_status "$ID" stopped
	local cmd
	for cmd in start pause resume kill; do
		run hako "$cmd" "$ID"
		[ "$status" -eq 1 ]
		[[ "$output" == *"stopped"* || "$output" == *"not running"* ]]
	done
	run hako exec "$ID" true
	[ "$status" -eq 255 ]
	run hako ps "$ID"
	[ "$status" -eq 1 ]
	hako delete "$ID"
	assert_no_leftovers "$ID"
}

@test "kill: SIGKILL to a paused container thaws it, so that it dies (as runc does)" {
	set_args probe sleep 100
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	hako pause "$ID"
	[ "$(status_of "$ID")" = paused ]
	# another signal stays pending while frozen
	hako kill "$ID" USR1
	[ "$(status_of "$ID")" = paused ]
	hako kill "$ID" KILL
	wait_status "$ID" stopped
	hako delete "$ID"
	assert_no_leftovers "$ID"
}

@test "list: table, json (runc's fields, owner filled) and -q; json null when empty" {
	run hako list --format json
	[ "$status" -eq 0 ]
	[ "$output" = null ]
	# also for a root that does not exist (nothing is created for it)
	run "$HAKO" --root "$BATS_TEST_TMPDIR/no-root" list --format json
	[ "$output" = null ]
	[ ! -e "$BATS_TEST_TMPDIR/no-root" ]
	run hako list
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | head -n1 | tr -s ' ')" = "ID PID STATUS BUNDLE CREATED OWNER" ]
	[ "$(echo "$output" | wc -l)" -eq 1 ]
	set_args probe sleep 100
	update_config '.annotations = {"k":"v"} | .ociVersion = "1.2.0"'
	hako create -b "$BUNDLE" "$ID-a" </dev/null >/dev/null 2>&1
	hako run -d -b "$BUNDLE" "$ID-b" </dev/null >/dev/null 2>&1
	run hako list
	[ "$status" -eq 0 ]
	[[ "$(echo "$output" | grep "^$ID-a ")" =~ ^"$ID-a"\ +[0-9]+\ +created\ +"$BUNDLE"\ +[0-9T:.-]+Z\ +root$ ]]
	[[ "$(echo "$output" | grep "^$ID-b ")" == *" running "* ]]
	run hako list -f json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq length)" -eq 2 ]
	local a
	a="$(echo "$output" | jq -c ".[] | select(.id == \"$ID-a\")")"
	[ "$(echo "$a" | jq -c 'keys_unsorted')" = '["ociVersion","id","pid","status","bundle","rootfs","created","owner","annotations"]' ]
	[ "$(echo "$a" | jq -r .owner)" = root ]
	[ "$(echo "$a" | jq -r .status)" = created ]
	[ "$(echo "$a" | jq .pid)" = "$(hako state "$ID-a" | jq .pid)" ]
	[ "$(echo "$a" | jq -c .annotations)" = '{"k":"v"}' ]
	# the config's ociVersion, as state shows it
	[ "$(echo "$a" | jq -r .ociVersion)" = 1.2.0 ]
	[ "$(hako state "$ID-a" | jq -r .ociVersion)" = 1.2.0 ]
	run hako list -q
	[ "$(echo "$output" | sort | tr '\n' ' ')" = "$ID-a $ID-b " ]
	# -q wins over --format json, as in runc
	run hako list -q --format=json
	[ "$(echo "$output" | sort | tr '\n' ' ')" = "$ID-a $ID-b " ]
	run hako list --format yaml
	[ "$status" -eq 1 ]
	hako kill "$ID-b" KILL
	wait_status "$ID-b" stopped
	[ "$(hako list -f json | jq -r ".[] | select(.id == \"$ID-b\") | \"\(.status) \(.pid)\"")" = "stopped 0" ]
	hako delete "$ID-a"
	hako delete "$ID-b"
	assert_root_empty
}

@test "ps: json is an array of host pids; the table is ps(1) filtered, with ps arguments" {
	set_args sh -c 'sleep 1000 & exec sleep 1001'
	hako run -d -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null >/dev/null 2>&1
	local init
	init="$(cat "$BATS_TEST_TMPDIR/pid")"
	wait_for bash -c "[ \$('$HAKO' --root '$HAKO_ROOT' ps --format json '$ID' | jq length) -eq 2 ]"
	run hako ps --format json "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^\[[0-9]+,[0-9]+\]$ ]]
	echo "$output" | jq -e "index($init) != null"
	local p
	for p in $(echo "$output" | jq '.[]'); do
		# host pids, in the host's view
		[ -d "/proc/$p" ]
		grep -q sleep "/proc/$p/cmdline"
	done
	run hako ps "$ID"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID*CMD* ]]
	[ "${#lines[@]}" -eq 3 ]
	[[ "$output" == *"sleep 1000"* && "$output" == *"sleep 1001"* ]]
	run hako ps "$ID" -- -o pid,comm
	[ "$status" -eq 0 ]
	[ "$(echo "${lines[0]}" | tr -s ' ' | sed 's/^ //')" = "PID COMMAND" ]
	[ "${#lines[@]}" -eq 3 ]
	run hako ps -f json nosuch
	[ "$status" -eq 1 ]
	hako delete -f "$ID"
	assert_no_leftovers "$ID"
}

@test "--no-pivot: the root is moved onto / and chrooted into; the old root stays, hidden, in the namespace" {
	set_args probe sleep 100
	local pid seen
	hako create -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null >/dev/null 2>&1
	pid="$(cat "$BATS_TEST_TMPDIR/pid")"
	# pivot_root: the old root is detached, the namespace holds what the process sees
	seen="$(wc -l <"/proc/$pid/mountinfo")"
	[ "$(ns_mount_count "$pid")" -eq "$seen" ]
	hako delete "$ID"
	hako create --no-pivot -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null >/dev/null 2>&1
	pid="$(cat "$BATS_TEST_TMPDIR/pid")"
	seen="$(wc -l <"/proc/$pid/mountinfo")"
	[ "$(ns_mount_count "$pid")" -gt "$seen" ]
	hako start "$ID"
	[ "$(status_of "$ID")" = running ]
	hako delete -f "$ID"
	assert_no_leftovers "$ID"
}

@test "session keyring: a new _ses.ID one by default; the caller's with --no-new-keyring" {
	set_args probe keyring
	local mine
	mine="$("$PROBE" keyring)"
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "keyring=_ses.$ID" ]
	run hako run --no-new-keyring -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "$mine" ]
	hako create --no-new-keyring -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	[ "$(status_of "$ID")" = created ]
	hako delete "$ID"
	assert_no_leftovers "$ID"
}

@test "command lines: usage errors exit 1 with a message; --help works for every lifecycle command" {
	local cmd
	for cmd in create start run state kill delete list ps exec; do
		run hako "$cmd" --help
		[ "$status" -eq 0 ]
		[[ "$output" == Usage:* ]]
	done
	for cmd in create start run state kill delete; do
		run hako "$cmd"
		[ "$status" -eq 1 ]
		[[ "$output" == *"container id is required"* ]]
	done
	run hako create --bogus "$ID"
	[ "$status" -eq 1 ]
	run hako create --preserve-fds x "$ID"
	[ "$status" -eq 1 ]
	assert_root_empty
}
