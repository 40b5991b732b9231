#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Debian's podman (with conmon) using hako exactly as it uses runc: hako is
# chosen by contrib/containers.conf.d/50-hako.conf (through CONTAINERS_CONF),
# the store is private (vfs), cgroups are made by podman's cgroupfs manager
# under a parent of this file's own, containers have no network (--network
# none) or one made here, and the image is busybox-static imported with
# `podman import`.  hako's state goes to a private root: the logging
# wrapper adds --root, as podman (as root) passes none, and
# `podman --runtime-flag root=...` would be lost on podman's cleanup path.
# The last test checks every runtime call podman made.

load helpers
load clients-helpers
bats_require_minimum_version 1.5.0

setup_file() {
	clients_setup
	local p="$CLIENTS_DIR/podman"
	mkdir -p "$p/root" "$p/runroot" "$p/tmp"
	clients_containers_conf "$p/containers.conf" "$CLIENTS_DIR/bin/hako"
	# Root lacks CAP_SYS_RESOURCE here: the limits podman would raise, for
	# every container (the infra containers of pods too).
	printf '\n[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=1024:1024"]\n' >>"$p/containers.conf"
	cat >"$p/podman" <<-EOF
		#!/bin/sh
		export CONTAINERS_CONF='$p/containers.conf'
		exec podman --root '$p/root' --runroot '$p/runroot' --tmpdir '$p/tmp' \\
			--storage-driver vfs --cgroup-manager cgroupfs --events-backend file "\$@"
	EOF
	chmod 755 "$p/podman"
	export PODMAN="$p/podman" HAKO_STATE="$CLIENTS_DIR/hako-root" CGPARENT="hako-clients-podman-$$"
	clients_rootfs_tar "$CLIENTS_DIR/bb.tar"
	"$PODMAN" import --change 'ENV PATH=/bin' "$CLIENTS_DIR/bb.tar" localhost/bb >/dev/null
}

teardown() {
	clients_mark_ran
}

teardown_file() {
	[ -n "${PODMAN:-}" ] && "$PODMAN" rm -a -f -t 0 >/dev/null 2>&1
	clients_rm_cgroups "$CGPARENT"
	[ -n "${CLIENTS_DIR:-}" ] && rm -rf "$CLIENTS_DIR"
}

# The options every container of this file gets.
RUN_OPTS='--network none'

prun() {
	# shellcheck disable=SC2086
	"$PODMAN" run $RUN_OPTS --cgroup-parent "/$CGPARENT" "$@"
}

# Podman's status of a container and the host pid of its init.
pstatus() { "$PODMAN" inspect -f '{{.State.Status}}' "$1"; }
ppid_of() { "$PODMAN" inspect -f '{{.State.Pid}}' "$1"; }

@test "podman: hako is the runtime named by the containers.conf snippet; run --rm prints the output" {
	run "$PODMAN" info --format '{{.Host.OCIRuntime.Name}}|{{.Host.OCIRuntime.Path}}|{{.Host.OCIRuntime.Version}}'
	[ "$status" -eq 0 ]
	[[ "$output" == "hako|$CLIENTS_DIR/bin/hako|hako version "* ]]

	run prun --rm localhost/bb echo hello from hako
	[ "$status" -eq 0 ]
	[ "$output" = "hello from hako" ]
	# Through the wrapper; nothing left in hako's state.
	clients_calls "$CLIENTS_DIR/bin" | grep -q "^--log-format=json --log .* create --bundle "
	clients_calls "$CLIENTS_DIR/bin" | grep -q "^start "
	[ -z "$(ls "$HAKO_STATE")" ]
}

@test "podman: the exit status of the process" {
	run prun --rm localhost/bb sh -c 'exit 3'
	[ "$status" -eq 3 ]
	run prun --rm localhost/bb false
	[ "$status" -eq 1 ]
}

@test "podman: run -d, exec, logs, top, pause/unpause, stop (TERM, then KILL after -t), rm" {
	# sleep as PID 1 has no handler: SIGTERM does nothing to it.
	run prun -d localhost/bb sh -c 'echo started; exec sleep 1000'
	[ "$status" -eq 0 ]
	c="$output"
	[ "$(pstatus "$c")" = running ]
	pid="$(ppid_of "$c")"
	# The pid file hako wrote is the init podman knows, in podman's cgroup.
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 1000 " ]
	[ "$(proc_cgroup_dir "$pid" memory)" = "/sys/fs/cgroup/memory/$CGPARENT/libpod-$c" ]
	[ -d "$HAKO_STATE/$c" ]

	run "$PODMAN" exec "$c" sh -c 'echo in-exec; cat /proc/1/cmdline | tr "\0" " "'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = in-exec ]
	[ "${lines[1]}" = "sleep 1000 " ]
	run "$PODMAN" exec "$c" sh -c 'exit 4'
	[ "$status" -eq 4 ]
	run "$PODMAN" exec --user 1000 -e FOO=bar -w /tmp "$c" sh -c 'id -u; echo $FOO; pwd'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1000\nbar\n/tmp')" ]

	run "$PODMAN" logs "$c"
	[ "$output" = started ]
	run "$PODMAN" top "$c" pid args
	[ "$status" -eq 0 ]
	echo "$output" | grep -Eq '^ *1 +sleep 1000 *$'

	"$PODMAN" pause "$c"
	[ "$(pstatus "$c")" = paused ]
	[ "$(cat "$(proc_cgroup_dir "$pid" freezer)/freezer.state")" = FROZEN ]
	[ "$(awk '/^State:/ {print $2}' "/proc/$pid/status")" != R ]
	"$PODMAN" unpause "$c"
	[ "$(pstatus "$c")" = running ]
	[ "$(cat "$(proc_cgroup_dir "$pid" freezer)/freezer.state")" = THAWED ]
	run "$PODMAN" exec "$c" echo after-unpause
	[ "$output" = after-unpause ]

	start=$SECONDS
	"$PODMAN" stop -t 2 "$c" 2>/dev/null
	[ $((SECONDS - start)) -ge 2 ]
	[ "$(pstatus "$c")" = exited ]
	[ "$("$PODMAN" inspect -f '{{.State.ExitCode}}' "$c")" = 137 ]
	clients_calls "$CLIENTS_DIR/bin" | grep -Eq "(^| )kill $c 15\$"
	clients_calls "$CLIENTS_DIR/bin" | grep -Eq "(^| )kill $c 9\$"

	"$PODMAN" rm "$c"
	run "$PODMAN" ps -a -q --no-trunc
	[[ "$output" != *"$c"* ]]
	[ ! -e "$HAKO_STATE/$c" ]
	[ ! -e "/sys/fs/cgroup/memory/$CGPARENT/libpod-$c" ]
	clients_calls "$CLIENTS_DIR/bin" | grep -Eq "(^| )delete --force $c\$"
}

@test "podman: stop of a process that handles SIGTERM ends it at once with its own status" {
	run prun -d localhost/bb sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
	[ "$status" -eq 0 ]
	c="$output"
	start=$SECONDS
	"$PODMAN" stop -t 20 "$c"
	[ $((SECONDS - start)) -lt 10 ]
	[ "$("$PODMAN" inspect -f '{{.State.ExitCode}}' "$c")" = 7 ]
	"$PODMAN" rm "$c"
}

@test "podman: run -it and exec -it get a pty through conmon's console socket" {
	cmd="$(printf '%q ' "$PODMAN" run -it --rm $RUN_OPTS --cgroup-parent "/$CGPARENT" localhost/bb \
		sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo both-ttys; read -r line; echo "got $line"')"
	run with_timeout 60 script -qec "$cmd" /dev/null <<<"typed-in"
	[ "$status" -eq 0 ]
	out="$(echo "$output" | tr -d '\r' | sed 's/\^@//g')" # script echoes the end of its stdin as ^@
	echo "$out" # shown when the test fails
	echo "$out" | grep -qx '/dev/pts/0'
	echo "$out" | grep -qx 'both-ttys'
	echo "$out" | grep -qx 'got typed-in'
	clients_calls "$CLIENTS_DIR/bin" | grep -q " create --bundle .* --console-socket "

	run prun -d localhost/bb sleep 1000
	c="$output"
	run with_timeout 60 script -qec "$(printf '%q ' "$PODMAN" exec -it "$c" sh -c 'tty; echo exec-ok')" /dev/null </dev/null
	[ "$status" -eq 0 ]
	out="$(echo "$output" | tr -d '\r' | sed 's/\^@//g')" # script echoes the end of its stdin as ^@
	echo "$out" # shown when the test fails
	echo "$out" | grep -q '/dev/pts/[0-9]$'
	echo "$out" | grep -qx 'exec-ok'
	clients_calls "$CLIENTS_DIR/bin" | grep -q " exec .*--tty --console-socket .* $c\$"
	"$PODMAN" rm -f -t 0 "$c"
}

@test "podman: --memory, --cpus, --pids-limit are in the container's cgroup; podman update changes them" {
	run prun -d --memory 64m --cpus 0.5 --pids-limit 100 localhost/bb sleep 1000
	[ "$status" -eq 0 ]
	c="$output"
	run "$PODMAN" exec "$c" sh -c 'cd /sys/fs/cgroup && cat memory/memory.limit_in_bytes cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us pids/pids.max'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '67108864\n50000\n100000\n100')" ]
	pid="$(ppid_of "$c")"
	[ "$(cat "$(proc_cgroup_dir "$pid" memory)/memory.limit_in_bytes")" = 67108864 ]
	[ "$(cat "$(proc_cgroup_dir "$pid" pids)/pids.max")" = 100 ]

	"$PODMAN" update --memory 32m --cpus 0.25 "$c"
	[ "$(cat "$(proc_cgroup_dir "$pid" memory)/memory.limit_in_bytes")" = 33554432 ]
	[ "$(cat "$(proc_cgroup_dir "$pid" cpu)/cpu.cfs_quota_us")" = 25000 ]
	clients_calls "$CLIENTS_DIR/bin" | grep -Eq "(^| )update --resources=.* $c\$"
	"$PODMAN" rm -f -t 0 "$c"
}

@test "podman: --memory 512k (crun's published floor): the container starts under that limit" {
	run prun --rm --memory 512k localhost/bb cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	[ "$status" -eq 0 ]
	[ "$output" = 524288 ]
}

@test "podman: --read-only makes / read-only, with podman's tmpfs on /tmp" {
	run prun --rm --read-only localhost/bb sh -c 'touch /x; touch /tmp/y && echo tmp-ok; grep " / " /proc/mounts'
	echo "$output" # shown when the test fails
	[ "$status" -eq 0 ]
	# (stderr and stdout come through separate pipes: any order)
	echo "$output" | grep -q "^touch: /x: Read-only file system$"
	echo "$output" | grep -qx tmp-ok
	echo "$output" | grep -Eq "^[^ ]+ / [^ ]+ ro,"
	run prun --rm localhost/bb sh -c 'touch /x && echo rw-ok'
	[ "$output" = rw-ok ]
}

@test "podman: --cap-drop and --cap-add set the capability sets" {
	run prun --rm --cap-drop all --cap-add NET_RAW --cap-add CHOWN localhost/bb grep ^Cap /proc/self/status
	[ "$status" -eq 0 ]
	# CHOWN is bit 0, NET_RAW bit 13.
	echo "$output" | grep -qx 'CapEff:[[:space:]]*0000000000002001'
	echo "$output" | grep -qx 'CapPrm:[[:space:]]*0000000000002001'
	echo "$output" | grep -qx 'CapBnd:[[:space:]]*0000000000002001'
	echo "$output" | grep -qx 'CapAmb:[[:space:]]*0000000000000000'

	run prun --rm localhost/bb awk '/^CapEff/ {print $2}' /proc/self/status
	full=$((16#$output))
	run prun --rm --cap-drop CHOWN localhost/bb awk '/^CapEff/ {print $2}' /proc/self/status
	dropped=$((16#$output))
	[ $((full & 1)) -eq 1 ]
	[ "$dropped" -eq $((full & ~1)) ]
	run prun --rm --cap-drop CHOWN localhost/bb sh -c 'touch /tmp/f && chown 1000 /tmp/f'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "podman: --security-opt seccomp=PROFILE is the filter; unconfined has none" {
	cat >"$BATS_TEST_TMPDIR/profile.json" <<-'EOF'
		{"defaultAction": "SCMP_ACT_ALLOW",
		 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
	EOF
	run prun --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/profile.json" localhost/bb \
		sh -c 'grep ^Seccomp: /proc/self/status; mkdir /tmp/d; touch /tmp/f && echo touch-ok'
	[ "$status" -eq 0 ]
	echo "$output" | grep -qx 'Seccomp:[[:space:]]*2'
	echo "$output" | grep -q "can't create directory '/tmp/d': Operation not permitted"
	echo "$output" | grep -qx touch-ok

	run prun --rm --security-opt seccomp=unconfined localhost/bb sh -c 'grep ^Seccomp: /proc/self/status; mkdir /tmp/d && echo mkdir-ok'
	echo "$output" | grep -qx 'Seccomp:[[:space:]]*0'
	echo "$output" | grep -qx mkdir-ok
	# podman's default profile.
	run prun --rm localhost/bb grep ^Seccomp: /proc/self/status
	echo "$output" | grep -qx 'Seccomp:[[:space:]]*2'
}

@test "podman: --user and -v bind volumes (rw and ro)" {
	vol="$BATS_TEST_TMPDIR/vol"
	mkdir -p "$vol"
	echo from-host >"$vol/in"
	chmod 777 "$vol"
	run prun --rm --user 1000:1000 -v "$vol:/data" localhost/bb sh -c 'id; cat /data/in; echo from-container >/data/out'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "uid=1000(user) gid=1000(user) groups=1000(user)" ]
	[ "${lines[1]}" = from-host ]
	[ "$(cat "$vol/out")" = from-container ]
	[ "$(stat -c %u:%g "$vol/out")" = 1000:1000 ]

	run prun --rm -v "$vol:/data:ro" localhost/bb sh -c 'cat /data/in; echo x >/data/new'
	[ "$status" -ne 0 ]
	echo "$output" | grep -qx from-host
	[[ "$output" == *"Read-only file system"* ]]
	[ ! -e "$vol/new" ]
}

@test "podman: --init runs podman's init as PID 1 and passes the status on" {
	run prun --rm --init localhost/bb sh -c 'tr "\0" " " </proc/1/cmdline; echo; echo $$; exit 5'
	[ "$status" -eq 5 ]
	[[ "${lines[0]}" == "/run/podman-init -- sh -c "* ]]
	[ "${lines[1]}" != 1 ]
}

@test "podman: hostname, environment, working directory, --tmpfs and --shm-size" {
	run prun --rm --hostname hk -e FOO=bar -w /tmp --tmpfs /scratch:size=1m --shm-size 2m localhost/bb \
		sh -c 'hostname; echo $FOO; pwd; grep -E " (/scratch|/dev/shm) " /proc/mounts'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hk ]
	[ "${lines[1]}" = bar ]
	[ "${lines[2]}" = /tmp ]
	echo "$output" | grep -Eq '^tmpfs /scratch tmpfs .*size=1024k'
	echo "$output" | grep -Eq '^shm /dev/shm tmpfs .*size=2048k'
}

@test "podman: a pod: the container joins the infra container's namespaces" {
	pod="pod$BATS_TEST_NUMBER-$RANDOM"
	"$PODMAN" pod create --name "$pod" --network none --cgroup-parent "/$CGPARENT" >/dev/null
	# (no --network of its own: the pod's)
	run "$PODMAN" run --rm --pod "$pod" --cgroup-parent "/$CGPARENT" localhost/bb sh -c 'hostname; for n in ipc net uts; do readlink /proc/self/ns/$n; done'
	[ "$status" -eq 0 ]
	infra="$("$PODMAN" pod inspect -f '{{.InfraContainerID}}' "$pod")"
	ipid="$(ppid_of "$infra")"
	[ "${lines[0]}" = "$pod" ]
	[ "${lines[1]}" = "$(readlink "/proc/$ipid/ns/ipc")" ]
	[ "${lines[2]}" = "$(readlink "/proc/$ipid/ns/net")" ]
	[ "${lines[3]}" = "$(readlink "/proc/$ipid/ns/uts")" ]
	[ "${lines[1]}" != "$(readlink /proc/self/ns/ipc)" ]
	"$PODMAN" pod rm -f "$pod" >/dev/null
}

@test "podman: --network ns:PATH joins a network namespace made here; --sysctl applies in it" {
	ns="hako-clients-$$-$RANDOM"
	ip netns add "$ns"
	run "$PODMAN" run --rm --cgroup-parent "/$CGPARENT" --network "ns:/run/netns/$ns" \
		--sysctl net.ipv4.ping_group_range="0 1000" localhost/bb \
		sh -c 'readlink /proc/self/ns/net; cat /proc/sys/net/ipv4/ping_group_range'
	inode="$(stat -L -c %i "/run/netns/$ns")"
	in_ns="$(ip netns exec "$ns" cat /proc/sys/net/ipv4/ping_group_range)"
	ip netns del "$ns"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "net:[$inode]" ]
	[ "${lines[1]}" = "$(printf '0\t1000')" ]
	[ "$in_ns" = "$(printf '0\t1000')" ]
}

@test "podman: --privileged: every capability hako holds, no seccomp, the host's devices, /sys writable" {
	run prun --rm --privileged localhost/bb sh -c 'awk "/^(CapEff|Seccomp):/ {print \$2}" /proc/self/status; grep " /sys " /proc/mounts; ls /dev'
	[ "$status" -eq 0 ]
	# (root here lacks CAP_SYS_RESOURCE: it cannot be given)
	[ "${lines[0]}" = "$(awk '/^CapEff:/ {print $2}' /proc/self/status)" ]
	[ "${lines[1]}" = 0 ]
	[[ "${lines[2]}" == "sysfs /sys sysfs rw,"* ]]
	devs="$(find /dev -maxdepth 1 -type b -printf '%f\n' | head -3)"
	[ -n "$devs" ]
	for dev in $devs; do
		echo "$output" | grep -qx "$dev"
	done
}

@test "podman: --pid, --ipc, --uts host share the host's namespaces" {
	run prun --rm --pid host --ipc host --uts host localhost/bb \
		sh -c 'for n in pid ipc uts; do readlink /proc/self/ns/$n; done; hostname'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink /proc/self/ns/pid)" ]
	[ "${lines[1]}" = "$(readlink /proc/self/ns/ipc)" ]
	[ "${lines[2]}" = "$(readlink /proc/self/ns/uts)" ]
	[ "${lines[3]}" = "$(hostname)" ]
}

@test "podman: --device, --oom-score-adj, --cpu-shares, --memory-reservation" {
	run prun --rm --device /dev/null:/dev/mynull --oom-score-adj 100 --cpu-shares 512 --memory-reservation 32m localhost/bb \
		sh -c 'stat -c "%F %t,%T" /dev/mynull; echo x >/dev/mynull && echo write-ok
			cat /proc/self/oom_score_adj /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/memory/memory.soft_limit_in_bytes'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "character special file 1,3" ]
	[ "${lines[1]}" = write-ok ]
	[ "${lines[2]}" = 100 ]
	[ "${lines[3]}" = 512 ]
	[ "${lines[4]}" = 33554432 ]
}

@test "podman: --preserve-fds passes a descriptor through conmon and hako" {
	echo passed-fd >"$BATS_TEST_TMPDIR/fd"
	run prun --rm --preserve-fds 1 localhost/bb sh -c 'cat <&3' 3<"$BATS_TEST_TMPDIR/fd"
	[ "$status" -eq 0 ]
	[ "$output" = passed-fd ]
	run prun --rm localhost/bb sh -c 'cat <&3' 3<"$BATS_TEST_TMPDIR/fd"
	[ "$status" -ne 0 ]
	clients_calls "$CLIENTS_DIR/bin" | grep -q " create .*--preserve-fds 1 "
}

@test "podman: a short command, many times (no start race)" {
	for i in $(seq 8); do
		run prun --rm localhost/bb sh -c 'echo $$'
		[ "$status" -eq 0 ]
		[ "$output" = 1 ]
	done
}

@test "podman: hako's error reaches the user through --log (stderr discarded): 127; 126 from start" {
	# The quiet wrapper drops hako's stderr: the text below can only come
	# from the --log-format=json --log file podman asks for.
	quiet=("$PODMAN" --runtime "$CLIENTS_DIR/quiet/hako" run $RUN_OPTS --cgroup-parent "/$CGPARENT" --rm)
	run -127 "${quiet[@]}" localhost/bb /nonexistent
	[[ "$output" == *'exec: `/nonexistent`: No such file or directory'* ]]
	clients_calls "$CLIENTS_DIR/quiet" | grep -q -- "--log-format=json --log .* create "

	# exec of a missing binary (exec --detach through conmon, with --log).
	run "$PODMAN" --runtime "$CLIENTS_DIR/quiet/hako" run -d $RUN_OPTS --cgroup-parent "/$CGPARENT" localhost/bb sleep 1000
	c="$output"
	run -127 "$PODMAN" exec "$c" /nonexistent
	[[ "$output" == *'exec: `/nonexistent`: No such file or directory'* ]]
	clients_calls "$CLIENTS_DIR/quiet" | grep -q -- "--log-format=json --log .* exec .* $c\$"
	"$PODMAN" rm -f -t 0 "$c"

	# Not executable: found at start, which podman calls without --log, so
	# the message comes through hako's stderr.
	run -126 prun --rm localhost/bb /etc/passwd
	[[ "$output" == *'`/etc/passwd`: Permission denied'* ]]
}

@test "podman: every runtime call podman made is implemented by hako (the list is printed)" {
	cat >"$BATS_TEST_TMPDIR/expected" <<-'EOF'
		# shape                                                              checked by
		--version                                                            # info
		--log-format=json --log FILE create --bundle DIR --pid-file FILE ID
		--log-format=json --log FILE create --bundle DIR --pid-file FILE --console-socket PATH ID  # run -it
		--log-format=json --log FILE create --bundle DIR --pid-file FILE --preserve-fds N ID  # --preserve-fds
		start ID
		--log-format=json --log FILE exec --pid-file FILE --process FILE --detach ID
		--log-format=json --log FILE exec --pid-file FILE --process FILE --detach --tty --console-socket PATH ID  # exec -it
		kill ID 15                                                # stop
		kill ID 9                                                 # stop after -t, rm -f
		pause ID
		resume ID
		update --resources=FILE ID                                # podman update
		delete --force ID                                         # rm, run --rm
	EOF
	clients_check_invocations "$BATS_TEST_TMPDIR/expected" "$CLIENTS_DIR/bin" "$CLIENTS_DIR/quiet"
}
