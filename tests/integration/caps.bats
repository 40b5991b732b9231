#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# process.capabilities: the five sets as the container sees them in
# /proc/self/status, for the init and for exec, across the uid change, in
# a user namespace; unknown names, and capabilities that cannot be granted.
#
# What a process holds after execve is the kernel's rule (capabilities(7)):
# uid 0 gets permitted = inheritable | bounding | ambient (cut down to the
# permitted set hako gave it when no_new_privs is set), effective =
# permitted; any other uid gets permitted = effective = ambient.  The
# expected lines below follow from that and from the sets asked for.

load helpers

setup() {
	setup_hako
	setup_bundle probe caps
}

teardown() {
	teardown_hako
}

# expect_caps BND INH PRM EFF AMB: the Cap* lines of $output, in hex.
expect_caps() {
	local got
	got="$(field CapBnd) $(field CapInh) $(field CapPrm) $(field CapEff) $(field CapAmb)"
	[ "$got" = "$(printf '%016x ' "$@" | sed 's/ $//')" ] || fail "Cap{Bnd,Inh,Prm,Eff,Amb}: got $got, expected $*"
}

# Bits: CHOWN 0 (0x1), KILL 5 (0x20), SETUID 7 (0x80), NET_BIND_SERVICE 10
# (0x400), NET_RAW 13 (0x2000), SYS_ADMIN 21 (0x200000), SYS_RESOURCE 24.
five_sets='{
  "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_NET_RAW"],
  "inheritable": ["CAP_KILL", "CAP_NET_RAW"],
  "permitted": ["CAP_KILL", "CAP_NET_RAW", "CAP_CHOWN"],
  "effective": ["CAP_KILL", "CAP_CHOWN"],
  "ambient": ["CAP_NET_RAW"]
}'

@test "caps: the default config's sets (runc's defaults), exactly" {
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	# AUDIT_WRITE 29, KILL 5, NET_BIND_SERVICE 10
	expect_caps 0x20000420 0x0 0x20000420 0x20000420 0x0
	assert_no_leftovers "$ID"
}

@test "caps: all five sets for a non-root user: kept across the uid change, ambient raised" {
	update_config ".process.user.uid = 1000 | .process.user.gid = 1000 | .process.capabilities = $five_sets"
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	expect_caps 0x24a1 0x2020 0x2000 0x2000 0x2000
}

@test "caps: all five sets for root, with and without no_new_privs" {
	update_config ".process.capabilities = $five_sets | .process.noNewPrivileges = true"
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	expect_caps 0x24a1 0x2020 0x2021 0x2021 0x2000

	# Without no_new_privs root's execve grants inheritable | bounding.
	update_config '.process.noNewPrivileges = false'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	expect_caps 0x24a1 0x2020 0x24a1 0x24a1 0x2000
}

@test "caps: exec gets the container's sets; --cap adds to all of them" {
	update_config ".process.user.uid = 1000 | .process.capabilities = $five_sets | .process.args = [\"probe\", \"sleep\", \"60\"]"
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run hako exec "$ID" probe caps
	[ "$status" -eq 0 ]
	expect_caps 0x24a1 0x2020 0x2000 0x2000 0x2000

	run hako exec --cap CAP_SYS_ADMIN "$ID" probe caps
	[ "$status" -eq 0 ]
	expect_caps 0x2024a1 0x202020 0x202000 0x202000 0x202000

	hako delete --force "$ID"
	assert_no_leftovers "$ID"
}

@test "caps: an unknown capability name is an error naming the set and index; nothing is left" {
	update_config '.process.capabilities.permitted += ["CAP_NO_SUCH_THING"]'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.capabilities.permitted[3]"*"unknown capability"*"CAP_NO_SUCH_THING"* ]]
	assert_no_leftovers "$ID"

	# Lower case is not how the spec spells them.
	update_config '.process.capabilities.permitted = ["cap_chown"]'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown capability"*"cap_chown"* ]]
}

@test "caps: combinations the kernel cannot grant are warned about and left out" {
	update_config ".process.user.uid = 1000 | .process.capabilities = $five_sets
		| .process.capabilities.effective += [\"CAP_SYS_ADMIN\"]
		| .process.capabilities.ambient += [\"CAP_CHOWN\"]
		| .process.capabilities.inheritable += [\"CAP_SYS_TIME\"]"
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"effective: CAP_SYS_ADMIN is not in the permitted set: not granted"* ]]
	[[ "$output" == *"ambient: CAP_CHOWN is not in both the permitted and inheritable sets"* ]]
	[[ "$output" == *"inheritable: CAP_SYS_TIME is not in the bounding set"* ]]
	# The rest is as asked.
	expect_caps 0x24a1 0x2020 0x2000 0x2000 0x2000
}

@test "caps: a capability outside hako's own bounding set is not granted, with a warning" {
	# This host's root has no CAP_SYS_RESOURCE (bit 24).
	bnd=$(sed -n 's/^CapBnd:\t//p' /proc/self/status)
	if (( (16#$bnd >> 24) & 1 )); then
		skip "hako's bounding set has CAP_SYS_RESOURCE here"
	fi
	update_config '.process.capabilities.bounding += ["CAP_SYS_RESOURCE"]
		| .process.capabilities.permitted += ["CAP_SYS_RESOURCE"]
		| .process.capabilities.effective += ["CAP_SYS_RESOURCE"]'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"bounding: CAP_SYS_RESOURCE is outside hako's own capabilities"*"not granted"* ]]
	[[ "$output" == *"permitted: CAP_SYS_RESOURCE is outside hako's own capabilities"* ]]
	expect_caps 0x20000420 0x0 0x20000420 0x20000420 0x0
}

@test "caps: in a user namespace every capability can be granted (they are the namespace's)" {
	bnd=$(sed -n 's/^CapBnd:\t//p' /proc/self/status)
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .process.capabilities.bounding += ["CAP_SYS_ADMIN", "CAP_SYS_RESOURCE"]
		| .process.capabilities.permitted += ["CAP_SYS_ADMIN", "CAP_SYS_RESOURCE"]
		| .process.capabilities.effective += ["CAP_SYS_ADMIN", "CAP_SYS_RESOURCE"]
		| .process.args = ["probe", "caps", "--", "cat", "/proc/self/uid_map"]'
	chown -R 200000:200000 "$BUNDLE/rootfs"
	# The mapped root must be able to reach the bundle (mktemp makes 0700).
	d="$BUNDLE"
	while [ "$d" != / ]; do
		chmod a+x "$d"
		[ "$d" = "$BATS_RUN_TMPDIR" ] && break
		d=$(dirname "$d")
	done
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"200000"* ]]
	# AUDIT_WRITE, KILL, NET_BIND_SERVICE, SYS_ADMIN, SYS_RESOURCE
	expect_caps 0x21200420 0x0 0x21200420 0x21200420 0x0
	assert_no_leftovers "$ID"
}

@test "caps: without process.capabilities, the sets are left as they are (root keeps hako's)" {
	update_config 'del(.process.capabilities) | .process.noNewPrivileges = false'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	own=$(sed -n 's/^CapBnd:\t//p' /proc/self/status)
	[ "$(field CapBnd)" = "$own" ]
	[ "$(field CapEff)" = "$own" ]
}
