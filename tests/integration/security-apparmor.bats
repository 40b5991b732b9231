#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# process.apparmorProfile applied, on a host with AppArmor (skipped
# elsewhere; security.bats covers a host without it).  A test profile is
# loaded with apparmor_parser: everything allowed but writing
# /tmp/forbidden*.

load helpers

PROFILE=hako-test-confined

setup() {
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
		skip "AppArmor is not enabled on this host"
	fi
	command -v apparmor_parser >/dev/null || skip "no apparmor_parser"
	[ -d /sys/kernel/security/apparmor ] || mount -t securityfs securityfs /sys/kernel/security
	cat >"$BATS_TEST_TMPDIR/profile" <<-EOF
		profile $PROFILE flags=(attach_disconnected,mediate_deleted) {
		  file,
		  capability,
		  network,
		  signal,
		  ptrace,
		  unix,
		  mount,
		  umount,
		  pivot_root,
		  deny /tmp/forbidden* w,
		}
	EOF
	apparmor_parser -r -W "$BATS_TEST_TMPDIR/profile"
	setup_hako
	setup_bundle probe cat /proc/self/attr/current -- write /tmp/forbidden x -- write /tmp/allowed x
	update_config ".process.apparmorProfile = \"$PROFILE\" | .root.readonly = false"
}

teardown() {
	teardown_hako
}

@test "apparmor: the process runs confined by its profile (init and exec)" {
	run hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"$PROFILE (enforce)"* ]]
	[[ "$output" == *"write=error errno=13"* ]]
	[[ "$output" == *"write=ok"* ]]
	assert_no_leftovers "$ID"

	update_config '.process.args = ["probe", "sleep", "60"]'
	hako run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	run hako exec "$ID" probe cat /proc/self/attr/current -- write /tmp/forbidden2 x
	[[ "$output" == *"$PROFILE (enforce)"* ]]
	[[ "$output" == *"write=error errno=13"* ]]
	# --apparmor: another profile for this process only.
	run hako exec --apparmor unconfined "$ID" probe cat /proc/self/attr/current -- write /tmp/forbidden3 x
	[[ "$output" == *"unconfined"* ]]
	[[ "$output" == *"write=ok"* ]]
	hako delete --force "$ID"
}

@test "apparmor: an empty profile leaves the process unconfined" {
	update_config '.process.apparmorProfile = ""'
	run hako run -b "$BUNDLE" "$ID"
	[[ "$output" == *"unconfined"* ]]
	[[ "$output" != *"write=error"* ]]
}

@test "apparmor: a profile that is not loaded is an error, and nothing is left" {
	update_config '.process.apparmorProfile = "hako-no-such-profile"'
	run hako run -b "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"apparmor"*"hako-no-such-profile"* ]]
	assert_no_leftovers "$ID"
}
