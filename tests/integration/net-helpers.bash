# SPDX-License-Identifier: Apache-2.0
# Shared by the net*.bats files: a private network for each test (its own
# bridge, network name, /24 subnet, address store and nftables table) and
# network namespaces the test creates.  Traffic stays inside them.

HAKO_NET="${HAKO_NET:-$HAKO_BUILDDIR/hako-net}"

# net_setup: NET_TAG, NET_NAME, NET_BRIDGE, NET_SUBNET (10.231.X.0/24, X
# free on this host), NET_PREFIX (10.231.X), NET_DATA, NET_CONF (a plugin
# configuration file) and NET_NS_LIST (the namespaces net_ns made, in a
# file since net_ns runs in command substitutions).
net_setup() {
	NET_TAG="$(printf '%04x%02x' $((($$ * 31 + RANDOM) % 65536)) "$BATS_TEST_NUMBER")"
	NET_NAME="hkt-$NET_TAG"
	NET_BRIDGE="hkb$NET_TAG"
	local x=$(((RANDOM + BATS_TEST_NUMBER * 7) % 200 + 20)) i
	for i in $(seq 200); do
		if ! ip -4 route show | grep -q "^10\.231\.$x\." && ! ip -4 addr show | grep -q "inet 10\.231\.$x\."; then
			break
		fi
		x=$(((x + 1) % 200 + 20))
	done
	NET_PREFIX="10.231.$x"
	NET_SUBNET="$NET_PREFIX.0/24"
	NET_DATA="$BATS_TEST_TMPDIR/ipam"
	NET_CONF="$BATS_TEST_TMPDIR/net.json"
	NET_NS_LIST="$BATS_TEST_TMPDIR/netns"
	: >"$NET_NS_LIST"
	net_conf >"$NET_CONF"
}

# net_conf [JQ-FILTER]: the test network's configuration, edited by JQ.
net_conf() {
	jq -n --arg name "$NET_NAME" --arg br "$NET_BRIDGE" --arg subnet "$NET_SUBNET" --arg data "$NET_DATA" '{
		cniVersion: "1.0.0", name: $name, type: "hako-net", bridge: $br,
		isGateway: true, ipMasq: true,
		ipam: { type: "host-local", subnet: $subnet, dataDir: $data, routes: [{ dst: "0.0.0.0/0" }] }
	}' | jq "${1:-.}"
}

# net_ns NAME: a network namespace of this test, /run/netns/<tag>-NAME.
net_ns() {
	local ns="$NET_TAG-$1"
	ip netns add "$ns"
	echo "$ns" >>"$NET_NS_LIST"
	echo "/run/netns/$ns"
}

# cni COMMAND ID NETNS [CONF-FILE]: run hako-net as a runtime would;
# output in $output.  CNI_IFNAME is $IFNAME or eth0.
cni() {
	local cmd="$1" id="$2" netns="$3" conf="${4:-$NET_CONF}"
	run env -i PATH="$PATH" CNI_COMMAND="$cmd" CNI_CONTAINERID="$id" CNI_NETNS="$netns" \
		CNI_IFNAME="${IFNAME:-eth0}" CNI_PATH=/nonexistent ${CNI_ARGS:+CNI_ARGS="$CNI_ARGS"} \
		"$HAKO_NET" <"$conf"
}

# The error code of a CNI error reply in $output.
cni_code() {
	echo "$output" | jq -r .code
}

# with_prev RESULT [CONF]: a configuration with prevResult set (CHECK).
with_prev() {
	local f="$BATS_TEST_TMPDIR/prev.json"
	jq --argjson r "$1" '.prevResult = $r' "${2:-$NET_CONF}" >"$f"
	echo "$f"
}

# Host ports for this test, unlikely to be in use.
net_port() {
	echo $((40000 + (0x${NET_TAG:0:4} % 2000) * 10 + $1))
}

# Nothing of the test network is left: no veth on the bridge, no address
# reserved, no nftables table.
net_assert_clean() {
	if ip link show "$NET_BRIDGE" >/dev/null 2>&1; then
		[ -z "$(ip -o link show master "$NET_BRIDGE")" ] || fail "ports left on $NET_BRIDGE: $(ip -o link show master "$NET_BRIDGE")"
	fi
	if [ -d "$NET_DATA/$NET_NAME" ]; then
		local left
		left="$(ls "$NET_DATA/$NET_NAME" | grep -v -e '^lock$' -e '^last_reserved_ip' || true)"
		[ -z "$left" ] || fail "addresses left in the store: $left"
	fi
	if [ -d "$NET_DATA/.hako-ports" ]; then
		[ -z "$(ls "$NET_DATA/.hako-ports")" ] || fail "ports left in the store: $(ls "$NET_DATA/.hako-ports")"
	fi
	! nft list table inet "hako-$NET_NAME" >/dev/null 2>&1 || fail "nftables table hako-$NET_NAME left"
}

net_teardown() {
	local ns pid
	for ns in $(cat "$NET_NS_LIST" 2>/dev/null); do
		# Processes the test started in its namespaces (httpd, sleep).
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	ip link del "$NET_BRIDGE" 2>/dev/null || true
	nft delete table inet "hako-$NET_NAME" 2>/dev/null || true
	rm -rf "$NET_DATA"
}

# The host's wget, once, with a timeout.
fetch() {
	wget -q -t 1 -T 5 -O - "$1"
}

# busybox applet in the namespace NETNS-PATH.
in_ns() {
	local ns="${1#/run/netns/}"
	shift
	ip netns exec "$ns" "$BUSYBOX" "$@"
}

# serve NETNS-PATH TEXT: busybox httpd on port 80 in the namespace,
# answering TEXT.
serve() {
	local dir
	dir="$(mktemp -d "$BATS_TEST_TMPDIR/www.XXXXXX")"
	echo "$2" >"$dir/index.html"
	ip netns exec "${1#/run/netns/}" "$BUSYBOX" httpd -p 80 -h "$dir"
	# (busybox wget crashes with -T: no timeout here; it is local.)
	wait_for in_ns "$1" wget -q -O /dev/null http://127.0.0.1:80/
}
