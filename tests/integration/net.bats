#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# hako-net as a CNI plugin: ADD, CHECK, DEL, GC, STATUS, VERSION against
# network namespaces and a bridge made for each test.

load helpers
load net-helpers

setup() {
	[ -x "$HAKO_NET" ] || skip "hako-net not built"
	net_setup
}

teardown() {
	net_teardown
}

@test "net: VERSION lists the supported versions and echoes the request's" {
	run env -i CNI_COMMAND=VERSION "$HAKO_NET" <<<'{"cniVersion":"1.0.0"}'
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .cniVersion)" = 1.0.0 ]
	[ "$(echo "$output" | jq -c .supportedVersions)" = '["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]' ]
	run env -i CNI_COMMAND=VERSION "$HAKO_NET" </dev/null
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .cniVersion)" = 1.1.0 ]
}

@test "net: ADD attaches the container, CHECK finds it, DEL removes all of it" {
	ns="$(net_ns a)"
	cni ADD ctr-a "$ns"
	[ "$status" -eq 0 ]
	result="$output"
	echo "$result" | jq -e --arg br "$NET_BRIDGE" --arg ns "$ns" '
		.cniVersion == "1.0.0" and (.interfaces | length) == 3 and .interfaces[0].name == $br
		and (.interfaces[1].name | startswith("veth")) and .interfaces[2].name == "eth0"
		and .interfaces[2].sandbox == $ns and (.ips | length) == 1 and .ips[0].interface == 2'
	addr="$(echo "$result" | jq -r '.ips[0].address')"
	[[ "$addr" == "$NET_PREFIX".*/24 ]]
	[ "$(echo "$result" | jq -r '.ips[0].gateway')" = "$NET_PREFIX.1" ]
	mac="$(echo "$result" | jq -r '.interfaces[2].mac')"
	veth="$(echo "$result" | jq -r '.interfaces[1].name')"

	# In the container: the address, the MAC, lo up, the default route.
	run ip -n "${ns#/run/netns/}" -o -4 addr show dev eth0
	[[ "$output" == *"inet $addr "* ]]
	[ "$(ip netns exec "${ns#/run/netns/}" cat /sys/class/net/eth0/address)" = "$mac" ]
	[[ "$(ip -n "${ns#/run/netns/}" -o link show lo)" == *"LOWER_UP"* ]]
	[[ "$(ip -n "${ns#/run/netns/}" -o link show eth0)" == *"state UP"* ]]
	[[ "$(ip -n "${ns#/run/netns/}" route show default)" == "default via $NET_PREFIX.1 dev eth0"* ]]
	# On the host: the bridge with the gateway address, the veth on it, the
	# reservation in host-local's layout.
	[[ "$(ip -o -4 addr show dev "$NET_BRIDGE")" == *"inet $NET_PREFIX.1/24"* ]]
	[[ "$(ip -o link show master "$NET_BRIDGE")" == *"$veth@"* ]]
	[ "$(cat "$NET_DATA/$NET_NAME/${addr%/*}")" = "$(printf 'ctr-a\r\neth0')" ]
	# Reachable: the gateway answers the container.
	in_ns "$ns" ping -c 1 -W 2 "$NET_PREFIX.1"

	cni CHECK ctr-a "$ns" "$(with_prev "$result")"
	[ "$status" -eq 0 ]
	[ -z "$output" ]

	# A second ADD of the same attachment is refused, and changes nothing.
	cni ADD ctr-a "$ns"
	[ "$status" -ne 0 ]
	[ "$(cni_code)" = 100 ]
	[[ "$output" == *"eth0"*"already exists"* ]]
	cni CHECK ctr-a "$ns" "$(with_prev "$result")"
	[ "$status" -eq 0 ]

	# CHECK notices what goes missing: the masquerade rules, an address.
	nft delete table inet "hako-$NET_NAME"
	cni CHECK ctr-a "$ns" "$(with_prev "$result")"
	[ "$status" -ne 0 ]
	[ "$(cni_code)" = 104 ]
	[[ "$(echo "$output" | jq -r .msg)" == *"masquerade rules of table \`hako-$NET_NAME\` are missing"* ]]
	ip -n "${ns#/run/netns/}" addr del "$addr" dev eth0
	cni CHECK ctr-a "$ns" "$(with_prev "$result")"
	[ "$status" -ne 0 ]
	[ "$(cni_code)" = 104 ]
	[[ "$(echo "$output" | jq -r .msg)" == *"address $addr is missing"* ]]

	cni DEL ctr-a "$ns"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	! ip link show "$veth" 2>/dev/null || false
	! ip -n "${ns#/run/netns/}" link show eth0 2>/dev/null || false
	[ ! -e "$NET_DATA/$NET_NAME/${addr%/*}" ]
	net_assert_clean
	# DEL is idempotent, with or without the namespace.
	cni DEL ctr-a "$ns"
	[ "$status" -eq 0 ]
	cni DEL ctr-a ""
	[ "$status" -eq 0 ]
}

@test "net: two containers reach each other and the gateway; published ports answer on 127.0.0.1" {
	p1="$(net_port 1)" p2="$(net_port 2)"
	ns1="$(net_ns one)" ns2="$(net_ns two)"
	net_conf ".runtimeConfig.portMappings = [{hostPort: $p1, containerPort: 80, protocol: \"tcp\"}]" >"$BATS_TEST_TMPDIR/c1.json"
	net_conf ".runtimeConfig.portMappings = [{hostPort: $p2, containerPort: 80}]" >"$BATS_TEST_TMPDIR/c2.json"
	cni ADD one "$ns1" "$BATS_TEST_TMPDIR/c1.json"
	[ "$status" -eq 0 ]
	a1="$(echo "$output" | jq -r '.ips[0].address | split("/")[0]')"
	cni ADD two "$ns2" "$BATS_TEST_TMPDIR/c2.json"
	[ "$status" -eq 0 ]
	a2="$(echo "$output" | jq -r '.ips[0].address | split("/")[0]')"
	[ "$a1" != "$a2" ]

	in_ns "$ns1" ping -c 1 -W 2 "$a2"
	in_ns "$ns2" ping -c 1 -W 2 "$a1"
	in_ns "$ns1" ping -c 1 -W 2 "$NET_PREFIX.1"
	in_ns "$ns2" ping -c 1 -W 2 "$NET_PREFIX.1"

	serve "$ns1" "answer one"
	serve "$ns2" "answer two"
	[ "$(fetch "http://127.0.0.1:$p1/")" = "answer one" ]
	[ "$(fetch "http://127.0.0.1:$p2/")" = "answer two" ]
	# And on the host's other addresses (here the bridge's).
	[ "$(fetch "http://$NET_PREFIX.1:$p1/")" = "answer one" ]

	# The ports are elements of the network's maps.
	run nft list map inet "hako-$NET_NAME" ports4
	[[ "$output" == *"tcp . $p1 : $a1 . 80"* ]]
	[[ "$output" == *"tcp . $p2 : $a2 . 80"* ]]

	# DEL of one takes its port and nothing of the other's.
	cni DEL one "$ns1" "$BATS_TEST_TMPDIR/c1.json"
	[ "$status" -eq 0 ]
	run nft list map inet "hako-$NET_NAME" ports4
	[[ "$output" != *"$p1"* ]]
	[[ "$output" == *"tcp . $p2 : $a2 . 80"* ]]
	! fetch "http://127.0.0.1:$p1/" || false
	[ "$(fetch "http://127.0.0.1:$p2/")" = "answer two" ]
	cni DEL two "$ns2" "$BATS_TEST_TMPDIR/c2.json"
	[ "$status" -eq 0 ]
	net_assert_clean
}

@test "net: 20 concurrent ADDs get 20 distinct addresses; concurrent DELs release them all" {
	local i pids=()
	for i in $(seq 20); do
		net_ns "c$i" >/dev/null
	done
	for i in $(seq 20); do
		env -i PATH="$PATH" CNI_COMMAND=ADD CNI_CONTAINERID="c$i" CNI_NETNS="/run/netns/$NET_TAG-c$i" \
			CNI_IFNAME=eth0 "$HAKO_NET" <"$NET_CONF" >"$BATS_TEST_TMPDIR/add$i.out" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i"
	done
	cat "$BATS_TEST_TMPDIR"/add*.out | jq -r '.ips[0].address' | sort >"$BATS_TEST_TMPDIR/addrs"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/addrs")" -eq 20 ]
	[ "$(sort -u "$BATS_TEST_TMPDIR/addrs" | wc -l)" -eq 20 ]
	[ "$(ls "$NET_DATA/$NET_NAME" | grep -c "^$NET_PREFIX\.")" -eq 20 ]
	[ "$(ip -o link show master "$NET_BRIDGE" | wc -l)" -eq 20 ]
	# Each container has the address its result names.
	for i in $(seq 20); do
		a="$(jq -r '.ips[0].address' "$BATS_TEST_TMPDIR/add$i.out")"
		[[ "$(ip -n "$NET_TAG-c$i" -o -4 addr show dev eth0)" == *"inet $a "* ]]
	done
	pids=()
	for i in $(seq 20); do
		env -i PATH="$PATH" CNI_COMMAND=DEL CNI_CONTAINERID="c$i" CNI_NETNS="/run/netns/$NET_TAG-c$i" \
			CNI_IFNAME=eth0 "$HAKO_NET" <"$NET_CONF" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i"
	done
	net_assert_clean
}

@test "net: DEL releases the address for the next ADD, the veth and the nftables elements" {
	# A range of exactly one address.
	net_conf ".ipam.rangeStart = \"$NET_PREFIX.9\" | .ipam.rangeEnd = \"$NET_PREFIX.9\"
		| .runtimeConfig.portMappings = [{hostPort: $(net_port 3), containerPort: 8080, protocol: \"udp\"}]" >"$NET_CONF"
	ns1="$(net_ns a)" ns2="$(net_ns b)"
	cni ADD a "$ns1"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.ips[0].address')" = "$NET_PREFIX.9/24" ]
	veth="$(echo "$output" | jq -r '.interfaces[1].name')"
	[[ "$(nft list map inet "hako-$NET_NAME" ports4)" == *"udp . $(net_port 3) : $NET_PREFIX.9 . 8080"* ]]
	# Full: the next ADD fails, and leaves nothing.
	net_conf ".ipam.rangeStart = \"$NET_PREFIX.9\" | .ipam.rangeEnd = \"$NET_PREFIX.9\"" >"$BATS_TEST_TMPDIR/noport.json"
	cni ADD b "$ns2" "$BATS_TEST_TMPDIR/noport.json"
	[ "$status" -ne 0 ]
	[ "$(cni_code)" = 101 ]
	[[ "$output" == *"no free address"* ]]
	! ip -n "${ns2#/run/netns/}" link show eth0 2>/dev/null || false
	[ "$(ip -o link show master "$NET_BRIDGE" | wc -l)" -eq 1 ]

	cni DEL a "$ns1"
	[ "$status" -eq 0 ]
	! ip link show "$veth" 2>/dev/null || false
	net_assert_clean
	cni ADD b "$ns2" "$BATS_TEST_TMPDIR/noport.json"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.ips[0].address')" = "$NET_PREFIX.9/24" ]
	cni DEL b "$ns2" "$BATS_TEST_TMPDIR/noport.json"
	[ "$status" -eq 0 ]
	net_assert_clean
}

@test "net: an ADD killed at any point leaves nothing after DEL" {
	net_conf ".runtimeConfig.portMappings = [{hostPort: $(net_port 4), containerPort: 80}]" >"$NET_CONF"
	local i delay
	for i in $(seq 25); do
		ns="$(net_ns k$i)"
		delay="0.00$((i % 10))$((RANDOM % 10))"
		env -i PATH="$PATH" CNI_COMMAND=ADD CNI_CONTAINERID="k$i" CNI_NETNS="$ns" CNI_IFNAME=eth0 \
			"$HAKO_NET" <"$NET_CONF" >/dev/null &
		pid=$!
		sleep "$delay"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" || true
		cni DEL "k$i" "$ns"
		[ "$status" -eq 0 ]
		! ip -n "${ns#/run/netns/}" link show eth0 2>/dev/null || false
		net_assert_clean
	done
}

@test "net: an ADD killed at each of its steps leaves nothing after DEL" {
	command -v strace >/dev/null || skip "strace not installed"
	net_conf ".hairpinMode = true | .runtimeConfig.portMappings = [{hostPort: $(net_port 4), containerPort: 80}]" >"$NET_CONF"
	# strace holds the ADD just before (enter) or just after (exit) its Nth
	# such call, and it is killed there.  In order: the address and the port
	# reserved (linkat), the bridge looked up and created, its gateway
	# address, the veth pair, hairpin mode, lo and eth0 up, the address and
	# route in the container, the nftables commit.
	local point ns spid pid i=0
	for point in linkat:1:exit linkat:2:exit sendto:3:exit sendto:5:exit sendto:6:exit sendto:7:exit \
		sendto:9:exit sendto:11:exit sendto:13:exit sendmsg:1:enter sendmsg:1:exit; do
		i=$((i + 1))
		IFS=: read -r sys n when <<<"$point"
		ns="$(net_ns s$i)"
		ip link del "$NET_BRIDGE" 2>/dev/null || true
		env -i PATH="$PATH" CNI_COMMAND=ADD CNI_CONTAINERID="s$i" CNI_NETNS="$ns" CNI_IFNAME=eth0 \
			strace -qq -o /dev/null -e "trace=$sys" -e signal=none \
			-e "inject=$sys:delay_$when=20000000:when=$n" "$HAKO_NET" <"$NET_CONF" >"$BATS_TEST_TMPDIR/add.out" &
		spid=$!
		# (strace forks short-lived children of its own before the tracee.)
		wait_for pgrep -P "$spid" -x hako-net >/dev/null
		pid="$(pgrep -P "$spid" -x hako-net)"
		# Held in the delay (20 s; an ADD takes well under one): every
		# point is after the address is reserved.
		wait_for bash -c "ls '$NET_DATA/$NET_NAME' 2>/dev/null | grep -q '^$NET_PREFIX\.'" ||
			fail "$point: no address reserved"
		sleep 1
		[ -e "/proc/$pid" ] || fail "$point: the ADD was not held: $(cat "$BATS_TEST_TMPDIR/add.out")"
		kill -9 "$pid"
		# strace itself would sit out the rest of its delay.
		kill -9 "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
		cni DEL "s$i" "$ns"
		[ "$status" -eq 0 ]
		! ip -n "${ns#/run/netns/}" link show eth0 2>/dev/null || fail "$point: eth0 left in the container"
		net_assert_clean
	done
}

@test "net: a port published on hostIP answers on that address only" {
	p="$(net_port 6)"
	net_conf ".runtimeConfig.portMappings = [{hostPort: $p, containerPort: 80, hostIP: \"127.0.0.1\"}]" >"$NET_CONF"
	ns="$(net_ns a)"
	cni ADD a "$ns"
	[ "$status" -eq 0 ]
	a="$(echo "$output" | jq -r '.ips[0].address | split("/")[0]')"
	[[ "$(nft list map inet "hako-$NET_NAME" hostports4)" == *"127.0.0.1 . tcp . $p : $a . 80"* ]]
	serve "$ns" "local only"
	[ "$(fetch "http://127.0.0.1:$p/")" = "local only" ]
	! fetch "http://$NET_PREFIX.1:$p/" || false
	cni DEL a "$ns"
	[ "$status" -eq 0 ]
	net_assert_clean
}

@test "net: a device of the bridge's name that is no bridge fails ADD, which undoes itself" {
	ip link add "$NET_BRIDGE" type veth peer name "${NET_BRIDGE}p"
	ns="$(net_ns a)"
	cni ADD a "$ns"
	[ "$status" -ne 0 ]
	[ "$(cni_code)" = 100 ]
	[[ "$(echo "$output" | jq -r .msg)" == *"\`$NET_BRIDGE\` exists and is not a bridge (it is a veth)"* ]]
	! ip -n "${ns#/run/netns/}" link show eth0 2>/dev/null || false
	net_assert_clean
	[[ "$(ip -d link show "$NET_BRIDGE")" == *"veth"* ]]
}

@test "net: a port published twice fails the second ADD, which undoes itself" {
	net_conf ".runtimeConfig.portMappings = [{hostPort: $(net_port 5), containerPort: 80}]" >"$NET_CONF"
	ns1="$(net_ns a)" ns2="$(net_ns b)"
	cni ADD a "$ns1"
	[ "$status" -eq 0 ]
	cni ADD b "$ns2"
	[ "$status" -ne 0 ]
	[ "$(cni_code)" = 103 ]
	[[ "$output" == *"tcp/$(net_port 5) is already published"* ]]
	! ip -n "${ns2#/run/netns/}" link show eth0 2>/dev/null || false
	[ "$(ls "$NET_DATA/$NET_NAME" | grep -c "^$NET_PREFIX\.")" -eq 1 ]
	[ "$(ip -o link show master "$NET_BRIDGE" | wc -l)" -eq 1 ]
	cni DEL a "$ns1"
	[ "$status" -eq 0 ]
	net_assert_clean
}

# bad_config JQ-FILTER CODE TEXT: ADD with the edited configuration fails
# with CODE and a message containing TEXT, and creates nothing.
bad_config() {
	net_conf "$1" >"$BATS_TEST_TMPDIR/bad.json"
	cni ADD bad "$BAD_NS" "$BATS_TEST_TMPDIR/bad.json"
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$(cni_code)" = "$2" ]
	[[ "$(echo "$output" | jq -r .msg)" == *"$3"* ]]
	! ip link show "$NET_BRIDGE" 2>/dev/null || false
	[ ! -e "$NET_DATA" ]
	! ip -n "${BAD_NS#/run/netns/}" link show eth0 2>/dev/null || false
	! nft list table inet "hako-$NET_NAME" 2>/dev/null || false
}

@test "net: bad configurations give CNI errors naming the field, and create nothing" {
	BAD_NS="$(net_ns bad)"
	bad_config '.ipam.subnet = "10.231.0.0/33"' 7 'ipam.subnet: invalid CIDR `10.231.0.0/33`'
	bad_config '.ipam.subnet = "10.231.0.300/24"' 7 'invalid CIDR'
	bad_config '.ipam.subnet = "banana"' 7 'invalid CIDR'
	bad_config ".ipam.rangeStart = \"10.9.9.9\"" 7 "ipam.rangeStart: 10.9.9.9 is outside the subnet $NET_SUBNET"
	bad_config ".ipam.rangeEnd = \"$NET_PREFIX.300\"" 7 'ipam.rangeEnd: invalid IP address'
	bad_config ".ipam.gateway = \"10.1.1.1\"" 7 'ipam.gateway: 10.1.1.1 is outside the subnet'
	bad_config ".ipam.rangeStart = \"$NET_PREFIX.50\" | .ipam.rangeEnd = \"$NET_PREFIX.40\"" 7 'is after rangeEnd'
	bad_config '.ipam.subnet = "10.231.1.0/31"' 7 'too small'
	bad_config 'del(.name)' 7 'name: required property is missing'
	bad_config 'del(.cniVersion)' 7 'cniVersion: required property is missing'
	bad_config 'del(.type)' 7 'type: required property is missing'
	bad_config 'del(.ipam)' 7 'ipam: required property is missing'
	bad_config 'del(.ipam.type)' 7 'ipam.type: required property is missing'
	bad_config 'del(.ipam.subnet)' 7 'ipam: needs `subnet` or `ranges`'
	bad_config '.ipam.type = "dhcp"' 2 'ipam.type: unsupported value `dhcp`'
	bad_config '.promiscMode = true' 2 'promiscMode: unsupported field'
	bad_config '.vlan = 5' 2 'vlan: unsupported field'
	bad_config '.mtu = "big"' 7 'mtu: expected integer, got string'
	bad_config '.mtu = 20' 7 'mtu: 20 is below'
	bad_config '.bridge = "a/b"' 7 'bridge: `a/b` is not a valid interface name'
	bad_config '.name = "-x"' 7 'name: `-x` must start with a letter or digit'
	bad_config '.cniVersion = "9.9.9"' 1 'cniVersion: unsupported version `9.9.9`'
	bad_config '.runtimeConfig.portMappings = [{hostPort: 0, containerPort: 80}]' 7 'runtimeConfig.portMappings[0].hostPort'
	bad_config '.runtimeConfig.portMappings = [{hostPort: 80, containerPort: 80, protocol: "icmp"}]' 7 'runtimeConfig.portMappings[0].protocol'
	bad_config '.ipam.routes = [{dst: "nowhere"}]' 7 'ipam.routes[0].dst: invalid CIDR `nowhere`'
	bad_config '.ipam.ranges = [[{subnet: "10.231.2.0/24"}, {subnet: "fd00::/64"}]]' 7 'mixes IPv4 and IPv6'

	# Not JSON at all.
	echo '{"cniVersion": ' >"$BATS_TEST_TMPDIR/bad.json"
	cni ADD bad "$BAD_NS" "$BATS_TEST_TMPDIR/bad.json"
	[ "$status" -ne 0 ]
	[ "$(cni_code)" = 6 ]
	# The environment: missing variables are named; a bad container id.
	run env -i CNI_COMMAND=ADD "$HAKO_NET" <"$NET_CONF"
	[ "$status" -ne 0 ]
	[ "$(cni_code)" = 4 ]
	[[ "$(echo "$output" | jq -r .msg)" == *"CNI_CONTAINERID, CNI_IFNAME, CNI_NETNS"* ]]
	cni ADD 'bad id!' "$BAD_NS"
	[ "$(cni_code)" = 4 ]
	cni ADD ok "/proc/self/ns/mnt"
	[ "$(cni_code)" = 4 ]
	[[ "$(echo "$output" | jq -r .msg)" == *"is not a network namespace"* ]]
	cni ADD ok "/proc/$$/ns/net"
	[ "$(cni_code)" = 4 ]
	[[ "$(echo "$output" | jq -r .msg)" == *"is hako-net's own network namespace"* ]]
	CNI_ARGS="FOO=bar" cni ADD ok "$BAD_NS"
	[ "$(cni_code)" = 4 ]
	[[ "$(echo "$output" | jq -r .msg)" == *"unknown argument \`FOO\`"* ]]
	run env -i CNI_COMMAND=FROB "$HAKO_NET" <"$NET_CONF"
	[ "$(cni_code)" = 4 ]
	! ip link show "$NET_BRIDGE" 2>/dev/null || false
	[ ! -e "$NET_DATA" ]
}

@test "net: CNI_ARGS IP= and runtimeConfig.ips pick the address; IgnoreUnknown passes other keys" {
	ns1="$(net_ns a)" ns2="$(net_ns b)"
	CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAME=x;IP=$NET_PREFIX.77" cni ADD a "$ns1"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.ips[0].address')" = "$NET_PREFIX.77/24" ]
	CNI_ARGS="IP=$NET_PREFIX.77" cni ADD b "$ns2"
	[ "$status" -ne 0 ]
	[[ "$output" == *"already allocated"* ]]
	net_conf ".runtimeConfig.ips = [\"$NET_PREFIX.78/24\"]" >"$BATS_TEST_TMPDIR/ips.json"
	cni ADD b "$ns2" "$BATS_TEST_TMPDIR/ips.json"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.ips[0].address')" = "$NET_PREFIX.78/24" ]
	cni DEL a "$ns1"
	cni DEL b "$ns2"
	net_assert_clean
}

@test "net: IPv6 alongside IPv4 (ranges), with MTU, MAC, hairpin mode and 0.4.0 results" {
	t="$(printf %x "0x${NET_TAG:0:4}")"
	v6="fd42:$t:0:1::/64"
	net_conf ".cniVersion = \"0.4.0\" | .mtu = 1400 | .hairpinMode = true | .isDefaultGateway = true | .ipMasq = false
		| .runtimeConfig.mac = \"02:42:ac:11:00:99\" | .runtimeConfig.portMappings = [{hostPort: $(net_port 9), containerPort: 80}]
		| .ipam = {type: \"host-local\", dataDir: \"$NET_DATA\",
		           ranges: [[{subnet: \"$NET_SUBNET\"}], [{subnet: \"$v6\", rangeStart: \"fd42:$t:0:1::10\"}]]}" >"$NET_CONF"
	ns="$(net_ns six)"
	cni ADD six "$ns"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.ips | length == 2'
	echo "$output" | jq -e '.ips[0].version == "4" and .ips[1].version == "6"'
	[ "$(echo "$output" | jq -r '.ips[1].address')" = "fd42:$t:0:1::10/64" ]
	echo "$output" | jq -e '[.routes[].dst] == ["0.0.0.0/0", "::/0"]'
	result="$output"
	n="${ns#/run/netns/}"
	[[ "$(ip -n "$n" -o -6 addr show dev eth0)" == *"fd42:$t:0:1::10/64"* ]]
	[[ "$(ip -n "$n" -6 route show default)" == "default via fd42:$t:0:1::1 dev eth0"* ]]
	[ "$(ip netns exec "$n" cat /sys/class/net/eth0/mtu)" = 1400 ]
	[ "$(ip netns exec "$n" cat /sys/class/net/eth0/address)" = 02:42:ac:11:00:99 ]
	veth="$(echo "$result" | jq -r '.interfaces[1].name')"
	[ "$(cat "/sys/class/net/$veth/brport/hairpin_mode")" = 1 ]
	[ "$(cat "/sys/class/net/$veth/mtu")" = 1400 ]
	in_ns "$ns" ping -6 -c 1 -W 2 "fd42:$t:0:1::1"
	in_ns "$ns" ping -c 1 -W 2 "$NET_PREFIX.1"
	# The published port, on the host's IPv6 and IPv4 addresses.
	[[ "$(nft list map inet "hako-$NET_NAME" ports6)" == *"tcp . $(net_port 9) : fd42:$t:0:1::10 . 80"* ]]
	serve "$ns" "over six"
	[ "$(fetch "http://[fd42:$t:0:1::1]:$(net_port 9)/")" = "over six" ]
	[ "$(fetch "http://127.0.0.1:$(net_port 9)/")" = "over six" ]
	cni CHECK six "$ns" "$(with_prev "$result")"
	[ "$status" -eq 0 ]
	cni DEL six "$ns"
	[ "$status" -eq 0 ]
	net_assert_clean
}

@test "net: CHECK needs 0.4.0; GC and STATUS need 1.1.0" {
	ns="$(net_ns a)"
	net_conf '.cniVersion = "0.3.1"' >"$BATS_TEST_TMPDIR/old.json"
	cni CHECK a "$ns" "$(with_prev '{}' "$BATS_TEST_TMPDIR/old.json")"
	[ "$(cni_code)" = 1 ]
	run env -i CNI_COMMAND=STATUS "$HAKO_NET" <"$NET_CONF"
	[ "$(cni_code)" = 1 ]
}

@test "net: GC releases what no valid attachment holds; STATUS reports an exhausted range" {
	net_conf ".cniVersion = \"1.1.0\" | .ipam.rangeStart = \"$NET_PREFIX.10\" | .ipam.rangeEnd = \"$NET_PREFIX.11\"
		| .runtimeConfig.portMappings = [{hostPort: $(net_port 6), containerPort: 80}]" >"$NET_CONF"
	ns1="$(net_ns a)" ns2="$(net_ns b)"
	run env -i CNI_COMMAND=STATUS "$HAKO_NET" <"$NET_CONF"
	[ "$status" -eq 0 ]
	cni ADD keep "$ns1"
	[ "$status" -eq 0 ]
	net_conf ".cniVersion = \"1.1.0\" | .ipam.rangeStart = \"$NET_PREFIX.10\" | .ipam.rangeEnd = \"$NET_PREFIX.11\"" >"$BATS_TEST_TMPDIR/plain.json"
	cni ADD stale "$ns2" "$BATS_TEST_TMPDIR/plain.json"
	[ "$status" -eq 0 ]
	stale="$(echo "$output" | jq -r '.ips[0].address | split("/")[0]')"
	run env -i CNI_COMMAND=STATUS "$HAKO_NET" <"$NET_CONF"
	[ "$status" -ne 0 ]
	[ "$(cni_code)" = 50 ]
	jq '."cni.dev/valid-attachments" = [{containerID: "keep", ifname: "eth0"}]' "$NET_CONF" >"$BATS_TEST_TMPDIR/gc.json"
	run env -i CNI_COMMAND=GC CNI_PATH=/nonexistent "$HAKO_NET" <"$BATS_TEST_TMPDIR/gc.json"
	[ "$status" -eq 0 ]
	[ ! -e "$NET_DATA/$NET_NAME/$stale" ]
	[ -e "$NET_DATA/$NET_NAME/$(ls "$NET_DATA/$NET_NAME" | grep "^$NET_PREFIX\.")" ]
	[ "$(ip -o link show master "$NET_BRIDGE" | wc -l)" -eq 1 ]
	[[ "$(nft list map inet "hako-$NET_NAME" ports4)" == *"$(net_port 6)"* ]]
	run env -i CNI_COMMAND=STATUS "$HAKO_NET" <"$NET_CONF"
	[ "$status" -eq 0 ]
	# GC with no valid attachment: everything goes.
	jq '."cni.dev/valid-attachments" = []' "$NET_CONF" >"$BATS_TEST_TMPDIR/gc.json"
	run env -i CNI_COMMAND=GC CNI_PATH=/nonexistent "$HAKO_NET" <"$BATS_TEST_TMPDIR/gc.json"
	[ "$status" -eq 0 ]
	net_assert_clean
}

@test "net: hook mode does ADD for a creating container's namespace and DEL when stopped" {
	ns="$(net_ns hook)"
	ip netns exec "${ns#/run/netns/}" sleep 300 &
	pid=$!
	want="$(ip netns exec "${ns#/run/netns/}" readlink /proc/self/ns/net)"
	wait_for bash -c "[ \"\$(readlink /proc/$pid/ns/net)\" = '$want' ]"
	port="$(net_port 7)"
	state="{\"ociVersion\":\"1.3.0\",\"id\":\"hook-$NET_TAG\",\"status\":\"creating\",\"pid\":$pid,\"bundle\":\"/tmp\"}"
	run "$HAKO_NET" hook --config "$NET_CONF" --publish "$port:80/tcp" <<<"$state"
	[ "$status" -eq 0 ]
	[[ "$(ip -n "${ns#/run/netns/}" -o -4 addr show dev eth0)" == *"inet $NET_PREFIX."* ]]
	[[ "$(nft list map inet "hako-$NET_NAME" ports4)" == *"tcp . $port"* ]]
	serve "$ns" "from the hook"
	[ "$(fetch "http://127.0.0.1:$port/")" = "from the hook" ]
	# A configuration list works as well as a plugin configuration; its
	# version is the highest hako-net supports of cniVersion and cniVersions.
	jq '{cniVersion: "0.2.0", cniVersions: ["0.2.0", "1.0.0", "7.0.0"], name, plugins: [del(.cniVersion, .name)]}' \
		"$NET_CONF" >"$BATS_TEST_TMPDIR/list.json"
	run "$HAKO_NET" hook --config "$BATS_TEST_TMPDIR/list.json" --publish "$port:80/tcp" \
		<<<"${state/creating/stopped}"
	[ "$status" -eq 0 ]
	! ip -n "${ns#/run/netns/}" link show eth0 2>/dev/null || false
	net_assert_clean
	# Errors: an unknown status, a bad --publish, a missing config.
	run "$HAKO_NET" hook --config "$NET_CONF" <<<"${state/creating/running}"
	[ "$status" -eq 1 ]
	[[ "$output" == *"status \`running\`"* ]]
	run "$HAKO_NET" hook --config "$NET_CONF" --publish 80 <<<"$state"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--publish \`80\`"* ]]
	run "$HAKO_NET" hook --config "$BATS_TEST_TMPDIR/nope.json" <<<"$state"
	[ "$status" -eq 1 ]
	[[ "$output" == *"nope.json"* ]]
	# A container in the host's namespace is refused, and nothing made.
	run "$HAKO_NET" hook --config "$NET_CONF" <<<"${state/\"pid\":$pid/\"pid\":$$}"
	[ "$status" -eq 1 ]
	[[ "$output" == *"hako-net's own network namespace"* ]]
	net_assert_clean
	! ip -n "${ns#/run/netns/}" link show eth0 2>/dev/null || false
	kill "$pid"
}
