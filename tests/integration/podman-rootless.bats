#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Rootless podman with hako: a user made for this file, with subordinate
# uid and gid ranges of its own in /etc/subuid and /etc/subgid (removed
# again at the end), its own XDG_RUNTIME_DIR and store.  Podman runs conmon
# and hako as uid 0 of a user namespace it makes with newuidmap; hako then
# keeps its state in $XDG_RUNTIME_DIR/hako (podman passes no --root), and,
# as cgroup v1 gives an unprivileged user no cgroup, runs without one.
# hako is chosen by contrib's containers.conf snippet.

load helpers
load clients-helpers
bats_require_minimum_version 1.5.0

setup_file() {
	clients_setup rootless
	export RL_USER="hako-rl-$$"
	touch /etc/subuid /etc/subgid # usermod --add-subuids needs them
	# A range above every one already given out.
	RL_SUB="$(cat /etc/subuid /etc/subgid 2>/dev/null | awk -F: 'BEGIN {m = 100000} $2 + $3 > m {m = $2 + $3} END {print m}')"
	export RL_SUB
	useradd -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 -M -d "$CLIENTS_DIR/home" -s /bin/sh "$RL_USER"
	usermod --add-subuids "$RL_SUB-$((RL_SUB + 65535))" --add-subgids "$RL_SUB-$((RL_SUB + 65535))" "$RL_USER"
	RL_UID="$(id -u "$RL_USER")"
	export RL_UID
	local p="$CLIENTS_DIR/podman"
	mkdir -p "$CLIENTS_DIR/home" "$CLIENTS_DIR/xdg" "$p"
	chmod 700 "$CLIENTS_DIR/xdg"
	clients_containers_conf "$p/containers.conf" "$CLIENTS_DIR/bin/hako"
	cat >"$p/podman" <<-EOF
		#!/bin/sh
		cd /
		exec runuser -u '$RL_USER' -- env -i HOME='$CLIENTS_DIR/home' USER='$RL_USER' LOGNAME='$RL_USER' \\
			PATH=/usr/sbin:/usr/bin:/sbin:/bin XDG_RUNTIME_DIR='$CLIENTS_DIR/xdg' \\
			CONTAINERS_CONF='$p/containers.conf' \\
			podman --root '$p/root' --runroot '$p/runroot' --storage-driver vfs \\
			--cgroup-manager cgroupfs --events-backend file "\$@"
	EOF
	chmod 755 "$p/podman"
	chown -R "$RL_USER:" "$CLIENTS_DIR/home" "$CLIENTS_DIR/xdg" "$p"
	export PODMAN="$p/podman"
	clients_rootfs_tar "$CLIENTS_DIR/bb.tar"
	chmod 644 "$CLIENTS_DIR/bb.tar"
	"$PODMAN" import --change 'ENV PATH=/bin' "$CLIENTS_DIR/bb.tar" localhost/bb >/dev/null 2>&1
}

teardown() {
	clients_mark_ran
}

teardown_file() {
	[ -n "${PODMAN:-}" ] && "$PODMAN" rm -a -f -t 0 >/dev/null 2>&1
	if [ -n "${RL_USER:-}" ] && id "$RL_USER" >/dev/null 2>&1; then
		# What this file's user still runs (podman's pause process for its
		# user namespace, a conmon on its way out), by pid; userdel refuses
		# a user with processes.
		local pids i
		for i in $(seq 50); do
			pids="$(pgrep -u "$RL_USER")" || break
			# shellcheck disable=SC2086
			kill -9 $pids 2>/dev/null
			sleep 0.1
		done
		userdel "$RL_USER" || echo "# userdel $RL_USER failed" >&3
	fi
	[ -n "${CLIENTS_DIR:-}" ] && rm -rf "$CLIENTS_DIR"
}

prun() {
	"$PODMAN" run --network none "$@"
}

@test "rootless podman: hako runs the container as root of the user's namespace, state in \$XDG_RUNTIME_DIR/hako" {
	run "$PODMAN" info --format '{{.Host.OCIRuntime.Name}}|{{.Host.Security.Rootless}}'
	[ "$output" = "hako|true" ]

	run prun --rm localhost/bb sh -c 'id -u; cat /proc/self/uid_map /proc/self/gid_map'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	# uid 0 is the user; 1.. the subordinate range made for it.
	echo "${lines[1]}" | grep -Eq "^ +0 +$RL_UID +1$"
	echo "${lines[2]}" | grep -Eq "^ +1 +$RL_SUB +65536$"
	echo "${lines[4]}" | grep -Eq "^ +1 +$RL_SUB +65536$"

	run prun -d localhost/bb sleep 1000
	[ "$status" -eq 0 ]
	c="$output"
	[ -d "$CLIENTS_DIR/xdg/hako/$c" ]
	pid="$("$PODMAN" inspect -f '{{.State.Pid}}' "$c")"
	[ "$(stat -c %u "/proc/$pid")" = "$RL_UID" ]
	clients_calls "$CLIENTS_DIR/bin" | grep -Eq "^(--[a-z-]+[= ][^ ]+ )*create --bundle [^ ]+ --pid-file [^ ]+ $c\$"
	# podman passed no --root: hako chose it.
	! clients_calls "$CLIENTS_DIR/bin" | grep -q -- '--root' || false
	"$PODMAN" rm -f -t 0 "$c"
	[ ! -e "$CLIENTS_DIR/xdg/hako/$c" ]
}

@test "rootless podman: exit status, run -d, exec, stop, rm" {
	run prun --rm localhost/bb sh -c 'exit 3'
	[ "$status" -eq 3 ]

	run prun -d localhost/bb sh -c 'trap "exit 7" TERM; echo started; while :; do sleep 0.1; done'
	c="$output"
	run "$PODMAN" exec "$c" sh -c 'echo in-exec; exit 4'
	[ "$status" -eq 4 ]
	[ "$output" = in-exec ]
	wait_for sh -c "'$PODMAN' logs '$c' | grep -qx started"
	"$PODMAN" stop -t 10 "$c"
	[ "$("$PODMAN" inspect -f '{{.State.ExitCode}}' "$c")" = 7 ]
	"$PODMAN" rm "$c"
	[ ! -e "$CLIENTS_DIR/xdg/hako/$c" ]
}

@test "rootless podman: --user and a bind volume map to the subordinate ids" {
	vol="$CLIENTS_DIR/vol"
	mkdir -p "$vol"
	chmod 777 "$vol"
	run prun --rm --user 1000:1000 -v "$vol:/data" localhost/bb sh -c 'id -u; echo x >/data/f'
	[ "$status" -eq 0 ]
	[ "$output" = 1000 ]
	# Container uid 1000 is subordinate id RL_SUB + 999 on the host.
	[ "$(stat -c %u:%g "$vol/f")" = "$((RL_SUB + 999)):$((RL_SUB + 999))" ]
	run prun --rm -v "$vol:/data" localhost/bb sh -c 'echo y >/data/g'
	[ "$(stat -c %u "$vol/g")" = "$RL_UID" ]
}

@test "rootless podman: --userns=keep-id (hako makes a user namespace inside podman's)" {
	run prun --rm --userns=keep-id localhost/bb sh -c 'id -u; cat /proc/self/uid_map'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$RL_UID" ]
	echo "$output" | grep -Eq "^ +$RL_UID +0 +1\$"
}

@test "rootless podman: hako's error for a missing binary reaches the user (127)" {
	run -127 prun --rm localhost/bb /nonexistent
	[[ "$output" == *'exec: `/nonexistent`: No such file or directory'* ]]
}

@test "rootless podman: every runtime call podman made is implemented by hako (the list is printed)" {
	cat >"$BATS_TEST_TMPDIR/expected" <<-'EOF'
		--version
		--log-format=json --log FILE create --bundle DIR --pid-file FILE ID
		start ID
		--log-format=json --log FILE exec --pid-file FILE --process FILE --detach ID
		kill ID 15
		kill ID 9
		delete --force ID
	EOF
	clients_check_invocations "$BATS_TEST_TMPDIR/expected" "$CLIENTS_DIR/bin"
}
