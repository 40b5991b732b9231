#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Time CNI ADD and DEL of hako-net against containernetworking-plugins'
# bridge (+ host-local) on the same configuration, with hyperfine.
#   contrib/cni/bench.sh BUILDDIR [RUNS]
# Each ADD is timed after a DEL (--prepare), each DEL after an ADD, in a
# network namespace and on a bridge of its own (10.231.253.0/24).
set -eu
build="$(cd "${1:?usage: bench.sh BUILDDIR [RUNS]}" && pwd)"
runs="${2:-100}"
ref=/usr/lib/cni
[ -x "$ref/bridge" ] || { echo "containernetworking-plugins is not installed" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine is not installed" >&2; exit 1; }

tmp="$(mktemp -d /tmp/hako-net-bench.XXXXXX)"
ns="hkbench$$"
br="hkbench$$"
cleanup() {
	ip netns del "$ns" 2>/dev/null || true
	ip link del "$br" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns"
mkdir -p "$tmp/hako"
ln -s "$build/hako-net" "$tmp/hako/bridge"

for masq in false true; do
	jq -n --arg br "$br" --arg data "$tmp/ipam" --argjson masq "$masq" '{
		cniVersion: "1.0.0", name: "hkbench", type: "bridge", bridge: $br,
		isGateway: true, ipMasq: $masq,
		ipam: { type: "host-local", subnet: "10.231.253.0/24", routes: [{ dst: "0.0.0.0/0" }], dataDir: $data }
	}' >"$tmp/conf.json"
	for impl in ref hako; do
		dir="$ref"
		[ "$impl" = hako ] && dir="$tmp/hako"
		env="CNI_CONTAINERID=bench CNI_NETNS=/run/netns/$ns CNI_IFNAME=eth0 CNI_PATH=$dir"
		add="env CNI_COMMAND=ADD $env $dir/bridge <$tmp/conf.json >/dev/null"
		del="env CNI_COMMAND=DEL $env $dir/bridge <$tmp/conf.json >/dev/null"
		sh -c "$del"
		hyperfine -N --style none --warmup 3 --runs "$runs" --export-json "$tmp/$impl-add-$masq.json" \
			--prepare "sh -c '$del'" -n "$impl ADD ipMasq=$masq" "sh -c '$add'" >/dev/null 2>&1
		sh -c "$del"
		hyperfine -N --style none --warmup 3 --runs "$runs" --export-json "$tmp/$impl-del-$masq.json" \
			--prepare "sh -c '$add'" -n "$impl DEL ipMasq=$masq" "sh -c '$del'" >/dev/null 2>&1
		sh -c "$del"
		for op in add del; do
			jq -r 'def ms: . * 1000 | . * 10 | round / 10 | tostring + " ms";
				.results[0] | "\(.command)\tmedian \(.median | ms)\tmean \(.mean | ms) ± \(.stddev | ms)\tuser \(.user | ms)\tsystem \(.system | ms)"' \
				"$tmp/$impl-$op-$masq.json"
		done
	done
	ip link del "$br" 2>/dev/null || true
done
