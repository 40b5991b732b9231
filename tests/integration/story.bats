#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The story our users come from (bocker, mini-docker), end to end: pull
# busybox from a registry into a bundle, run it as a web server with CPU
# and memory limits and a published port, and see from the host what the
# container sees: PID 1, its own hostname, its own root, its own address
# on the bridge; the limits in its cgroup; the page on 127.0.0.1.

load helpers
load net-helpers
load ../pull/pull-helpers

setup_file() {
	pull_setup_file
}

teardown_file() {
	pull_teardown_file
}

setup() {
	[ -x "$HAKO_NET" ] || skip "hako-net not built"
	pull_setup
	net_setup
}

teardown() {
	pull_teardown
	net_teardown
}

@test "story: pull busybox, run a web server with limits and a published port, reach it from the host" {
	local port page pid addr
	port="$(net_port 1)"
	# The container writes what it sees into its page, then becomes httpd.
	hpull -q "$REG/test/busybox:1" "$B" --hostname webbox --cpus 0.5 --memory 64m \
		--net bridge --net-config "$NET_CONF" -p "$port:8080" -- sh -c '
		mkdir -p /www
		{
			echo "pid $$"
			echo "hostname $(hostname)"
			echo "root $(ls / | tr "\n" " ")"
			echo "addr $(ip -o -4 addr show dev eth0 | sed "s/.*inet \([0-9.]*\).*/\1/")"
		} >/www/index.html
		exec httpd -f -p 8080 -h /www'
	hako run -d -b "$B" "$ID" </dev/null >/dev/null
	wait_for bash -c "wget -q -t 1 -T 2 -O /dev/null http://127.0.0.1:$port/"
	page="$(fetch "http://127.0.0.1:$port/")"
	echo "$page"
	# PID 1 (httpd is the shell exec'd), alone in its pid namespace.
	[[ "$page" == *"pid 1"* ]]
	[ "$(hako ps --format json "$ID")" = "[$(hako state "$ID" | jq .pid)]" ]
	[ "$(hostname)" != webbox ]
	[[ "$page" == *"hostname webbox"* ]]
	# Its own root: the image's, with the marker the test image carries,
	# not the host's.
	[[ "$page" == *"root "*"bin "*"etc "*"proc "* ]]
	[[ "$page" != *"root "*"boot "* ]]
	[ "$(hako exec "$ID" cat /etc/marker)" = busybox ]
	# Its own address on the test bridge, in the test subnet.
	addr="$(echo "$page" | sed -n 's/^addr //p')"
	[[ "$addr" == "$NET_PREFIX".* ]]
	[ "$addr" != "$NET_PREFIX.1" ]
	ip -o link show master "$NET_BRIDGE" | grep -q veth
	# The limits, read back from the container's cgroup on the host.
	pid="$(hako state "$ID" | jq -r .pid)"
	[ "$(cat /proc/$pid/comm)" = httpd ]
	local mem cpu
	if grep -q '^0::/' /proc/$pid/cgroup && [ ! -d /sys/fs/cgroup/memory ]; then
		local d="/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/$pid/cgroup)"
		mem="$(cat "$d/memory.max")"
		cpu="$(cat "$d/cpu.max")"
		[ "$cpu" = "50000 100000" ]
	else
		mem="$(cat "/sys/fs/cgroup/memory$(sed -n 's/^[0-9]*:memory://p' /proc/$pid/cgroup)/memory.limit_in_bytes")"
		cpu="$(cat "/sys/fs/cgroup/cpu,cpuacct$(sed -n 's/^[0-9]*:cpu,cpuacct://p' /proc/$pid/cgroup)/cpu.cfs_quota_us" 2>/dev/null ||
			cat "/sys/fs/cgroup/cpu$(sed -n 's/^[0-9]*:cpu[a-z,]*://p' /proc/$pid/cgroup | head -n1)/cpu.cfs_quota_us")"
		[ "$cpu" = 50000 ]
	fi
	[ "$mem" = 67108864 ]
	# Stopped and deleted: the port, the address and the veth are gone.
	hako kill "$ID" KILL
	wait_for bash -c "[ \"\$('$HAKO' --root '$HAKO_ROOT' state '$ID' | jq -r .status)\" = stopped ]"
	hako delete "$ID"
	! fetch "http://127.0.0.1:$port/" 2>/dev/null || false
	net_assert_clean
	assert_no_leftovers "$ID"
}
