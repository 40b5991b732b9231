#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The container's process as create and run start it: args and PATH
# lookup, env with HOME from /etc/passwd, cwd created when missing, the
# descriptors it gets (--preserve-fds, LISTEN_FDS socket activation,
# nothing else), and the stdio a detached container inherits.

load helpers
load lifecycle-lib

setup() {
	setup_hako
	setup_bundle probe env
}

teardown() {
	teardown_hako
}

@test "env: exactly the config's, plus HOME from the container's /etc/passwd when missing" {
	update_config '.process.env = ["PATH=/bin","A=1","B=two words"]'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | sort | tr '\n' ';')" = "A=1;B=two words;HOME=/root;PATH=/bin;" ]
	update_config '.process.user.uid = 1000'
	run hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"HOME=/home/user"* ]]
	# a uid without an entry: /
	update_config '.process.user.uid = 4242'
	run hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"HOME=/"$'\n'* || "$output" == *"HOME=/" ]]
	# HOME given: kept
	update_config '.process.env += ["HOME=/custom"]'
	run hako run -b "$BUNDLE" "$ID"
	[ "$(echo "$output" | grep -c '^HOME=')" -eq 1 ]
	[[ "$output" == *"HOME=/custom"* ]]
	assert_no_leftovers "$ID"
}

@test "args: found on the process's PATH; a missing or non-executable one fails create with nothing left" {
	update_config '.process.env = ["PATH=/nowhere:/bin"] | .process.args = ["probe","echo","found"]'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = found ]
	update_config '.process.args = ["/bin/probe","echo","absolute"]'
	run hako run -b "$BUNDLE" "$ID"
	[ "$output" = absolute ]
	update_config '.process.args = ["no-such-program"]'
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no-such-program"*"executable file not found"* ]]
	assert_no_leftovers "$ID"
	update_config '.process.args = ["/etc"]'
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"/etc"* ]]
	assert_no_leftovers "$ID"
	update_config '.process.args = ["/etc/passwd"]'
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"exec: \`/etc/passwd\`: Permission denied"* ]]
	assert_no_leftovers "$ID"
}

@test "cwd: used, and created (with its parents) when missing, as runc does" {
	update_config '.root.readonly = false | .process.cwd = "/work/deep/dir" | .process.args = ["probe","cwd"]'
	[ ! -e "$BUNDLE/rootfs/work" ]
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = cwd=/work/deep/dir ]
	[ -d "$BUNDLE/rootfs/work/deep/dir" ]
	update_config '.process.cwd = "/etc"'
	run hako run -b "$BUNDLE" "$ID"
	[ "$output" = cwd=/etc ]
	# a cwd that is a file
	update_config '.process.cwd = "/etc/passwd"'
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cwd"* ]]
	assert_no_leftovers "$ID"
}

@test "descriptors: the process gets only 0, 1 and 2, whatever hako had open" {
	set_args probe fds
	run hako run -b "$BUNDLE" "$ID" 3</etc/hostname 5</etc/passwd 9</etc/group
	[ "$status" -eq 0 ]
	[ "$(field fds)" = 0,1,2 ]
	# the same for create/start
	hako create -b "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 3</etc/hostname 7</etc/passwd
	hako start "$ID"
	wait_status "$ID" stopped
	grep -q '^fds=0,1,2$' "$BATS_TEST_TMPDIR/out"
	hako delete "$ID"
	assert_no_leftovers "$ID"
}

@test "--preserve-fds N: exactly 3 .. 3+N-1 are passed on, for run and create" {
	set_args probe fds
	run hako run --preserve-fds 2 -b "$BUNDLE" "$ID" 3</etc/hostname 4</etc/passwd 5</etc/group
	[ "$status" -eq 0 ]
	[ "$(field fds)" = 0,1,2,3,4 ]
	[ "$(field fd3)" = /etc/hostname ]
	[ "$(field fd4)" = /etc/passwd ]
	hako create --preserve-fds 1 -b "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 3<"$BUNDLE/config.json"
	hako start "$ID"
	wait_status "$ID" stopped
	grep -q '^fds=0,1,2,3$' "$BATS_TEST_TMPDIR/out"
	grep -q "^fd3=.*/config.json$" "$BATS_TEST_TMPDIR/out"
	hako delete "$ID"
	# a descriptor that is not open: an error naming it; nothing left
	run hako run --preserve-fds 60 -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--preserve-fds: descriptor "*" is not open"* ]]
	assert_no_leftovers "$ID"
}

@test "LISTEN_FDS: systemd socket activation meant for hako passes the sockets on, with LISTEN_FDS and LISTEN_PID=1" {
	set_args probe fds -- env
	# LISTEN_PID is hako's own pid: exec keeps the shell's
	run bash -c "export LISTEN_FDS=2 LISTEN_PID=\$\$; exec '$HAKO' --root '$HAKO_ROOT' run -b '$BUNDLE' '$ID' 3</etc/hostname 4</etc/passwd 5</etc/group"
	[ "$status" -eq 0 ]
	[ "$(field fds)" = 0,1,2,3,4 ]
	[[ "$output" == *"LISTEN_FDS=2"* && "$output" == *"LISTEN_PID=1"* ]]
	# with --preserve-fds, after them
	run bash -c "export LISTEN_FDS=1 LISTEN_PID=\$\$; exec '$HAKO' --root '$HAKO_ROOT' run --preserve-fds 1 -b '$BUNDLE' '$ID' 3</etc/hostname 4</etc/passwd 5</etc/group"
	[ "$(field fds)" = 0,1,2,3,4 ]
	[[ "$output" == *"LISTEN_FDS=1"* ]]
	# meant for another process: nothing passed, nothing set
	run bash -c "export LISTEN_FDS=2 LISTEN_PID=1; exec '$HAKO' --root '$HAKO_ROOT' run -b '$BUNDLE' '$ID' 3</etc/hostname 4</etc/passwd"
	[ "$(field fds)" = 0,1,2 ]
	[[ "$output" != *"LISTEN_FDS"* ]]
	assert_no_leftovers "$ID"
}

@test "stdio: a detached container's stdin, stdout and stderr are create's (or run -d's)" {
	set_args sh -c 'read line; echo "out:$line"; echo "err:$line" >&2'
	echo from-create >"$BATS_TEST_TMPDIR/in"
	hako create -b "$BUNDLE" "$ID" <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/o" 2>"$BATS_TEST_TMPDIR/e"
	# start's own stdio does not matter
	hako start "$ID" </dev/null >/dev/null 2>&1
	wait_status "$ID" stopped
	[ "$(cat "$BATS_TEST_TMPDIR/o")" = out:from-create ]
	[ "$(cat "$BATS_TEST_TMPDIR/e")" = err:from-create ]
	hako delete "$ID"
	echo from-run >"$BATS_TEST_TMPDIR/in"
	hako run -d -b "$BUNDLE" "$ID" <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/o" 2>"$BATS_TEST_TMPDIR/e"
	wait_status "$ID" stopped
	[ "$(cat "$BATS_TEST_TMPDIR/o")" = out:from-run ]
	[ "$(cat "$BATS_TEST_TMPDIR/e")" = err:from-run ]
	hako delete "$ID"
	assert_no_leftovers "$ID"
}
