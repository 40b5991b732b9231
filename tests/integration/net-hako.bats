#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The whole story: hako creates each container's network namespace and
# runs `hako-net hook` as its createRuntime hook (ADD) and poststop hook
# (DEL), as hako-pull writes them into bundles.  Two busybox httpd
# containers publish host ports to the same container port: bundles
# written here, then bundles hako-pull makes from an image.

load helpers
load net-helpers

setup() {
	[ -x "$HAKO_NET" ] || skip "hako-net not built"
	setup_hako
	net_setup
	net_conf '.hairpinMode = true' >"$NET_CONF"
}

teardown() {
	teardown_hako
	net_teardown
}

# web_bundle ID HOST-PORT TEXT: a bundle whose httpd answers TEXT, with
# hako-net hooks publishing HOST-PORT to port 80.
web_bundle() {
	setup_bundle httpd -f -p 80 -h /www
	mkdir -p "$BUNDLE/rootfs/www"
	echo "$3" >"$BUNDLE/rootfs/www/index.html"
	local hook
	hook="$(jq -n --arg path "$HAKO_NET" --arg conf "$NET_CONF" --arg pub "$2:80/tcp" \
		'{path: $path, args: ["hako-net", "hook", "--config", $conf, "--publish", $pub]}')"
	update_config ".hooks = {createRuntime: [$hook], poststop: [$hook]}
		| .linux.namespaces |= (map(select(.type != \"network\")) + [{type: \"network\"}])"
	eval "BUNDLE_$1=\$BUNDLE"
}

pid_of() {
	hako state "$1" | jq -r .pid
}

# The two servers answer on 127.0.0.1:50001 and :50002 (TEXT1, TEXT2),
# reach each other and the gateway; stopped and deleted, they leave
# nothing.
check_story() {
	local pid1 pid2 a1 a2
	hako start "$ID-one"
	hako start "$ID-two"
	pid1="$(pid_of "$ID-one")" pid2="$(pid_of "$ID-two")"
	a1="$(nsenter --net="/proc/$pid1/ns/net" ip -o -4 addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)"
	a2="$(nsenter --net="/proc/$pid2/ns/net" ip -o -4 addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)"
	[[ "$a1" == "$NET_PREFIX".* && "$a2" == "$NET_PREFIX".* && "$a1" != "$a2" ]]

	wait_for bash -c "wget -q -t 1 -T 2 -O /dev/null http://127.0.0.1:50001/"
	wait_for bash -c "wget -q -t 1 -T 2 -O /dev/null http://127.0.0.1:50002/"
	[ "$(fetch http://127.0.0.1:50001/)" = "$1" ]
	[ "$(fetch http://127.0.0.1:50002/)" = "$2" ]
	nsenter --net="/proc/$pid1/ns/net" "$BUSYBOX" ping -c 1 -W 2 "$a2"
	nsenter --net="/proc/$pid2/ns/net" "$BUSYBOX" ping -c 1 -W 2 "$a1"
	nsenter --net="/proc/$pid1/ns/net" "$BUSYBOX" ping -c 1 -W 2 "$NET_PREFIX.1"
	nsenter --net="/proc/$pid2/ns/net" "$BUSYBOX" ping -c 1 -W 2 "$NET_PREFIX.1"

	# Stopping and deleting runs poststop: DEL releases everything.
	hako kill "$ID-one" KILL
	hako kill "$ID-two" KILL
	wait_for bash -c "[ \"\$('$HAKO' --root '$HAKO_ROOT' state '$ID-one' | jq -r .status)\" = stopped ]"
	wait_for bash -c "[ \"\$('$HAKO' --root '$HAKO_ROOT' state '$ID-two' | jq -r .status)\" = stopped ]"
	hako delete "$ID-one"
	hako delete "$ID-two"
	! fetch http://127.0.0.1:50001/ || false
	net_assert_clean
}

ports_free() {
	local p
	for p in 50001 50002; do
		! ss -ltn "sport = :$p" | grep -q LISTEN || return 1
		! nft list ruleset 2>/dev/null | grep -q "tcp \. $p :" || return 1
	done
}

@test "net-hako: two containers publishing 50001 and 50002 to port 80 answer on 127.0.0.1, reach each other and the gateway" {
	ports_free || skip "host port 50001 or 50002 is in use"
	web_bundle one 50001 "hello from one"
	web_bundle two 50002 "hello from two"
	hako create -b "$BUNDLE_one" "$ID-one" </dev/null >/dev/null
	hako create -b "$BUNDLE_two" "$ID-two" </dev/null >/dev/null
	check_story "hello from one" "hello from two"
}

@test "net-hako: the same with bundles hako-pull makes from an image with --net bridge --publish" {
	[ -x "$HAKO_BUILDDIR/hako-pull" ] || skip "hako-pull not built"
	ports_free || skip "host port 50001 or 50002 is in use"
	local layout="$BATS_TEST_TMPDIR/layout" name port
	BUSYBOX="$BUSYBOX" python3 "$TESTS_DIR/pull/mkimage.py" "$layout" busybox >/dev/null
	for name in one two; do
		port=50001
		[ "$name" = two ] && port=50002
		"$HAKO_BUILDDIR/hako-pull" --cache "$BATS_TEST_TMPDIR/cache" -q "oci:$layout:busybox" \
			"$BATS_TEST_TMPDIR/bundle-$name" --hostname "$name" --net bridge --net-config "$NET_CONF" \
			-p "$port:80" -- sh -c 'mkdir -p /www && echo "hello from $(hostname)" >/www/index.html && exec httpd -f -p 80 -h /www'
		hako create -b "$BATS_TEST_TMPDIR/bundle-$name" "$ID-$name" </dev/null >/dev/null
	done
	check_story "hello from one" "hello from two"
}

@test "net-hako: a createRuntime hook that cannot attach the container fails create, leaving nothing" {
	web_bundle one "$(net_port 9)" "never served"
	# The second container asks for the host port the first holds.
	web_bundle two "$(net_port 9)" "never served"
	hako create -b "$BUNDLE_one" "$ID-one" </dev/null >/dev/null
	run hako create -b "$BUNDLE_two" "$ID-two" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"already published"* ]]
	[ ! -e "$HAKO_ROOT/$ID-two" ]
	[ "$(ls "$NET_DATA/$NET_NAME" | grep -c "^$NET_PREFIX\.")" -eq 1 ]
	hako delete --force "$ID-one"
	net_assert_clean
}
