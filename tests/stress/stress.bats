#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Stress and faults: many cycles, concurrency on one id and on many, hako
# killed at every step, broken environments.  Afterwards nothing may be
# left: mounts, cgroups, namespaces, veths, state, zombies, descriptors.
#
# Sizes come from the environment; tests/run.sh uses the short defaults,
# `make stress` the full ones (STRESS_FULL=1): 10,000 runs and 2,000
# create/start/kill/delete cycles.

load ../integration/helpers

if [ -n "${STRESS_FULL:-}" ]; then
	: "${RUNS:=10000}" "${CYCLES:=2000}" "${HAMMER_SECONDS:=60}" "${PARALLEL:=50}"
else
	: "${RUNS:=300}" "${CYCLES:=100}" "${HAMMER_SECONDS:=8}" "${PARALLEL:=50}"
fi

setup_file() {
	export BASELINE="$BATS_FILE_TMPDIR/baseline"
}

setup() {
	setup_hako
	setup_bundle probe pid
}

teardown() {
	teardown_hako
}

# This test's processes: every call names its --root, and a container
# init keeps the command line of the create that cloned it until it
# execs.  (Other hako users on the machine, a benchmark, are not ours.)
own_pids() {
	pgrep -f -- "--root $HAKO_ROOT( |\$)" || true
}

# What the host looks like, for before/after comparisons.
snapshot() {
	local p
	{
		echo "mounts $(wc -l </proc/self/mountinfo)"
		echo "cgroups $(find /sys/fs/cgroup/*/hako /sys/fs/cgroup/unified/hako -mindepth 1 -maxdepth 1 -type d 2>/dev/null | grep -c "t$$-" || true)"
		echo "netns $(for p in $(own_pids); do readlink "/proc/$p/ns/net"; done 2>/dev/null | sort -u | wc -l)"
		echo "links $(ls /sys/class/net | wc -l)"
		# Zombies hako should have reaped: children of this test's
		# processes (orphans go to pid 1, which reaps at its own pace).
		echo "zombies $(own_pids | sed 's/.*/^ *& Z/' >"$BATS_TEST_TMPDIR/own" && ps -eo ppid=,stat= | grep -c -f "$BATS_TEST_TMPDIR/own" || true)"
		echo "hako $(own_pids | wc -l)"
		echo "state $(ls "$HAKO_ROOT" 2>/dev/null | wc -l)"
	}
}

# assert_clean BEFORE: nothing leaked compared with BEFORE (a snapshot).
assert_clean() {
	local before="$1" after
	# Namespaces and cgroups go away asynchronously after the last process.
	for _ in $(seq 50); do
		after="$(snapshot)"
		[ "$after" = "$before" ] && return 0
		sleep 0.1
	done
	echo "before:" >&2
	echo "$before" >&2
	echo "after:" >&2
	echo "$after" >&2
	return 1
}

mem_available_kb() {
	sed -n 's/^MemAvailable: *\([0-9]*\) kB/\1/p' /proc/meminfo
}

@test "cycles: $RUNS runs of a container, nothing left behind" {
	update_config '.process.args = ["/bin/true"]'
	local before mem_before mem_after i
	before="$(snapshot)"
	mem_before="$(mem_available_kb)"
	for i in $(seq "$RUNS"); do
		hako run -b "$BUNDLE" "$ID" >/dev/null 2>&1 || { echo "run $i failed" >&2; hako run -b "$BUNDLE" "$ID"; return 1; }
	done
	assert_clean "$before"
	mem_after="$(mem_available_kb)"
	# Page cache and slab move a little; a leak per container would not.
	[ $((mem_before - mem_after)) -lt $((64 * 1024)) ] || { echo "memory: $mem_before -> $mem_after kB" >&2; return 1; }
}

@test "cycles: $CYCLES create/start/kill/delete of a detached container" {
	update_config '.process.args = ["probe","sleep","1000"]'
	local before i
	before="$(snapshot)"
	for i in $(seq "$CYCLES"); do
		hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 || { echo "create $i failed" >&2; return 1; }
		hako start "$ID" || return 1
		hako kill "$ID" KILL || return 1
		hako delete --force "$ID" || return 1
	done
	assert_clean "$before"
}

@test "concurrency: 20 processes hammering one id; every call ends cleanly" {
	update_config '.process.args = ["probe","sleep","1000"]'
	local before end i
	before="$(snapshot)"
	end=$((SECONDS + HAMMER_SECONDS))
	for i in $(seq 20); do
		(
			# Messages go to a file, not a pipe: a created container keeps
			# the caller's stdio (as with runc), so a pipe would stay open.
			err="$BATS_TEST_TMPDIR/err.$i"
			n=0
			while [ $SECONDS -lt $end ]; do
				rc=0
				n=$((n + 1))
				case $((RANDOM % 5)) in
				0) "$HAKO" --root "$HAKO_ROOT" create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$err" || rc=$? ;;
				1) "$HAKO" --root "$HAKO_ROOT" start "$ID" </dev/null >/dev/null 2>"$err" || rc=$? ;;
				2) "$HAKO" --root "$HAKO_ROOT" state "$ID" >/dev/null 2>"$err" || rc=$? ;;
				3) "$HAKO" --root "$HAKO_ROOT" kill "$ID" KILL 2>"$err" || rc=$? ;;
				4) "$HAKO" --root "$HAKO_ROOT" delete --force "$ID" 2>"$err" || rc=$? ;;
				esac
				out="$(cat "$err")"
				# A failure must say why, in one line, and never crash.
				if [ $rc -gt 1 ] || { [ $rc -eq 1 ] && [ -z "$out" ]; }; then
					echo "bad exit $rc: $out" >>"$BATS_TEST_TMPDIR/bad"
				fi
			done
			echo "$n" >>"$BATS_TEST_TMPDIR/calls"
		) &
	done
	wait
	# Every hammer ran to the end (a failed call does not stop one).
	[ "$(wc -l <"$BATS_TEST_TMPDIR/calls")" -eq 20 ]
	echo "# $(awk '{ s += $1 } END { print s }' "$BATS_TEST_TMPDIR/calls") calls in $HAMMER_SECONDS s" >&3
	[ ! -s "$BATS_TEST_TMPDIR/bad" ] || { cat "$BATS_TEST_TMPDIR/bad" >&2; return 1; }
	# The final state is consistent: state agrees with reality, and
	# delete --force always ends it.
	if hako state "$ID" >/dev/null 2>&1; then
		local pid status
		status="$(hako state "$ID" | jq -r .status)"
		pid="$(hako state "$ID" | jq -r .pid)"
		case "$status" in
		created | running) [ -d "/proc/$pid" ] ;;
		stopped) [ "$pid" = 0 ] ;;
		esac
	fi
	hako delete --force "$ID"
	assert_clean "$before"
}

# The interleaving the hammer found once in ~16,000 calls, made certain:
# strace holds a create just after it made <root>/<id>, before it locked
# it.  A delete --force takes the empty directory away meanwhile.
# start_held_create: the create in the background ($spid), held.
start_held_create() {
	strace -qq -o /dev/null -e trace=mkdirat -e signal=none \
		-e inject=mkdirat:delay_exit=3000000:when=1 \
		"$HAKO" --root "$HAKO_ROOT" create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/held.err" &
	spid=$!
	wait_for test -d "$HAKO_ROOT/$ID" || fail "the held create made no directory"
	hako delete --force "$ID"
	[ ! -e "$HAKO_ROOT/$ID" ]
}

# init_gone PID: no such process, or only its zombie (reaped by pid 1).
init_gone() {
	local stat
	stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
	[[ "${stat##*) }" == [ZX]* ]]
}

@test "concurrency: a create whose new directory is deleted and claimed again before it locks it" {
	command -v strace >/dev/null || skip "strace not installed"
	update_config '.process.args = ["probe","sleep","1000"]'
	local before spid pid rc=0
	before="$(snapshot)"

	# Another create claims the id anew and completes while the first is
	# held: the first must fail as "exists", and not touch the other's
	# state directory (it used to write into it, fail on the busy cgroup,
	# and remove it: the other's init was left with no state).
	start_held_create
	hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null
	pid="$(hako state "$ID" | jq -r .pid)"
	wait "$spid" || rc=$?
	[ "$rc" -eq 1 ] || fail "the held create exited $rc: $(cat "$BATS_TEST_TMPDIR/held.err")"
	grep -q "already exists" "$BATS_TEST_TMPDIR/held.err" || fail "held create: $(cat "$BATS_TEST_TMPDIR/held.err")"
	[ "$(hako state "$ID" | jq -r .status)" = created ]
	[ "$(hako state "$ID" | jq -r .pid)" = "$pid" ]
	hako start "$ID"
	[ "$(hako state "$ID" | jq -r .status)" = running ]
	hako delete --force "$ID"
	wait_for init_gone "$pid" || fail "init $pid outlived delete: $(cat "/proc/$pid/stat")"
	assert_clean "$before"

	# Nobody claims it again: the held create makes the id anew and succeeds.
	start_held_create
	wait "$spid" || fail "the held create failed: $(cat "$BATS_TEST_TMPDIR/held.err")"
	[ "$(hako state "$ID" | jq -r .status)" = created ]
	hako delete --force "$ID"
	assert_clean "$before"
}

@test "concurrency: $PARALLEL containers created in parallel all succeed" {
	update_config '.process.args = ["probe","sleep","1000"]'
	local before i
	before="$(snapshot)"
	for i in $(seq "$PARALLEL"); do
		(hako create -b "$BUNDLE" "$ID-$i" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err-$i" || echo "$i" >>"$BATS_TEST_TMPDIR/failed") &
	done
	wait
	[ ! -s "$BATS_TEST_TMPDIR/failed" ] || { cat "$BATS_TEST_TMPDIR"/err-* >&2; return 1; }
	for i in $(seq "$PARALLEL"); do
		[ "$(hako state "$ID-$i" | jq -r .status)" = created ]
	done
	for i in $(seq "$PARALLEL"); do hako delete --force "$ID-$i" & done
	wait
	assert_clean "$before"
}

@test "faults: hako killed at increasing delays during create, then delete --force removes everything" {
	update_config '.process.args = ["probe","sleep","1000"]'
	local before delay pid
	before="$(snapshot)"
	for delay in 0 0.001 0.002 0.003 0.005 0.008 0.012 0.02 0.03 0.05; do
		"$HAKO" --root "$HAKO_ROOT" create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 &
		pid=$!
		sleep "$delay"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		# state reports something true (or that the id does not exist).
		if out="$(hako state "$ID" 2>&1)"; then
			echo "$out" | jq -e '.status' >/dev/null
		else
			[[ "$out" == *"does not exist"* || "$out" == *"failed create"* ]] || { echo "$out" >&2; return 1; }
		fi
		hako delete --force "$ID"
		assert_clean "$before"
	done
}

@test "faults: hako killed at increasing delays during start" {
	update_config '.process.args = ["probe","sleep","1000"]'
	local before delay pid
	before="$(snapshot)"
	for delay in 0 0.001 0.003 0.01 0.03; do
		hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
		"$HAKO" --root "$HAKO_ROOT" start "$ID" &
		pid=$!
		sleep "$delay"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		hako state "$ID" | jq -e '.status' >/dev/null
		hako delete --force "$ID"
		assert_clean "$before"
	done
}

@test "faults: the container init dies before start" {
	update_config '.process.args = ["probe","sleep","1000"]'
	hako create -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null >/dev/null 2>&1
	kill -9 "$(cat "$BATS_TEST_TMPDIR/pid")"
	wait_for bash -c "[ \"\$('$HAKO' --root '$HAKO_ROOT' state '$ID' | jq -r .status)\" = stopped ]"
	run hako start "$ID"
	[ "$status" -eq 1 ]
	hako delete "$ID"
	assert_no_leftovers "$ID"
}

@test "faults: a full disk for the state directory" {
	local small="$BATS_TEST_TMPDIR/small"
	mkdir -p "$small"
	mount -t tmpfs -o size=8k tmpfs "$small"
	# Fill it up.
	dd if=/dev/zero of="$small/fill" bs=1k count=64 2>/dev/null || true
	run "$HAKO" --root "$small/root" run -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"No space left"* ]]
	[ ! -e "$small/root/$ID" ]
	umount "$small"
	assert_no_leftovers "$ID"
}

@test "faults: a rootfs that vanishes mid-create" {
	update_config '.process.args = ["probe","sleep","1000"]'
	local i pid
	for i in $(seq 5); do
		cp -a "$BUNDLE" "$BATS_TEST_TMPDIR/b$i"
		"$HAKO" --root "$HAKO_ROOT" create -b "$BATS_TEST_TMPDIR/b$i" "$ID-$i" </dev/null >/dev/null 2>&1 &
		pid=$!
		sleep "0.00$i"
		rm -rf "$BATS_TEST_TMPDIR/b$i/rootfs" 2>/dev/null || true
		wait "$pid" || true
		hako delete --force "$ID-$i"
		[ ! -e "$HAKO_ROOT/$ID-$i" ]
	done
}

@test "faults: a hook that hangs is killed when its timeout fires" {
	printf '#!/bin/sh\nsleep 100\n' >"$BATS_TEST_TMPDIR/hang"
	chmod +x "$BATS_TEST_TMPDIR/hang"
	update_config ".hooks.createRuntime = [{\"path\": \"$BATS_TEST_TMPDIR/hang\", \"timeout\": 1}]"
	local t0=$SECONDS
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"timed out"* ]]
	[ $((SECONDS - t0)) -lt 10 ]
	assert_no_leftovers "$ID"
}

@test "bad input: hostile configs are rejected with a clear error and nothing left" {
	local cases="$BATS_TEST_TMPDIR/cases"
	mkdir -p "$cases"
	python3 - "$BUNDLE/config.json" "$cases" <<'PY'
import json, sys, os
base = json.load(open(sys.argv[1]))
out = sys.argv[2]
def put(name, text):
    open(os.path.join(out, name), "wb").write(text if isinstance(text, bytes) else text.encode())
def variant(name, fn):
    c = json.loads(json.dumps(base)); fn(c); put(name, json.dumps(c))
variant("huge-env", lambda c: c["process"].__setitem__("env", ["A=" + "x" * 100] * 200000))
variant("huge-masked", lambda c: c["linux"].__setitem__("maskedPaths", ["/proc/m%d" % i for i in range(300000)] + ["relative"]))
variant("deep-path", lambda c: c["mounts"].append({"destination": "/" + "/".join(["d"] * 2100), "type": "tmpfs", "source": "tmpfs"}))
def raw(name, where, value):
    c = json.loads(json.dumps(base))
    c["linux"]["resources"] = {where[0]: {where[1]: "@@"}}
    put(name, json.dumps(c).replace('"@@"', value))
raw("overflow-u64", ("cpu", "shares"), "18446744073709551616")
raw("overflow-i64", ("memory", "limit"), "9223372036854775808")
raw("float-for-int", ("pids", "limit"), "1.5")
put("negative-uid", json.dumps(base).replace('"uid": 0', '"uid": -1', 1))
put("invalid-utf8", json.dumps(base).replace('"hostname": "hako"', '"hostname": "\xff\xfe"').encode("latin-1"))
put("nul-escape", json.dumps(base).replace('"hostname": "hako"', '"hostname": "a\\u0000b"'))
put("deep-nesting", '{"ociVersion":"1.0.0","annotations":' + "[" * 5000 + "]" * 5000 + "}")
put("truncated", json.dumps(base)[:300])
put("empty", "")
put("not-object", "[1,2,3]")
PY
	local f
	for f in "$cases"/*; do
		cp "$f" "$BUNDLE/config.json"
		run timeout 60 "$HAKO" --root "$HAKO_ROOT" run -b "$BUNDLE" "$ID"
		[ "$status" -eq 1 ] || { echo "$(basename "$f"): status $status: $output" >&2; return 1; }
		[ -n "$output" ] || { echo "$(basename "$f"): no message" >&2; return 1; }
		assert_no_leftovers "$ID"
	done
}

@test "bad input: hostile bundles (symlink loops, a rootfs that is a file) are rejected" {
	ln -s loop1 "$BUNDLE/rootfs/loop2"
	ln -s loop2 "$BUNDLE/rootfs/loop1"
	update_config '.mounts += [{"destination": "/loop1/x", "type": "tmpfs", "source": "tmpfs"}]'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"loop1"* ]]
	assert_no_leftovers "$ID"

	rm -rf "$BUNDLE/rootfs"
	echo "not a directory" >"$BUNDLE/rootfs"
	update_config '.mounts |= map(select(.destination != "/loop1/x"))'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"root"* ]]
	assert_no_leftovers "$ID"
}
