#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# podman with its CNI backend, hako-net as the plugin and hako as the
# runtime: a busybox httpd with
# a published port answers on 127.0.0.1, and removing the container
# removes its network.  podman runs with a private storage root, runroot,
# containers.conf and CNI configuration directory.

load helpers
load net-helpers

setup() {
	[ -x "$HAKO_NET" ] || skip "hako-net not built"
	command -v podman >/dev/null || skip "podman not installed"
	net_setup
	P="$BATS_TEST_TMPDIR/podman"
	mkdir -p "$P/cni-bin" "$P/cni-conf" "$P/tmp"
	# hako is podman's runtime, with a state directory of this test's.
	PODMAN_RUNTIME="$P/hako"
	printf '#!/bin/sh\nexec "%s" --root "%s" "$@"\n' "$HAKO" "$P/hako-root" >"$PODMAN_RUNTIME"
	chmod 755 "$PODMAN_RUNTIME"
	ln -s "$HAKO_NET" "$P/cni-bin/hako-net"
	cat >"$P/containers.conf" <<-EOF
		[network]
		network_backend = "cni"
		cni_plugin_dirs = ["$P/cni-bin"]
		network_config_dir = "$P/cni-conf"
		[containers]
		default_ulimits = ["nofile=20000:20000", "nproc=1024:1024"]
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$P/events.log"
		tmp_dir = "$P/tmp"
	EOF
	jq -n --arg name "$NET_NAME" --arg br "$NET_BRIDGE" --arg subnet "$NET_SUBNET" --arg data "$NET_DATA" '{
		cniVersion: "1.0.0", name: $name,
		plugins: [{
			type: "hako-net", bridge: $br, isGateway: true, ipMasq: true, hairpinMode: true,
			capabilities: { portMappings: true },
			ipam: { type: "host-local", ranges: [[{ subnet: $subnet }]], routes: [{ dst: "0.0.0.0/0" }], dataDir: $data }
		}]
	}' >"$P/cni-conf/$NET_NAME.conflist"
	export CONTAINERS_CONF="$P/containers.conf"
	local rootfs="$BATS_TEST_TMPDIR/rootfs"
	cp -a "$(base_rootfs)" "$rootfs"
	mkdir -p "$rootfs/www"
	echo "podman through hako-net" >"$rootfs/www/index.html"
	tar -C "$rootfs" -cf "$BATS_TEST_TMPDIR/rootfs.tar" .
	pm import --change 'ENV PATH=/bin' "$BATS_TEST_TMPDIR/rootfs.tar" hako-net-busybox >/dev/null
}

pm() {
	podman --root "$P/storage" --runroot "$P/run" --tmpdir "$P/tmp" --storage-driver vfs \
		--runtime "$PODMAN_RUNTIME" "$@"
}

teardown() {
	if [ -n "${P:-}" ] && [ -d "$P" ]; then
		pm rm -af -t 0 >/dev/null 2>&1 || true
		pm rmi -af >/dev/null 2>&1 || true
		rm -rf "$P"
	fi
	net_teardown
}

@test "net-podman: a published port of a container on a hako-net network answers on 127.0.0.1" {
	port="$(net_port 8)"
	run pm run -d --name "web-$NET_TAG" --network "$NET_NAME" -p "$port:80" \
		--ulimit nofile=20000:20000 --ulimit nproc=1024:1024 \
		hako-net-busybox httpd -f -p 80 -h /www
	[ "$status" -eq 0 ]
	ip="$(pm inspect "web-$NET_TAG" --format "{{(index .NetworkSettings.Networks \"$NET_NAME\").IPAddress}}")"
	[[ "$ip" == "$NET_PREFIX".* ]]
	# hako runs it: its state directory holds the container.
	[ "$("$HAKO" --root "$P/hako-root" list -q)" = "$(pm inspect "web-$NET_TAG" --format '{{.Id}}')" ]
	# podman passed the mapping through runtimeConfig.portMappings.
	[[ "$(nft list map inet "hako-$NET_NAME" ports4)" == *"tcp . $port : $ip . 80"* ]]
	wait_for bash -c "wget -q -t 1 -T 2 -O - http://127.0.0.1:$port/ >/dev/null"
	[ "$(fetch "http://127.0.0.1:$port/")" = "podman through hako-net" ]
	# The container reaches the gateway, and itself through the published
	# port (hairpin).
	pm exec "web-$NET_TAG" ping -c 1 -W 2 "$NET_PREFIX.1"
	[ "$(pm exec "web-$NET_TAG" wget -q -O - "http://$NET_PREFIX.1:$port/")" = "podman through hako-net" ]

	run pm rm -f -t 0 "web-$NET_TAG"
	[ "$status" -eq 0 ]
	! fetch "http://127.0.0.1:$port/" || false
	net_assert_clean
}
