#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# One configuration list, two implementations: containernetworking-plugins'
# bridge + host-local and hako-net installed under the name `bridge`.  Both
# attach containers the same way and share host-local's address store, so
# either can delete what the other added.

load helpers
load net-helpers

REF_CNI=/usr/lib/cni

setup() {
	[ -x "$HAKO_NET" ] || skip "hako-net not built"
	[ -x "$REF_CNI/bridge" ] && [ -x "$REF_CNI/host-local" ] || skip "containernetworking-plugins not installed"
	net_setup
	HAKO_CNI="$BATS_TEST_TMPDIR/cni-bin"
	mkdir -p "$HAKO_CNI"
	ln -s "$HAKO_NET" "$HAKO_CNI/bridge"
	CONFLIST="$BATS_TEST_TMPDIR/net.conflist"
	jq -n --arg name "$NET_NAME" --arg br "$NET_BRIDGE" --arg subnet "$NET_SUBNET" --arg data "$NET_DATA" '{
		cniVersion: "1.0.0", name: $name,
		plugins: [{
			type: "bridge", bridge: $br, isGateway: true, ipMasq: false, hairpinMode: true,
			ipam: { type: "host-local", ranges: [[{ subnet: $subnet }]], routes: [{ dst: "0.0.0.0/0" }], dataDir: $data }
		}]
	}' >"$CONFLIST"
}

teardown() {
	net_teardown
}

# run_list CNI-PATH COMMAND ID NETNS [PREV-RESULT]: what a runtime does
# with the configuration list (one plugin): the plugin's object with the
# list's name and cniVersion, prevResult for CHECK and DEL.
run_list() {
	local path="$1" cmd="$2" id="$3" netns="$4" prev="${5:-}" conf="$BATS_TEST_TMPDIR/request.json"
	jq --argjson prev "${prev:-null}" '.plugins[0] + {name, cniVersion}
		| if $prev then .prevResult = $prev else . end' "$CONFLIST" >"$conf"
	run env -i PATH="$PATH" CNI_COMMAND="$cmd" CNI_CONTAINERID="$id" CNI_NETNS="$netns" CNI_IFNAME=eth0 \
		CNI_PATH="$path" "$path/$(jq -r '.plugins[0].type' "$CONFLIST")" <"$conf"
}

# attach_pair CNI-PATH: two containers through CNI-PATH; they reach each
# other and the gateway; CHECK passes; DEL leaves nothing.
attach_pair() {
	local path="$1" ns1 ns2 r1 r2 a1 a2
	ns1="$(net_ns "a$RANDOM")" ns2="$(net_ns "b$RANDOM")"
	run_list "$path" ADD one "$ns1"
	[ "$status" -eq 0 ]
	r1="$output"
	run_list "$path" ADD two "$ns2"
	[ "$status" -eq 0 ]
	r2="$output"
	for r in "$r1" "$r2"; do
		echo "$r" | jq -e --arg br "$NET_BRIDGE" '(.interfaces | length) == 3 and .interfaces[0].name == $br
			and .interfaces[2].name == "eth0" and .ips[0].interface == 2'
	done
	a1="$(echo "$r1" | jq -r '.ips[0].address | split("/")[0]')"
	a2="$(echo "$r2" | jq -r '.ips[0].address | split("/")[0]')"
	[[ "$a1" == "$NET_PREFIX".* && "$a2" == "$NET_PREFIX".* && "$a1" != "$a2" ]]
	[ "$(echo "$r1" | jq -r '.ips[0].gateway')" = "$NET_PREFIX.1" ]
	in_ns "$ns1" ping -c 1 -W 2 "$a2"
	in_ns "$ns2" ping -c 1 -W 2 "$a1"
	in_ns "$ns1" ping -c 1 -W 2 "$NET_PREFIX.1"
	[[ "$(ip -n "${ns1#/run/netns/}" route show default)" == "default via $NET_PREFIX.1 dev eth0"* ]]
	# host-local's store, the same layout whoever wrote it.
	[ "$(cat "$NET_DATA/$NET_NAME/$a1")" = "$(printf 'one\r\neth0')" ]
	run_list "$path" CHECK one "$ns1" "$r1"
	[ "$status" -eq 0 ]
	run_list "$path" DEL one "$ns1" "$r1"
	[ "$status" -eq 0 ]
	run_list "$path" DEL two "$ns2" "$r2"
	[ "$status" -eq 0 ]
	! ip -n "${ns1#/run/netns/}" link show eth0 2>/dev/null || false
	net_assert_clean
}

@test "net-interop: the configuration list works with the reference bridge + host-local" {
	attach_pair "$REF_CNI"
}

@test "net-interop: the same configuration list works with hako-net as bridge" {
	attach_pair "$HAKO_CNI"
}

@test "net-interop: hako-net and the reference plugins share one network and delete each other's attachments" {
	ns1="$(net_ns ref)" ns2="$(net_ns hako)"
	run_list "$REF_CNI" ADD by-ref "$ns1"
	[ "$status" -eq 0 ]
	r1="$output"
	a1="$(echo "$r1" | jq -r '.ips[0].address | split("/")[0]')"
	# hako-net honours the reservation host-local made, on the bridge the
	# reference plugin made.
	run_list "$HAKO_CNI" ADD by-hako "$ns2"
	[ "$status" -eq 0 ]
	r2="$output"
	a2="$(echo "$r2" | jq -r '.ips[0].address | split("/")[0]')"
	[ "$a1" != "$a2" ]
	in_ns "$ns2" ping -c 1 -W 2 "$a1"
	in_ns "$ns1" ping -c 1 -W 2 "$a2"
	# Each CHECKs the other's attachment.
	run_list "$HAKO_CNI" CHECK by-ref "$ns1" "$r1"
	[ "$status" -eq 0 ]
	run_list "$REF_CNI" CHECK by-hako "$ns2" "$r2"
	[ "$status" -eq 0 ]
	# And deletes it.
	run_list "$HAKO_CNI" DEL by-ref "$ns1" "$r1"
	[ "$status" -eq 0 ]
	! ip -n "${ns1#/run/netns/}" link show eth0 2>/dev/null || false
	[ ! -e "$NET_DATA/$NET_NAME/$a1" ]
	run_list "$REF_CNI" DEL by-hako "$ns2" "$r2"
	[ "$status" -eq 0 ]
	! ip -n "${ns2#/run/netns/}" link show eth0 2>/dev/null || false
	net_assert_clean
}
