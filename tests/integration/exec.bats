#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# exec: a new process in every namespace, the cgroup and the security
# profile of the container; --process (also from stdin) and each option of
# the command-line form; --detach with --pid-file; exit codes (the
# process's status, 255 for hako's own errors).

load helpers
load lifecycle-lib

setup() {
	setup_hako
	setup_bundle probe sleep 1000
	hako run -d -b "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null >/dev/null 2>&1
	INIT="$(cat "$BATS_TEST_TMPDIR/pid")"
}

teardown() {
	teardown_hako
}

@test "exec: every namespace and the cgroup of the init; the config's capabilities and no_new_privs; its status passed on" {
	local t
	for t in pid net ipc uts mnt cgroup; do
		run hako exec "$ID" probe ns "$t"
		[ "$status" -eq 0 ]
		[ "$output" = "ns_$t=$(ns_of "$INIT" "$t")" ]
	done
	run hako exec "$ID" probe cgroup
	[ "$status" -eq 0 ]
	# the same cgroups as the init, seen through the same cgroup namespace
	[ "$output" = "$(nsenter -t "$INIT" -C -m cat /proc/self/cgroup 2>/dev/null || true)" ] \
		|| [ "$output" = "$(hako exec "$ID" probe cat /proc/1/cgroup)" ]
	[ "$(hako exec "$ID" probe caps)" = "$(grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' "/proc/$INIT/status" | sed 's/:\t/=/')" ]
	[ "$(hako exec "$ID" probe status NoNewPrivs)" = "NoNewPrivs=1" ]
	# seen from the host: the exec'd process is in the container's cgroups
	hako exec -d --pid-file "$BATS_TEST_TMPDIR/epid" "$ID" probe sleep 100
	[ "$(cat "/proc/$(cat "$BATS_TEST_TMPDIR/epid")/cgroup")" = "$(cat "/proc/$INIT/cgroup")" ]
	hako ps --format json "$ID" | jq -e "index($(cat "$BATS_TEST_TMPDIR/epid")) != null"
	run hako exec "$ID" probe exit 42
	[ "$status" -eq 42 ]
	run hako exec "$ID" probe kill-self 15
	[ "$status" -eq 143 ]
}

@test "exec: stdio is hako's; SIGTERM to a foreground exec reaches the process" {
	run bash -c "echo piped | '$HAKO' --root '$HAKO_ROOT' exec '$ID' probe stdin"
	[ "$output" = piped ]
	"$HAKO" --root "$HAKO_ROOT" exec "$ID" sh -c 'trap "exit 33" TERM; echo ready; while :; do sleep 0.05; done' >"$BATS_TEST_TMPDIR/o" &
	local bg=$!
	wait_file "$BATS_TEST_TMPDIR/o" ready
	kill -TERM "$bg"
	local rc=0
	wait "$bg" || rc=$?
	[ "$rc" -eq 33 ]
}

@test "exec: errors exit 255 — unknown id, bad --user, a binary that is not there; usage errors 1; nothing is left running" {
	run hako exec "nosuch-$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"does not exist"* ]]
	# usage errors exit 1, as runc's do
	run hako exec "$ID"
	[ "$status" -eq 1 ]
	run hako exec -p /dev/null "$ID" true
	[ "$status" -eq 1 ]
	run hako exec --user abc "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"--user"* ]]
	run hako exec "$ID" /no/such/binary
	[ "$status" -eq 255 ]
	[[ "$output" == *"/no/such/binary"* ]]
	run hako exec "$ID" nosuchcommand
	[ "$status" -eq 255 ]
	[[ "$output" == *"executable file not found"* ]]
	run hako exec --cwd relative "$ID" true
	[ "$status" -eq 255 ]
	run hako exec -p "$BATS_TEST_TMPDIR/nosuch.json" "$ID"
	[ "$status" -eq 255 ]
	# only the init and nothing else in the container
	[ "$(hako ps --format json "$ID")" = "[$INIT]" ]
}

@test "exec --process FILE and --process - (stdin): the whole process object, as containerd and conmon pass it" {
	cat >"$BATS_TEST_TMPDIR/p.json" <<-'EOF'
		{"args":["probe","ids","--","env","--","cwd"],"env":["PATH=/bin","FROM=file"],"cwd":"/etc",
		 "user":{"uid":1000,"gid":1000,"additionalGids":[5]},"terminal":false}
	EOF
	run hako exec --process "$BATS_TEST_TMPDIR/p.json" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *$'uid=1000\ngid=1000\neuid=1000\negid=1000\ngroups=5'* ]]
	[[ "$output" == *"FROM=file"* ]]
	[[ "$output" == *"HOME=/home/user"* ]]
	[[ "$output" == *"cwd=/etc"* ]]
	run bash -c "sed 's/FROM=file/FROM=stdin/' '$BATS_TEST_TMPDIR/p.json' | '$HAKO' --root '$HAKO_ROOT' exec -p - '$ID'"
	[ "$status" -eq 0 ]
	[[ "$output" == *"FROM=stdin"* ]]
	# a bad process object: the field is named
	echo '{"args":[],"cwd":"/","user":{"uid":0,"gid":0}}' >"$BATS_TEST_TMPDIR/bad.json"
	run hako exec -p "$BATS_TEST_TMPDIR/bad.json" "$ID"
	[ "$status" -eq 255 ]
	[[ "$output" == *"process.args"* ]]
	echo '{"args":["true"],"cwd":"/"}' >"$BATS_TEST_TMPDIR/bad.json"
	run hako exec -p "$BATS_TEST_TMPDIR/bad.json" "$ID"
	[ "$status" -eq 255 ]
	[[ "$output" == *"user"*"required"* ]]
	echo '{"args":["true"],"cwd":"rel","user":{"uid":0,"gid":0}}' >"$BATS_TEST_TMPDIR/bad.json"
	run hako exec -p "$BATS_TEST_TMPDIR/bad.json" "$ID"
	[ "$status" -eq 255 ]
	[[ "$output" == *"process.cwd"* ]]
}

@test "exec options: --env (appended, last wins), --cwd, --user, --additional-gids, --cap, --no-new-privs" {
	run hako exec -e FOO=1 --env FOO=2 -e PATH=/bin:/usr/bin --env NEW=x "$ID" probe env
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '^FOO=')" -eq 1 ]
	[[ "$output" == *"FOO=2"* && "$output" == *"NEW=x"* && "$output" == *"PATH=/bin:/usr/bin"* ]]
	[[ "$output" == *"TERM=xterm"* ]] # the config's env is the base
	run hako exec --cwd /etc "$ID" probe cwd
	[ "$output" = cwd=/etc ]
	run hako exec --user 1000 "$ID" probe ids
	[[ "$output" == *$'uid=1000\ngid=0'* ]]
	run hako exec -u 65534:65534 -g 5 --additional-gids 7 "$ID" probe ids
	[[ "$output" == *$'uid=65534\ngid=65534\neuid=65534\negid=65534\ngroups=5,7'* ]]
	# --cap adds to the config's sets (CAP_SYS_ADMIN is bit 21)
	local eff
	eff="$(hako exec "$ID" probe status CapEff | sed 's/.*=//')"
	[ $((0x$eff & (1 << 21))) -eq 0 ]
	eff="$(hako exec --cap CAP_SYS_ADMIN "$ID" probe status CapEff | sed 's/.*=//')"
	[ $((0x$eff & (1 << 21))) -ne 0 ]
	run hako exec --cap CAP_BOGUS "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"CAP_BOGUS"* ]]
	hako delete -f "$ID"
	# --no-new-privs on a container whose config has it off
	update_config '.process.noNewPrivileges = false'
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	[ "$(hako exec "$ID" probe status NoNewPrivs)" = "NoNewPrivs=0" ]
	[ "$(hako exec --no-new-privs "$ID" probe status NoNewPrivs)" = "NoNewPrivs=1" ]
}

@test "exec --detach --pid-file: returns at once; the pid file holds the process's host pid, no newline" {
	hako exec -d --pid-file "$BATS_TEST_TMPDIR/epid" "$ID" probe sleep 100 >/dev/null
	local p
	p="$(cat "$BATS_TEST_TMPDIR/epid")"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/epid")" -eq 0 ]
	grep -q "probe" "/proc/$p/cmdline"
	[ "$(ns_of "$p" pid)" = "$(ns_of "$INIT" pid)" ]
	[ "$(ls "$BATS_TEST_TMPDIR" | grep -c epid)" -eq 1 ]
	# relative pid file: relative to the caller's directory
	(cd "$BATS_TEST_TMPDIR" && "$HAKO" --root "$HAKO_ROOT" exec -d --pid-file rel.pid "$ID" probe sleep 100 >/dev/null)
	[ -s "$BATS_TEST_TMPDIR/rel.pid" ]
	hako delete -f "$ID"
	gone "$p"
	assert_no_leftovers "$ID"
}

@test "exec --preserve-fds N: exactly 0, 1, 2 and the N passed; nothing of hako's" {
	run hako exec --preserve-fds 2 "$ID" probe fds 3</etc/hostname 4</etc/passwd 5</etc/group
	[ "$status" -eq 0 ]
	[ "$(field fds)" = 0,1,2,3,4 ]
	[ "$(field fd3)" = /etc/hostname ]
	[ "$(field fd4)" = /etc/passwd ]
	run hako exec "$ID" probe fds 3</etc/hostname
	[ "$(field fds)" = 0,1,2 ]
	run hako exec --preserve-fds 100 "$ID" probe fds 3</etc/hostname
	[ "$status" -eq 255 ]
	[[ "$output" == *"--preserve-fds: descriptor "*" is not open"* ]]
}

@test "exec --cgroup: joins a sub-cgroup of the container's" {
	local d made=0
	for d in /sys/fs/cgroup/*/hako/"$ID"; do
		[ -d "$d" ] || continue
		mkdir "$d/sub"
		made=1
	done
	[ "$made" -eq 1 ]
	hako exec -d --pid-file "$BATS_TEST_TMPDIR/epid" --cgroup sub "$ID" probe sleep 100
	local p
	p="$(cat "$BATS_TEST_TMPDIR/epid")"
	grep -q "^[0-9]*:pids:.*/hako/$ID/sub$" "/proc/$p/cgroup"
	run hako exec --cgroup nosuch "$ID" true
	[ "$status" -eq 255 ]
	hako kill "$ID" KILL
	wait_status "$ID" stopped
	for d in /sys/fs/cgroup/*/hako/"$ID"/sub; do
		[ -d "$d" ] && { wait_for rmdir "$d" || true; }
	done
	hako delete "$ID"
	assert_no_leftovers "$ID"
}

@test "exec --process-label and --apparmor: an LSM this host lacks is an error, not ignored" {
	if [ -d /sys/kernel/security/apparmor ] || [ -d /sys/fs/selinux ]; then
		skip "this host has an LSM enabled"
	fi
	run hako exec --apparmor some-profile "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *[Aa]pp[Aa]rmor* ]]
	run hako exec --process-label system_u:system_r:container_t:s0 "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *SELinux* ]]
}

@test "exec: allowed in created, refused in paused (unless --ignore-paused is meant) and stopped" {
	hako delete -f "$ID"
	hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run hako exec "$ID" probe echo hi
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	hako start "$ID"
	hako pause "$ID"
	run hako exec "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"paused"* ]]
	hako resume "$ID"
	hako kill "$ID" KILL
	wait_status "$ID" stopped
	run hako exec "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"stopped"* ]]
	hako delete "$ID"
	assert_no_leftovers "$ID"
}
