#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Rootless: hako run by an ordinary user (made for this file, with its own
# subordinate ids in /etc/subuid and /etc/subgid, removed at the end).
# `spec --rootless` maps the user alone; more ids go through
# newuidmap/newgidmap.  The container's processes get exactly the ids
# asked; create, start, exec, kill and delete all work as that user.

load helpers
load lifecycle-lib

# In place, so that the config stays the user's (helpers' version replaces
# the file).
update_config() {
	local tmp
	tmp="$(mktemp)"
	jq "$1" "$BUNDLE/config.json" >"$tmp" && cat "$tmp" >"$BUNDLE/config.json"
	rm -f "$tmp"
}

setup_file() {
	export RL_USER="hako-life-$$"
	RL_SUB="$(cat /etc/subuid /etc/subgid 2>/dev/null | awk -F: 'BEGIN {m = 100000} $2 + $3 > m {m = $2 + $3} END {print m}')"
	export RL_SUB
	useradd -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 -M -d /nonexistent -s /bin/sh "$RL_USER"
	usermod --add-subuids "$RL_SUB-$((RL_SUB + 65535))" --add-subgids "$RL_SUB-$((RL_SUB + 65535))" "$RL_USER"
	RL_UID="$(id -u "$RL_USER")"
	RL_GID="$(id -g "$RL_USER")"
	export RL_UID RL_GID
}

teardown_file() {
	if [ -n "${RL_USER:-}" ]; then
		usermod --del-subuids "$RL_SUB-$((RL_SUB + 65535))" --del-subgids "$RL_SUB-$((RL_SUB + 65535))" "$RL_USER" 2>/dev/null
		userdel "$RL_USER" 2>/dev/null
	fi
	true
}

setup() {
	setup_hako
	HAKO="$(any_user_copy "$HAKO")"
	# everything the user touches is the user's
	RL_DIR="$BATS_TEST_TMPDIR/rl"
	mkdir -p "$RL_DIR/xdg"
	chmod 700 "$RL_DIR/xdg"
	BUNDLE="$RL_DIR/bundle"
	mkdir -p "$BUNDLE"
	cp -a "$(base_rootfs)" "$BUNDLE/rootfs"
	rm -f "$BUNDLE/rootfs/.done"
	HAKO_ROOT="$RL_DIR/root"
	chown -R "$RL_UID:$RL_GID" "$RL_DIR"
	traversable "$RL_DIR"
	(cd "$BUNDLE" && rl "$HAKO" spec --rootless)
	update_config '.process.terminal = false | .process.args = ["probe","ids","--","cat","/proc/self/uid_map","--","cat","/proc/self/gid_map"]'
	chown "$RL_UID" "$BUNDLE/config.json"
}

teardown() {
	rl "$HAKO" --root "$HAKO_ROOT" list -q 2>/dev/null | while read -r id; do
		rl "$HAKO" --root "$HAKO_ROOT" delete -f "$id" >/dev/null 2>&1
	done
	teardown_hako
}

# rl CMD...: run as the user, with a clean environment of its own.
rl() {
	runuser -u "$RL_USER" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/nonexistent USER="$RL_USER" \
		XDG_RUNTIME_DIR="$RL_DIR/xdg" "$@"
}

rhako() {
	rl "$HAKO" --root "$HAKO_ROOT" "$@"
}

# maps OUTPUT: the uid_map and gid_map lines, "a b c;" each.
maps() {
	echo "$1" | grep -E '^ +[0-9]+ +[0-9]+ +[0-9]+$' | tr -s ' ' | sed 's/^ //' | tr '\n' ';'
}

@test "rootless: spec --rootless maps the user alone; run works and the process is root of its namespace" {
	[ "$(jq -c .linux.uidMappings "$BUNDLE/config.json")" = "[{\"containerID\":0,\"hostID\":$RL_UID,\"size\":1}]" ]
	[ "$(jq -c .linux.gidMappings "$BUNDLE/config.json")" = "[{\"containerID\":0,\"hostID\":$RL_GID,\"size\":1}]" ]
	jq -e '.linux.namespaces | map(.type) | index("user") and (index("network") | not)' "$BUNDLE/config.json"
	run rhako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *$'uid=0\ngid=0\neuid=0\negid=0'* ]]
	[ "$(maps "$output")" = "0 $RL_UID 1;0 $RL_GID 1;" ]
	assert_no_leftovers "$ID"
	# the state went to the user's directory, never /run/hako
	[ ! -e "/run/hako/$ID" ]
	# the maps are written before the init turns non-dumpable (its /proc
	# files then belong to root): no race, run after run
	local i
	for i in $(seq 15); do
		run rhako run -b "$BUNDLE" "$ID-$i"
		[ "$status" -eq 0 ] || fail "run $i: $output"
	done
}

@test "rootless: more ids through newuidmap/newgidmap; process.user and additionalGids exactly, shifted on the host" {
	local m="[{\"containerID\":0,\"hostID\":$RL_UID,\"size\":1},{\"containerID\":1,\"hostID\":$RL_SUB,\"size\":65536}]"
	local g="[{\"containerID\":0,\"hostID\":$RL_GID,\"size\":1},{\"containerID\":1,\"hostID\":$RL_SUB,\"size\":65536}]"
	update_config ".linux.uidMappings = $m | .linux.gidMappings = $g | .process.user = {\"uid\":1000,\"gid\":1000,\"additionalGids\":[5]}"
	update_config '.process.args += ["--","sleep","100"]'
	rhako run -d -b "$BUNDLE" --pid-file "$RL_DIR/pid" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>/dev/null
	wait_file "$BATS_TEST_TMPDIR/out" "$RL_SUB *65536"
	sleep 0.2
	local out pid
	out="$(cat "$BATS_TEST_TMPDIR/out")"
	pid="$(cat "$RL_DIR/pid")"
	[[ "$out" == *$'uid=1000\ngid=1000\neuid=1000\negid=1000\ngroups=5'* ]]
	[ "$(maps "$out")" = "0 $RL_UID 1;1 $RL_SUB 65536;0 $RL_GID 1;1 $RL_SUB 65536;" ]
	[ "$(awk '/^Uid:/ {print $2, $5}' "/proc/$pid/status")" = "$((RL_SUB + 999)) $((RL_SUB + 999))" ]
	[ "$(awk '/^Groups:/ {print $2}' "/proc/$pid/status")" = "$((RL_SUB + 4))" ]
	# the user's own state: running
	[ "$(rhako state "$ID" | jq -r .status)" = running ]
	# exec as the user: joins every namespace (pid included) with the ids
	# asked; -g adds to the config's additionalGids, as runc does
	run rhako exec --user 1001:1002 -g 7 "$ID" probe ids -- pid -- ns pid
	[ "$status" -eq 0 ]
	[[ "$output" == *$'uid=1001\ngid=1002\neuid=1001\negid=1002\ngroups=5,7'* ]]
	[[ "$output" == *"ns_pid=$(ns_of "$pid" pid)"* ]]
	[ "$(echo "$output" | sed -n 's/^pid=//p')" -gt 1 ]
	run rhako exec "$ID" sh -c 'exit 9'
	[ "$status" -eq 9 ]
	# with a terminal hako relays, sized before the process runs
	run rl /usr/bin/python3 "$TESTS_DIR/helpers/ptyrun.py" --size 21x61 -- "$HAKO" --root "$HAKO_ROOT" exec -t "$ID" sh -c 'stty size; exit 2'
	[ "$status" -eq 2 ]
	[[ "$output" == *"21 61"* ]]
	rhako exec -d --pid-file "$RL_DIR/epid" "$ID" probe sleep 100
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$(cat "$RL_DIR/epid")/status")" = "$((RL_SUB + 999))" ]
	[ "$(rhako ps --format json "$ID" | jq length)" -ge 1 ]
	rhako kill "$ID" KILL
	wait_for bash -c "[ \"\$(runuser -u '$RL_USER' -- '$HAKO' --root '$HAKO_ROOT' state '$ID' | jq -r .status)\" = stopped ]"
	rhako delete "$ID"
	assert_no_leftovers "$ID"
	gone "$(cat "$RL_DIR/epid")"
}

@test "rootless: create and start as the user; ids outside the user's subordinate range are refused" {
	update_config '.process.args = ["probe","sleep","100"]'
	rhako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	[ "$(rhako state "$ID" | jq -r .status)" = created ]
	[ "$(rhako state "$ID" | jq -r .pid)" -gt 0 ]
	rhako start "$ID"
	[ "$(rhako state "$ID" | jq -r .status)" = running ]
	rhako delete -f "$ID"
	assert_no_leftovers "$ID"
	# root may not be given away: a range the user does not own
	update_config '.linux.uidMappings = [{"containerID":0,"hostID":0,"size":1}]'
	run rhako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"newuidmap"* ]]
	assert_no_leftovers "$ID"
}
