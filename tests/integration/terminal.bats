#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# process.terminal: the pty master over --console-socket (SCM_RIGHTS, as
# conmon and the containerd shim receive it), consoleSize, /dev/console;
# hako's own relay in a foreground run and exec (raw mode, window size,
# input, the terminal restored after).

load helpers
load lifecycle-lib

PTYRUN="$TESTS_DIR/helpers/ptyrun.py"

setup() {
	setup_hako
	setup_bundle probe isatty
	update_config '.process.terminal = true | .process.consoleSize = {"height": 33, "width": 77}'
	SOCK="$BATS_TEST_TMPDIR/console.sock"
	TTYOUT="$BATS_TEST_TMPDIR/tty.out"
}

teardown() {
	[ -z "${RECVTTY_PID:-}" ] || kill "$RECVTTY_PID" 2>/dev/null || true
	teardown_hako
}

@test "console socket: create sends the pty master (pty name as payload); the process has it as its terminal, sized" {
	set_args probe isatty -- stat /dev/console -- ls /proc/self/fd
	start_recvtty "$SOCK" "$TTYOUT"
	hako create -b "$BUNDLE" --console-socket "$SOCK" "$ID" </dev/null >/dev/null 2>&1
	# the master arrived before create returned
	wait_file "$TTYOUT" "^--$"
	grep -q '^payload=/dev/pts/[0-9]*$' "$TTYOUT"
	grep -q '^fds=1$' "$TTYOUT"
	grep -q '^ptn=[0-9]*$' "$TTYOUT"
	grep -q '^rows=33 cols=77$' "$TTYOUT"
	hako start "$ID"
	wait "$RECVTTY_PID"
	RECVTTY_PID=
	local out
	out="$(tr -d '\r' <"$TTYOUT")"
	[[ "$out" == *"isatty0=1"*"isatty1=1"*"rows=33"*"cols=77"* ]]
	# its terminal is the pty's slave, on the container's own /dev/pts
	[[ "$out" == *"tty=/dev/pts/0"* ]]
	# /dev/console is the same pty, bound (a character device)
	[[ "$out" == *"type=char"* ]]
	wait_status "$ID" stopped
	hako delete "$ID"
	assert_no_leftovers "$ID"
}

@test "console socket: input typed into the master reaches the process; stdio is the pty only" {
	set_args sh -c 'read line; echo "got:$line"; ls -l /proc/self/fd/'
	start_recvtty "$SOCK" "$TTYOUT" $'hello\n'
	hako run -d -b "$BUNDLE" --console-socket "$SOCK" "$ID" </dev/null >/dev/null 2>&1
	wait "$RECVTTY_PID"
	RECVTTY_PID=
	grep -q "got:hello" "$TTYOUT"
	# 0, 1, 2 on the pty slave; nothing of hako's leaked (3 is ls's own dir)
	[ "$(grep -c -- '-> /dev/pts/0' "$TTYOUT")" -eq 3 ]
	wait_status "$ID" stopped
	hako delete "$ID"
	assert_no_leftovers "$ID"
}

@test "console socket: errors — no terminal, terminal without a socket, a socket nobody listens on" {
	update_config '.process.terminal = false'
	start_recvtty "$SOCK" "$TTYOUT"
	run hako create -b "$BUNDLE" --console-socket "$SOCK" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--console-socket given, but process.terminal is false"* ]]
	assert_no_leftovers "$ID"
	update_config '.process.terminal = true'
	run hako create -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--console-socket is required"* ]]
	assert_no_leftovers "$ID"
	run hako create -b "$BUNDLE" --console-socket "$BATS_TEST_TMPDIR/nobody.sock" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"console socket"* ]]
	assert_no_leftovers "$ID"
}

@test "foreground run with a terminal: hako relays it; the process gets the terminal's size and input; exit status passes" {
	set_args sh -c 'stty size; read line; echo "got:$line"; exit 3'
	run "$PTYRUN" --size 40x120 --after "" --type 'typed text\r' -- "$HAKO" --root "$HAKO_ROOT" run -b "$BUNDLE" "$ID"
	[ "$status" -eq 3 ]
	[[ "$output" == *"40 120"* ]]
	[[ "$output" == *"got:typed text"* ]]
	# raw mode is undone: the terminal echoes again
	[[ "$output" == *"ptyrun: echo=1"* ]]
	assert_no_leftovers "$ID"
}

@test "foreground run with a terminal: a resize of hako's terminal reaches the container (SIGWINCH)" {
	set_args sh -c 'stty size; echo ready; read x; stty size'
	run "$PTYRUN" --size 30x100 --after ready --resize 50x150 --type '\r' -- "$HAKO" --root "$HAKO_ROOT" run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"30 100"*"ready"*"50 150"* ]]
	assert_no_leftovers "$ID"
}

@test "foreground run with a terminal: consoleSize stands when hako's terminal has no size" {
	set_args probe isatty
	run "$PTYRUN" --size 0x0 -- "$HAKO" --root "$HAKO_ROOT" run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"rows=33"*"cols=77"* ]]
	assert_no_leftovers "$ID"
}

@test "exec --tty: with --console-socket and --detach the master is sent; in the foreground hako relays it" {
	update_config '.process.terminal = false'
	set_args probe sleep 100
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	start_recvtty "$SOCK" "$TTYOUT"
	hako exec -t -d --console-socket "$SOCK" "$ID" probe isatty
	wait "$RECVTTY_PID"
	RECVTTY_PID=
	grep -q '^payload=/dev/pts/[0-9]*$' "$TTYOUT"
	[[ "$(tr -d '\r' <"$TTYOUT")" == *"isatty0=1"*"isatty1=1"* ]]
	# foreground: hako relays, and passes the status on
	run "$PTYRUN" --size 25x90 -- "$HAKO" --root "$HAKO_ROOT" exec -t "$ID" sh -c 'stty size; exit 4'
	[ "$status" -eq 4 ]
	[[ "$output" == *"25 90"* ]]
	# without --tty, no terminal even though hako has one
	run "$PTYRUN" -- "$HAKO" --root "$HAKO_ROOT" exec "$ID" probe isatty
	[ "$status" -eq 0 ]
	[[ "$output" == *"isatty0=1"* ]] # stdio inherited from hako: its terminal
	[[ "$output" == *"tty=none"* ]]  # ... which is not a pty of the container
	# a terminal with --detach needs a console socket; a socket needs a terminal
	run hako exec -t -d "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"--console-socket"* ]]
	run hako exec -d --console-socket "$SOCK" "$ID" true
	[ "$status" -eq 255 ]
	hako delete -f "$ID"
	assert_no_leftovers "$ID"
}
