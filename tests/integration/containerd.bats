#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Debian's containerd 1.6 with its runc v2 shim using hako as its runc: a
# private containerd (own socket, root, state and opt dirs; overlayfs
# snapshotter), a busybox image built here as an OCI archive and imported
# with `ctr image import`, tasks run with `ctr run --runc-binary` (ctr
# cannot pick a named runtime without the CRI plugin: see the snippet
# test).  The shim's runc root is private too (--runc-root); the cgroups
# are /<namespace>/<id>, under a namespace of this file's own.  (The shims'
# sockets are in /run/containerd/s/, named by a hash of the address: fixed
# in containerd 1.6.)  The last test checks every runtime call the shim made.

load helpers
load clients-helpers
bats_require_minimum_version 1.5.0

setup_file() {
	clients_setup
	local d="$CLIENTS_DIR/containerd"
	mkdir -p "$d"
	export CTRD="$d" CTR_NS="hako-test-$$"
	cat >"$d/config.toml" <<-EOF
		version = 2
		root = "$d/root"
		state = "$d/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$d/containerd.sock"
		[ttrpc]
		  address = "$d/containerd.sock.ttrpc"
		[debug]
		  address = ""
		[metrics]
		  address = ""
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$d/opt"
	EOF
	containerd --config "$d/config.toml" >"$d/containerd.log" 2>&1 3>&- </dev/null &
	echo $! >"$d/containerd.pid"
	local i
	for i in $(seq 100); do
		ctr --address "$d/containerd.sock" version >/dev/null 2>&1 && break
		sleep 0.1
	done
	ctr --address "$d/containerd.sock" version >/dev/null
	# overlayfs where the kernel and the file system allow it.
	if ctr --address "$d/containerd.sock" plugins ls | grep -Eq '^io\.containerd\.snapshotter\.v1 +overlayfs .* ok *$'; then
		export CTR_SNAPSHOTTER=overlayfs
	else
		export CTR_SNAPSHOTTER=native
		echo "# overlayfs snapshotter unusable here: native" >&3
	fi
	clients_rootfs_tar "$CLIENTS_DIR/bb.tar"
	clients_oci_archive "$CLIENTS_DIR/bb.tar" "$CLIENTS_DIR/bb-oci.tar" localhost/bb:latest
	ctr_ image import "$CLIENTS_DIR/bb-oci.tar" >/dev/null
}

teardown() {
	clients_mark_ran
}

teardown_file() {
	local d="${CTRD:-}" t
	[ -n "$d" ] || return 0
	if [ -S "$d/containerd.sock" ]; then
		for t in $(ctr_ task ls -q 2>/dev/null); do
			ctr_ task kill -a -s SIGKILL "$t" >/dev/null 2>&1
			ctr_ task rm -f "$t" >/dev/null 2>&1
		done
		for t in $(ctr_ container ls -q 2>/dev/null); do ctr_ container rm "$t" >/dev/null 2>&1; done
	fi
	if [ -f "$d/containerd.pid" ]; then
		kill "$(cat "$d/containerd.pid")" 2>/dev/null
		for t in $(seq 50); do kill -0 "$(cat "$d/containerd.pid")" 2>/dev/null || break; sleep 0.1; done
	fi
	awk -v d="$d/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l
	clients_rm_cgroups "$CTR_NS"
	rm -rf "$CLIENTS_DIR"
}

ctr_() {
	ctr --address "$CTRD/containerd.sock" --namespace "$CTR_NS" "$@"
}

# ctr run with hako (through the logging wrapper) as the shim's runc.
crun_() {
	ctr_ run --snapshotter "$CTR_SNAPSHOTTER" --runc-binary "$CLIENTS_DIR/bin/hako" \
		--runc-root "$CTRD/runc" --fifo-dir "$CTRD/fifo" "$@"
}

task_status() {
	ctr_ task ls | awk -v id="$1" '$1 == id {print $3}'
}

task_is() {
	[ "$(task_status "$1")" = "$2" ]
}

task_pid() {
	ctr_ task ls | awk -v id="$1" '$1 == id {print $2}'
}

# SIGKILL a task, then delete it and its container.
task_kill_rm() {
	ctr_ task kill -s SIGKILL "$1"
	wait_for task_is "$1" STOPPED
	ctr_ task rm "$1" >/dev/null
	ctr_ container rm "$1"
}

# A unique container id.
new_id() {
	echo "t$BATS_TEST_NUMBER-$RANDOM"
}

@test "containerd: ctr run to completion prints the output and passes the exit status on" {
	id="$(new_id)"
	run crun_ --rm localhost/bb:latest "$id" echo hello from hako
	[ "$status" -eq 0 ]
	[ "$output" = "hello from hako" ]
	run crun_ --rm localhost/bb:latest "$(new_id)" sh -c 'exit 3'
	[ "$status" -eq 3 ]
	# The shim's calls, with its --root, --log and --log-format json.
	b="$CTRD/state/io.containerd.runtime.v2.task/$CTR_NS/$id"
	clients_calls "$CLIENTS_DIR/bin" | grep -qxF -- "--root $CTRD/runc/$CTR_NS --log $b/log.json --log-format json create --bundle $b --pid-file $b/init.pid $id"
	[ ! -e "$CTRD/runc/$CTR_NS/$id" ]
	[ ! -e "/sys/fs/cgroup/memory/$CTR_NS/$id" ]
}

@test "containerd: a detached task: exec, ps, pause/resume, kill, delete" {
	id="$(new_id)"
	crun_ -d --log-uri "file://$BATS_TEST_TMPDIR/out" localhost/bb:latest "$id" sh -c 'echo started; exec sleep 1000'
	[ "$(task_status "$id")" = RUNNING ]
	pid="$(task_pid "$id")"
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 1000 " ]
	[ "$(proc_cgroup_dir "$pid" memory)" = "/sys/fs/cgroup/memory/$CTR_NS/$id" ]
	[ -d "$CTRD/runc/$CTR_NS/$id" ]
	wait_for grep -qx started "$BATS_TEST_TMPDIR/out"

	run ctr_ task exec --exec-id e1 --fifo-dir "$CTRD/fifo" "$id" sh -c 'echo in-exec; tr "\0" " " </proc/1/cmdline'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'in-exec\nsleep 1000 ')" ]
	run ctr_ task exec --exec-id e2 --fifo-dir "$CTRD/fifo" "$id" sh -c 'exit 4'
	[ "$status" -eq 4 ]
	run ctr_ task exec --exec-id e3 --user 1000 --cwd /tmp --fifo-dir "$CTRD/fifo" "$id" sh -c 'id -u; pwd'
	[ "$output" = "$(printf '1000\n/tmp')" ]

	# ps (the shim asks for `ps --format json`): the init and an exec'd process.
	n=$((200000 + RANDOM))
	ctr_ task exec -d --exec-id e4 --fifo-dir "$CTRD/fifo" "$id" sleep "$n"
	wait_for pgrep -f "^sleep $n\$"
	run ctr_ task ps "$id"
	[ "$status" -eq 0 ]
	echo "$output" | grep -q "^$pid "
	epid="$(pgrep -f "^sleep $n\$")"
	echo "$output" | grep -q "^$epid "
	[ "$(echo "$output" | wc -l)" -eq 3 ]

	ctr_ task pause "$id"
	[ "$(task_status "$id")" = PAUSED ]
	[ "$(cat "$(proc_cgroup_dir "$pid" freezer)/freezer.state")" = FROZEN ]
	ctr_ task resume "$id"
	[ "$(task_status "$id")" = RUNNING ]
	[ "$(cat "$(proc_cgroup_dir "$pid" freezer)/freezer.state")" = THAWED ]

	ctr_ task kill -s SIGKILL "$id"
	wait_for task_is "$id" STOPPED
	run ctr_ task rm "$id"
	[[ "$output" == *"exit code 137"* ]]
	ctr_ container rm "$id"
	[ -z "$(task_status "$id")" ]
	[ ! -e "$CTRD/runc/$CTR_NS/$id" ]
	[ ! -e "/sys/fs/cgroup/memory/$CTR_NS/$id" ]
	! kill -0 "$epid" 2>/dev/null || false
}

@test "containerd: kill sends SIGTERM (the process's own status), kill --all reaches every process" {
	id="$(new_id)"
	crun_ --rm localhost/bb:latest "$id" sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done' 3>&- &
	bg=$!
	wait_for task_is "$id" RUNNING
	ctr_ task kill "$id"
	st=0
	wait "$bg" || st=$?
	[ "$st" -eq 7 ]

	id="$(new_id)"
	n=$((300000 + RANDOM))
	crun_ -d localhost/bb:latest "$id" sh -c "sleep $n & sleep $((n + 1)) & wait"
	wait_for pgrep -f "^sleep $((n + 1))\$"
	kids="$(pgrep -f "^sleep ($n|$((n + 1)))\$" | tr '\n' ' ')"
	[ "$(echo $kids | wc -w)" -eq 2 ]
	ctr_ task kill -a -s SIGKILL "$id"
	wait_for task_is "$id" STOPPED
	for k in $kids; do ! kill -0 "$k" 2>/dev/null || false; done
	clients_calls "$CLIENTS_DIR/bin" | grep -Eq " kill --all $id 9\$"
	ctr_ task rm "$id" >/dev/null
	ctr_ container rm "$id"
}

@test "containerd: a tty task (ctr run -t) and ctr task exec -t" {
	id="$(new_id)"
	cmd="$(printf '%q ' ctr --address "$CTRD/containerd.sock" --namespace "$CTR_NS" run -t --rm \
		--snapshotter "$CTR_SNAPSHOTTER" --runc-binary "$CLIENTS_DIR/bin/hako" --runc-root "$CTRD/runc" \
		--fifo-dir "$CTRD/fifo" localhost/bb:latest "$id" sh -c 'tty; [ -t 0 ] && echo stdin-tty')"
	run with_timeout 60 script -qec "$cmd" /dev/null </dev/null
	[ "$status" -eq 0 ]
	out="$(echo "$output" | tr -d '\r' | sed 's/\^@//g')" # script echoes the end of its stdin as ^@
	echo "$out" # shown when the test fails
	echo "$out" | grep -q '/dev/pts/0$'
	echo "$out" | grep -qx stdin-tty
	clients_calls "$CLIENTS_DIR/bin" | grep -q " create --bundle .* --console-socket .* $id\$"

	id="$(new_id)"
	crun_ -d localhost/bb:latest "$id" sleep 1000
	cmd="$(printf '%q ' ctr --address "$CTRD/containerd.sock" --namespace "$CTR_NS" task exec -t --exec-id e1 \
		--fifo-dir "$CTRD/fifo" "$id" sh -c 'tty; echo exec-ok')"
	run with_timeout 60 script -qec "$cmd" /dev/null </dev/null
	[ "$status" -eq 0 ]
	out="$(echo "$output" | tr -d '\r' | sed 's/\^@//g')" # script echoes the end of its stdin as ^@
	echo "$out" # shown when the test fails
	echo "$out" | grep -q '/dev/pts/[0-9]$'
	echo "$out" | grep -qx exec-ok
	clients_calls "$CLIENTS_DIR/bin" | grep -q " exec --process .* --console-socket .* $id\$"
	task_kill_rm "$id"
}

@test "containerd: resource limits and a read-only root from ctr run reach the cgroup and the mounts" {
	# (ctr's spec has no /sys/fs/cgroup mount: read the limits from the host.)
	id="$(new_id)"
	crun_ -d --memory-limit 67108864 --cpu-quota 50000 --cpu-period 100000 --read-only \
		localhost/bb:latest "$id" sleep 1000
	pid="$(task_pid "$id")"
	[ "$(cat "$(proc_cgroup_dir "$pid" memory)/memory.limit_in_bytes")" = 67108864 ]
	[ "$(cat "$(proc_cgroup_dir "$pid" cpu)/cpu.cfs_quota_us")" = 50000 ]
	run ctr_ task exec --exec-id e1 --fifo-dir "$CTRD/fifo" "$id" touch /x
	[ "$status" -ne 0 ]
	[[ "$output" == *"/x: Read-only file system"* ]]
	task_kill_rm "$id"
}

@test "containerd: env, cwd, bind mount, capabilities, seccomp, a network namespace joined by path" {
	ns="hako-clients-$$-$RANDOM"
	ip netns add "$ns"
	vol="$BATS_TEST_TMPDIR/vol"
	mkdir -p "$vol"
	echo from-host >"$vol/in"
	run crun_ --rm --env FOO=bar --cwd /tmp --mount "type=bind,src=$vol,dst=/data,options=rbind:rw" \
		--cap-drop CAP_CHOWN --cap-add CAP_SYS_PTRACE --seccomp --with-ns "network:/run/netns/$ns" \
		localhost/bb:latest "$(new_id)" sh -c 'echo $FOO; pwd; cat /data/in; echo out >/data/out
			awk "/^(CapEff|Seccomp):/ {print \$2}" /proc/self/status; readlink /proc/self/ns/net'
	echo "$output" # shown when the test fails
	inode="$(stat -L -c %i "/run/netns/$ns")"
	ip netns del "$ns"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = bar ]
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = from-host ]
	[ "$(cat "$vol/out")" = out ]
	eff=$((16#${lines[3]}))
	[ $((eff & 1)) -eq 0 ]       # CHOWN dropped
	[ $((eff >> 19 & 1)) -eq 1 ] # SYS_PTRACE added
	[ "${lines[4]}" = 2 ]        # a seccomp filter
	[ "${lines[5]}" = "net:[$inode]" ]
}

@test "containerd: hako's error reaches ctr through --log (stderr discarded)" {
	# The quiet wrapper drops hako's stderr: the shim can only have the
	# message from the --log-format json file.
	id="$(new_id)"
	run ctr_ run --rm --snapshotter "$CTR_SNAPSHOTTER" --runc-binary "$CLIENTS_DIR/quiet/hako" \
		--runc-root "$CTRD/runc" --fifo-dir "$CTRD/fifo" localhost/bb:latest "$id" /nonexistent
	[ "$status" -ne 0 ]
	[[ "$output" == *'OCI runtime create failed: exec: `/nonexistent`: No such file or directory'* ]]
	ctr_ container rm "$id" 2>/dev/null || true

	id="$(new_id)"
	ctr_ run -d --snapshotter "$CTR_SNAPSHOTTER" --runc-binary "$CLIENTS_DIR/quiet/hako" \
		--runc-root "$CTRD/runc" --fifo-dir "$CTRD/fifo" localhost/bb:latest "$id" sleep 1000
	run ctr_ task exec --exec-id e1 --fifo-dir "$CTRD/fifo" "$id" /nonexistent
	[ "$status" -ne 0 ]
	[[ "$output" == *'exec: `/nonexistent`: No such file or directory'* ]]
	task_kill_rm "$id"
}

@test "containerd: the config.toml snippet names hako a runc v2 runtime; ctr runs with its BinaryName" {
	# containerd reads the snippet (imported, with the wrapper as the
	# binary) into a runtime "hako" of its CRI plugin.  ctr talks to the
	# task service, not to CRI, so it cannot select that runtime by name:
	# it gets the same runtime type and binary on its command line.
	sed "s|\"/usr/local/bin/hako\"|\"$CLIENTS_DIR/bin/hako\"|" "$CLIENTS_SRC/contrib/containerd/hako.toml" >"$CTRD/hako.toml"
	{
		echo "imports = [\"$CTRD/hako.toml\"]"
		grep -v '^disabled_plugins' "$CTRD/config.toml"
	} >"$CTRD/with-snippet.toml"
	run containerd --config "$CTRD/with-snippet.toml" config dump
	[ "$status" -eq 0 ]
	section="$(echo "$output" | awk '/^ *\[/ {in_ = ($0 ~ /runtimes\.hako(\.options)?\]$/)} in_')"
	type="$(echo "$section" | sed -n 's/^ *runtime_type = "\(.*\)"$/\1/p')"
	binary="$(echo "$section" | sed -n 's/^ *BinaryName = "\(.*\)"$/\1/p')"
	[ "$type" = io.containerd.runc.v2 ]
	[ "$binary" = "$CLIENTS_DIR/bin/hako" ]

	before="$(clients_calls "$CLIENTS_DIR/bin" | grep -c ' create ')"
	run ctr_ run --rm --runtime "$type" --runc-binary "$binary" --snapshotter "$CTR_SNAPSHOTTER" \
		--runc-root "$CTRD/runc" --fifo-dir "$CTRD/fifo" localhost/bb:latest "$(new_id)" echo via-snippet
	[ "$status" -eq 0 ]
	[ "$output" = via-snippet ]
	[ "$(clients_calls "$CLIENTS_DIR/bin" | grep -c ' create ')" -eq $((before + 1)) ]
}

@test "containerd: every runtime call the shim made is implemented by hako (the list is printed)" {
	cat >"$BATS_TEST_TMPDIR/expected" <<-'EOF'
		--root DIR --log FILE --log-format json create --bundle DIR --pid-file FILE ID
		--root DIR --log FILE --log-format json create --bundle DIR --pid-file FILE --console-socket PATH ID  # ctr run -t
		--root DIR --log FILE --log-format json start ID
		--root DIR --log FILE --log-format json exec --process FILE --detach --pid-file FILE ID
		--root DIR --log FILE --log-format json exec --process FILE --console-socket PATH --detach --pid-file FILE ID  # exec -t
		--root DIR --log FILE --log-format json ps --format json ID
		--root DIR --log FILE --log-format json pause ID
		--root DIR --log FILE --log-format json resume ID
		--root DIR --log FILE --log-format json kill ID 15
		--root DIR --log FILE --log-format json kill ID 9
		--root DIR --log FILE --log-format json kill --all ID 9
		--root DIR --log FILE --log-format json delete ID
		--root DIR --log FILE --log-format json delete --force ID
	EOF
	clients_check_invocations "$BATS_TEST_TMPDIR/expected" "$CLIENTS_DIR/bin" "$CLIENTS_DIR/quiet"
}
