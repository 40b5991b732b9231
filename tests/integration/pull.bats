#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# hako-pull: images built offline, pushed with skopeo to private
# docker-registry instances on 127.0.0.1, pulled into bundles, compared
# with umoci's unpacking of the same images, and run with hako.

load helpers
load ../pull/pull-helpers

setup_file() {
	pull_setup_file
}

teardown_file() {
	pull_teardown_file
}

setup() {
	pull_setup
}

teardown() {
	pull_teardown
}

@test "pull: busybox from a registry equals umoci's unpack and runs" {
	run hpull "$REG/test/busybox:1" "$B" -- sh -c 'echo hello from $(cat /etc/marker)'
	[ "$status" -eq 0 ]
	[ -z "$output" ] # quiet when stderr is not a terminal
	same_as_umoci "$B/rootfs" busybox
	run hako run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from busybox" ]
	assert_no_leftovers "$ID"
	[ "$(stat -c %a "$B")" = 700 ]
}

@test "pull: layers in gzip, zstd and plain tar with whiteouts, opaque dirs, hard links, devices, xattrs" {
	run hpull "$REG/test/multi" "$B"
	[ "$status" -eq 0 ]
	# umoci 0.4 cannot read zstd: multi-gz has the same tar inside gzip.
	same_as_umoci "$B/rootfs" multi-gz
	local r="$B/rootfs"
	[ ! -e "$r/gone" ] && [ ! -e "$r/gonefile" ] && [ ! -e "$r/opt/data/link2" ] && [ ! -e "$r/opt/many/f0007" ]
	[ "$(ls "$r/opq" | tr '\n' ' ')" = "later new " ]
	[ "$(stat -c %i "$r/opt/data/orig")" = "$(stat -c %i "$r/opt/data/link1")" ]
	[ "$(stat -c %h "$r/opt/data/orig")" = 2 ]
	[ "$(stat -c '%F %t,%T' "$r/opt/null")" = "character special file 1,3" ]
	[ "$(stat -c %F "$r/opt/fifo")" = "fifo" ]
	[ "$(python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.hako.test").decode())' "$r/opt/xattr-file")" = hello ]
	[ "$(stat -c '%a %u:%g' "$r/usr/bin/setuid-thing")" = "4755 0:0" ]
	[ "$(stat -c '%a %u:%g' "$r/etc/app/app.conf")" = "640 1000:1000" ]
	[ "$(cat "$r/etc/app/app.conf")" = version=2 ]
	[ "$(stat -c %Y "$r/opt/data/orig")" = 1600000000 ]
	[ "$(readlink "$r/opt/abs")" = /opt/data/orig ]
	[ -d "$r/will-be-dir" ] && [ -f "$r/will-be-file" ] && [ -f "$r/deep/a/b/c/file" ]
	[ "$(ls "$r/opt/many" | wc -l)" = 1999 ]
	# The image's config: Entrypoint+Cmd, User by name, WorkingDir, Env.
	run hako run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "multi as 1000:1000 in /work FOO=bar" ]
	assert_no_leftovers "$ID"
}

@test "pull: config.json from the image config (args, env, user and groups, cwd, annotations)" {
	hpull "$REG/test/multi" "$B" -- 'id -G | tr " " "\n" | sort -n | tr "\n" " "; echo; echo $HOME'
	local c="$B/config.json"
	jq -e '.process.args[0:2] == ["/bin/sh","-c"] and (.process.args | length) == 3' "$c"
	[ "$(jq -c .process.user "$c")" = '{"uid":1000,"gid":1000,"additionalGids":[2000,10]}' ]
	[ "$(jq -r .process.cwd "$c")" = /work ]
	jq -e '.process.env | index("FOO=bar") and index("HOME=/home/app")' "$c"
	jq -e '.process.terminal == false and (.root.readonly // false) == false' "$c"
	[ "$(jq -r '.annotations["org.opencontainers.image.stopSignal"]' "$c")" = SIGUSR1 ]
	[ "$(jq -r '.annotations["org.opencontainers.image.exposedPorts"]' "$c")" = "8080/tcp,53/udp" ]
	[ "$(jq -r '.annotations["org.opencontainers.image.architecture"]' "$c")" = amd64 ]
	[ "$(jq -r '.annotations["org.example.label"]' "$c")" = x ]
	# A label wins over the implicit annotation of the same name.
	[ "$(jq -r '.annotations["org.opencontainers.image.author"]' "$c")" = "label wins" ]
	run hako run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "10 1000 2000 " ]
	[ "${lines[1]}" = /home/app ]
}

@test "pull: User forms resolve through the image's /etc/passwd and /etc/group" {
	local lay="$BATS_TEST_TMPDIR/lay" u expect
	for u in "nobody|65534:65534|" "1000|1000:1000|" "app:wheel|1000:10|" "0:2000|0:2000|" "app|1000:1000|2000 10"; do
		python3 "$PULL_HELPERS/mkimage.py" "$lay" busybox --user "${u%%|*}" --tag "u"
		rm -rf "$B"
		hpull "oci:$lay:u" "$B" -- sh -c 'id -u; id -G | tr " " "\n" | sort -n | tr "\n" " "'
		expect="${u#*|}"
		[ "$(jq -r '"\(.process.user.uid):\(.process.user.gid)"' "$B/config.json")" = "${expect%%|*}" ]
		[ "$(jq -r '.process.user.additionalGids // [] | map(tostring) | join(" ")' "$B/config.json")" = "${expect#*|}" ]
	done
	run hako run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = "10 1000 2000 " ]
	python3 "$PULL_HELPERS/mkimage.py" "$lay" busybox --user ghost --tag ghost
	rm -rf "$B"
	run hpull "oci:$lay:ghost" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"config.User \`ghost\`: no user \`ghost\` in the image's /etc/passwd"* ]]
	nothing_left "$B" 0
}

@test "pull: an index yields the host's platform, or --platform's; a missing platform is a clear error" {
	hpull "$REG/test/index" "$B"
	[ "$(cat "$B/rootfs/etc/platform")" = amd64 ]
	run hako run -b "$B" "$ID"
	[ "$output" = amd64 ]
	hpull --platform linux/arm64 "$REG/test/index" "$BATS_TEST_TMPDIR/arm"
	[ "$(cat "$BATS_TEST_TMPDIR/arm/rootfs/etc/platform")" = arm64 ]
	[ "$(jq -r '.annotations["org.opencontainers.image.variant"]' "$BATS_TEST_TMPDIR/arm/config.json")" = v8 ]
	run hpull --platform linux/s390x "$REG/test/index" "$BATS_TEST_TMPDIR/s390x"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no image for platform linux/s390x (available: linux/amd64, linux/arm64/v8)"* ]]
	nothing_left "$BATS_TEST_TMPDIR/s390x" "$(cache_blobs)"
	run hpull --platform linux "$REG/test/index" "$BATS_TEST_TMPDIR/bad"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--platform \`linux\`: expected OS/ARCH[/VARIANT]"* ]]
	# A single-platform image for another platform is refused too.
	run hpull --platform linux/arm64 "$REG/test/busybox:1" "$BATS_TEST_TMPDIR/other"
	[ "$status" -eq 1 ]
	[[ "$output" == *"the image is for linux/amd64, not linux/arm64"* ]]
}

@test "pull: Docker schema 2 manifests and manifest lists" {
	hpull "$REG/docker/busybox:v2s2" "$B" -- true
	jq -e '.manifests[0].mediaType == "application/vnd.docker.distribution.manifest.v2+json"' "$CACHE/index.json"
	same_as_umoci "$B/rootfs" busybox
	hpull --platform linux/arm64/v8 "$REG/docker/index:list" "$BATS_TEST_TMPDIR/list"
	[ "$(cat "$BATS_TEST_TMPDIR/list/rootfs/etc/platform")" = arm64 ]
	run hako run -b "$B" "$ID"
	[ "$status" -eq 0 ]
}

@test "pull: by digest, and a digest that does not match is refused" {
	local m
	m="$(layout_manifest "$LAYOUT" busybox)"
	hpull "$REG/test/busybox@$m" "$B"
	[ -x "$B/rootfs/bin/busybox" ]
	"$HAKO_PULL" images --cache "$CACHE" --format json | jq -e --arg m "$m" '.[0].digest == $m and .[0].tag == ""'
	local wrong
	wrong="sha256:$(printf '%064d' 0)"
	run hpull --pull always "$REG/test/busybox@$wrong" "$BATS_TEST_TMPDIR/b2"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not found"* ]]
	run hpull "$REG/test/busybox@sha256:abc" "$BATS_TEST_TMPDIR/b2"
	[ "$status" -eq 1 ]
	[[ "$output" == *"digest \`sha256:abc\`: expected 64 hex digits"* ]]
}

@test "pull: oci: layouts and oci-archive: files" {
	hpull "oci:$LAYOUT:multi" "$B"
	same_as_umoci "$B/rootfs" multi-gz
	tar -C "$LAYOUT" -cf "$BATS_TEST_TMPDIR/image.tar" .
	mkdir "$BATS_TEST_TMPDIR/tmp"
	TMPDIR="$BATS_TEST_TMPDIR/tmp" hpull "oci-archive:$BATS_TEST_TMPDIR/image.tar:busybox" "$BATS_TEST_TMPDIR/arch"
	same_as_umoci "$BATS_TEST_TMPDIR/arch/rootfs" busybox
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/tmp")" ] || fail "extracted archive left in \$TMPDIR"
	# Local images are read in place, not cached.
	[ "$(cache_blobs)" -eq 0 ]
	run hpull "oci:$LAYOUT" "$BATS_TEST_TMPDIR/x"
	[ "$status" -eq 1 ]
	[[ "$output" == *"the layout holds 4 images; name one"* ]]
	run hpull "oci:$LAYOUT:nope" "$BATS_TEST_TMPDIR/x"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no image named \`nope\` in the layout"* ]]
	run hako run -b "$B" "$ID"
	[ "$output" = "multi as 1000:1000 in /work FOO=bar" ]
}

@test "pull: a second pull downloads nothing; --pull always asks for the manifest only" {
	local lay="$BATS_TEST_TMPDIR/lay" salt="salt-$RANDOM-$$"
	python3 "$PULL_HELPERS/mkimage.py" "$lay" busybox --salt "$salt" --tag s
	skopeo copy -q --dest-tls-verify=false "oci:$lay:s" "docker://$REG/test/salted:1" >/dev/null
	hpull "$REG/test/salted:1" "$B"
	local n
	n="$(cache_blobs)"
	[ "$n" -eq 4 ]
	# Damage the registry's copy of the unique layer: a download would fail.
	local blob
	blob="$(registry_blob reg "$(layout_layer "$lay" s 1)")"
	cp "$blob" "$BATS_TEST_TMPDIR/blob.orig"
	printf 'garbage' | dd of="$blob" bs=1 seek=50 conv=notrunc 2>/dev/null
	hpull "$REG/test/salted:1" "$BATS_TEST_TMPDIR/again"
	hpull --pull always "$REG/test/salted:1" "$BATS_TEST_TMPDIR/always"
	[ "$(grep salt- "$BATS_TEST_TMPDIR/always/rootfs/salt" | head -1)" = "$salt" ]
	[ "$(cache_blobs)" -eq "$n" ]
	# --pull never: the cache only.
	run hpull --pull never "$REG/test/other:1" "$BATS_TEST_TMPDIR/never"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not in the cache"*"(--pull never)"* ]]
	cp "$BATS_TEST_TMPDIR/blob.orig" "$blob"
}

@test "pull: a tampered or truncated blob is rejected, nothing is left in the bundle or the cache" {
	local lay="$BATS_TEST_TMPDIR/lay" salt="tamper-$RANDOM-$$"
	python3 "$PULL_HELPERS/mkimage.py" "$lay" busybox --salt "$salt" --tag s
	skopeo copy -q --dest-tls-verify=false "oci:$lay:s" "docker://$REG/test/tamper:1" >/dev/null
	local digest blob
	digest="$(layout_layer "$lay" s 1)"
	blob="$(registry_blob reg "$digest")"
	cp "$blob" "$BATS_TEST_TMPDIR/blob.orig"
	printf 'X' | dd of="$blob" bs=1 seek=100 conv=notrunc 2>/dev/null
	run hpull "$REG/test/tamper:1" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"blob $digest: digest mismatch: the registry sent sha256:"* ]]
	nothing_left "$B" 0
	local half=$(($(stat -c %s "$blob") / 2))
	truncate -s "$half" "$blob"
	run hpull "$REG/test/tamper:1" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"blob $digest: truncated: got $half of "* ]]
	nothing_left "$B" 0
	cp "$BATS_TEST_TMPDIR/blob.orig" "$blob"
	hpull "$REG/test/tamper:1" "$B"
	[ "$(cache_blobs)" -eq 4 ]
	# A cached blob damaged on disk is caught while unpacking, and dropped.
	local cached="$CACHE/blobs/sha256/${digest#sha256:}"
	printf 'X' | dd of="$cached" bs=1 seek=100 conv=notrunc 2>/dev/null
	run hpull "$REG/test/tamper:1" "$BATS_TEST_TMPDIR/b2"
	[ "$status" -eq 1 ]
	[[ "$output" == *"layer $digest: "* ]]
	nothing_left "$BATS_TEST_TMPDIR/b2" 3
	# ... and the next pull fetches it again.
	hpull "$REG/test/tamper:1" "$BATS_TEST_TMPDIR/b3"
	[ "$(cache_blobs)" -eq 4 ]
}

@test "pull: unknown image, unknown tag, bad reference: clear errors, nothing left" {
	run hpull "$REG/test/no-such-image" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$REG/test/no-such-image"*"not found"*"unknown"* ]]
	nothing_left "$B" 0
	run hpull "$REG/test/busybox:no-such-tag" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"manifest \`no-such-tag\` not found: manifest unknown (MANIFEST_UNKNOWN)"* ]]
	nothing_left "$B" 0
	run hpull "$REG/Test/Upper" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"image reference \`$REG/Test/Upper\`: repository name \`Test/Upper\` must be lower case"* ]]
	run hpull "busybox:bad:tag" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not a valid"* ]]
	nothing_left "$B" 0
}

@test "pull: the registry down: a clear error, nothing left" {
	local dir="$PULL_DIR/regx" port
	port="$("$PULL_HELPERS/registry.sh" start "$dir")"
	skopeo copy -q --dest-tls-verify=false "oci:$LAYOUT:busybox" "docker://127.0.0.1:$port/x/busybox:1" >/dev/null
	"$PULL_HELPERS/registry.sh" stop "$dir"
	run hpull "127.0.0.1:$port/x/busybox:1" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot reach registry 127.0.0.1:$port: "*"Couldn't connect to server"* ]]
	nothing_left "$B" 0
}

@test "pull: basic auth: required, wrong and right credentials from --creds and auth files" {
	run hpull "$REGA/private/busybox:1" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$REGA: authentication required"* ]]
	nothing_left "$B" 0
	run hpull --creds "$REG_USER:wrong" "$REGA/private/busybox:1" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$REGA: wrong credentials for user \`$REG_USER\`"* ]]
	nothing_left "$B" 0
	hpull --creds "$REG_USER:$REG_PASS" "$REGA/private/busybox:1" "$B"
	[ -x "$B/rootfs/bin/busybox" ]

	# $REGISTRY_AUTH_FILE (a repository-scoped key wins over the host's).
	local auth="$BATS_TEST_TMPDIR/auth.json" good bad
	good="$(printf '%s' "$REG_USER:$REG_PASS" | base64 -w0)"
	bad="$(printf '%s' "$REG_USER:nope" | base64 -w0)"
	printf '{"auths":{"%s":{"auth":"%s"},"%s/private/busybox":{"auth":"%s"}}}' "$REGA" "$bad" "$REGA" "$good" >"$auth"
	REGISTRY_AUTH_FILE="$auth" hpull --pull always "$REGA/private/busybox:1" "$BATS_TEST_TMPDIR/b2"
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$REGA" "$bad" >"$auth"
	run env REGISTRY_AUTH_FILE="$auth" "$HAKO_PULL" --cache "$CACHE" --pull always "$REGA/private/busybox:1" "$BATS_TEST_TMPDIR/b3"
	[ "$status" -eq 1 ]
	[[ "$output" == *"wrong credentials"* ]]
	printf '{"auths":{"%s":{"auth":"!!"}}}' "$REGA" >"$auth"
	run env REGISTRY_AUTH_FILE="$auth" "$HAKO_PULL" --cache "$CACHE" --pull always "$REGA/private/busybox:1" "$BATS_TEST_TMPDIR/b3"
	[ "$status" -eq 1 ]
	[[ "$output" == *"auths.$REGA.auth: expected base64 of user:password"* ]]

	# containers' auth.json under $XDG_RUNTIME_DIR, docker's config.json under $HOME.
	local home="$BATS_TEST_TMPDIR/home" xdg="$BATS_TEST_TMPDIR/xdg"
	mkdir -p "$home/.docker" "$xdg/containers"
	printf '{"auths":{"http://%s/v1/":{"auth":"%s"}}}' "$REGA" "$good" >"$home/.docker/config.json"
	env -u REGISTRY_AUTH_FILE HOME="$home" XDG_RUNTIME_DIR="$xdg" XDG_CONFIG_HOME="$xdg" \
		"$HAKO_PULL" --cache "$CACHE" --pull always "$REGA/private/busybox:1" "$BATS_TEST_TMPDIR/b4"
	printf '{"auths":{"%s":{"username":"%s","password":"%s"}}}' "$REGA" "$REG_USER" "$REG_PASS" >"$xdg/containers/auth.json"
	rm "$home/.docker/config.json"
	env -u REGISTRY_AUTH_FILE HOME="$home" XDG_RUNTIME_DIR="$xdg" XDG_CONFIG_HOME="$xdg" \
		"$HAKO_PULL" --cache "$CACHE" --pull always "$REGA/private/busybox:1" "$BATS_TEST_TMPDIR/b5"
	run hako run -b "$BATS_TEST_TMPDIR/b5" "$ID"
	[ "$status" -eq 0 ]
}

@test "pull: a malicious layer cannot write outside the rootfs (openat2 and the fallback walk)" {
	local target="$BATS_TEST_TMPDIR/outside" lay="$BATS_TEST_TMPDIR/evil" mode
	mkdir -p "$target"
	echo secret >"$target/secret"
	for k in evil-symlink evil-dotdot evil-hardlink; do
		python3 "$PULL_HELPERS/mkimage.py" "$lay" "$k" --target "$target"
	done
	for mode in openat2 walk; do
		local env=()
		[ "$mode" = walk ] && env=(HAKO_PULL_NO_OPENAT2=1)
		rm -rf "$B"
		# Symlinks to the host path, absolute and relative, written through,
		# whited out through, and an absolute entry name: all stay inside.
		env "${env[@]}" "$HAKO_PULL" --cache "$CACHE" "oci:$lay:evil-symlink" "$B"
		[ "$(ls -A "$target")" = secret ] || fail "$mode: wrote outside: $(ls -A "$target")"
		[ "$(cat "$target/secret")" = secret ]
		[ -f "$B/rootfs$target/pwned" ] && [ -f "$B/rootfs$target/pwned2" ] && [ -d "$B/rootfs$target/madedir" ]
		[ -f "$B/rootfs/absolute-entry" ]
		# `..` in a name is refused.
		run env "${env[@]}" "$HAKO_PULL" --cache "$CACHE" "oci:$lay:evil-dotdot" "$BATS_TEST_TMPDIR/dotdot"
		[ "$status" -eq 1 ]
		[[ "$output" == *"entry \`../escaped-dotdot\` climbs out with \`..\`: refused"* ]]
		[ ! -e "$BATS_TEST_TMPDIR/escaped-dotdot" ]
		nothing_left "$BATS_TEST_TMPDIR/dotdot" 0
		# A hard link to a host file through a planted symlink is not made.
		run env "${env[@]}" "$HAKO_PULL" --cache "$CACHE" "oci:$lay:evil-hardlink" "$BATS_TEST_TMPDIR/hl"
		[ "$status" -eq 1 ]
		[[ "$output" == *"hard link \`stolen\` -> \`hostdir/secret\`"* ]]
		[ "$(stat -c %h "$target/secret")" = 1 ]
		nothing_left "$BATS_TEST_TMPDIR/hl" 0
	done
	BUNDLE="$B" update_config ".process.args = [\"cat\", \"$target/pwned\"]"
	run hako run -b "$B" "$ID"
	[ "$output" = "written through an absolute symlink" ]
}

@test "pull: options become config.json fields that a container sees" {
	hpull --hostname pulled -e FOO=override -e NEW=1 --cpus 0.5 --memory 64m --pids-limit 20 \
		--read-only "$REG/test/multi" "$B" -- 'hostname; echo $FOO $NEW; touch /x 2>/dev/null || echo read-only; cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us'
	local c="$B/config.json"
	jq -e '.hostname == "pulled" and .root.readonly == true' "$c"
	jq -e '.linux.resources.cpu == {"quota":50000,"period":100000}' "$c"
	jq -e '.linux.resources.memory.limit == 67108864 and .linux.resources.pids.limit == 20' "$c"
	jq -e '.process.env | index("FOO=override") and index("NEW=1") and (index("FOO=bar") | not)' "$c"
	run hako run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = pulled ]
	[ "${lines[1]}" = "override 1" ]
	[[ "${lines[2]}" == read-only ]]
	[ "${lines[3]}" = 20 ]
	[ "${lines[4]}" = 67108864 ]
	[ "${lines[5]}" = 50000 ]
	assert_no_leftovers "$ID"
}

@test "pull: --net none, host and bridge (hako-net hooks), --tty" {
	hpull "$REG/test/busybox:1" "$B" -- sh -c 'ls /sys/class/net | sort | tr "\n" " "'
	jq -e '.linux.namespaces | map(.type) | index("network")' "$B/config.json"
	run hako run -b "$B" "$ID"
	[ "$output" = "lo " ]
	hpull --net host "$REG/test/busybox:1" "$BATS_TEST_TMPDIR/host" -- sh -c 'ls /sys/class/net | sort | tr "\n" " "'
	jq -e '.linux.namespaces | map(.type) | index("network") | not' "$BATS_TEST_TMPDIR/host/config.json"
	run hako run -b "$BATS_TEST_TMPDIR/host" "$ID"
	[ "$output" = "$(ls /sys/class/net | sort | tr '\n' ' ')" ]

	hpull --net bridge -p 8080:80 --publish 5353:53/udp --net-config /tmp/net.json "$REG/test/busybox:1" "$BATS_TEST_TMPDIR/br"
	local c="$BATS_TEST_TMPDIR/br/config.json" hook
	# hako-net beside hako-pull (a build directory), else the bindir's.
	local path
	path="$(dirname "$HAKO_PULL")/hako-net"
	if [ ! -x "$path" ]; then
		path="$(jq -r '.hooks.createRuntime[0].path' "$c")"
		[[ "$path" == /*/bin/hako-net ]]
	fi
	hook='{"path":"'"$path"'","args":["hako-net","hook","--config","/tmp/net.json","--publish","8080:80/tcp","--publish","5353:53/udp"]}'
	[ "$(jq -c '.hooks.createRuntime' "$c")" = "[$hook]" ]
	[ "$(jq -c '.hooks.poststop' "$c")" = "[$hook]" ]
	jq -e '.linux.namespaces | map(.type) | index("network")' "$c"
	hpull --net bridge "$REG/test/busybox:1" "$BATS_TEST_TMPDIR/br2"
	jq -e '.hooks.createRuntime[0].args == ["hako-net","hook","--config","/etc/hako/net.json"]' "$BATS_TEST_TMPDIR/br2/config.json"

	run hpull -p 80:80 "$REG/test/busybox:1" "$BATS_TEST_TMPDIR/x"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--publish needs --net bridge"* ]]
	run hpull --net bridge -p 80:99999 "$REG/test/busybox:1" "$BATS_TEST_TMPDIR/x"
	[ "$status" -eq 1 ]
	[[ "$output" == *"\`99999\` is not a port"* ]]
	run hpull --net overlay "$REG/test/busybox:1" "$BATS_TEST_TMPDIR/x"
	[[ "$output" == *"--net \`overlay\`: expected none, host or bridge"* ]]
	run hpull --memory 12q "$REG/test/busybox:1" "$BATS_TEST_TMPDIR/x"
	[[ "$output" == *"--memory \`12q\`: expected a size"* ]]
	nothing_left "$BATS_TEST_TMPDIR/x" "$(cache_blobs)"

	hpull --tty "$REG/test/busybox:1" "$BATS_TEST_TMPDIR/tty" -- sh -c 'test -t 0 && echo tty'
	jq -e '.process.terminal == true' "$BATS_TEST_TMPDIR/tty/config.json"
	run script -qec "$HAKO --root $HAKO_ROOT run -b $BATS_TEST_TMPDIR/tty $ID" /dev/null
	# (script(1) may type its EOF into the terminal when its own stdin
	# ends; the container's terminal echoes it as ^@, before or after.)
	[[ "$output" == *tty* ]] || fail "with a terminal: $(printf %q "$output")"
}

@test "pull: progress bars on a terminal, nothing with --quiet" {
	run script -qec "$HAKO_PULL --cache $CACHE $REG/test/multi $B" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"downloaded  [##############################]"* ]]
	[[ "$output" == *"extracted   [##############################]"* ]]
	[[ "$output" == *"/s"* ]]
	rm -rf "$B"
	run script -qec "$HAKO_PULL --cache $CACHE --quiet $REG/test/multi $B" /dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "pull: images, rmi and prune" {
	hpull "$REG/test/busybox:1" "$B"
	hpull "$REG/test/multi" "$BATS_TEST_TMPDIR/m"
	run "$HAKO_PULL" images --cache "$CACHE"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "REPOSITORY"*"TAG"*"DIGEST"*"SIZE"*"CREATED" ]]
	[[ "$output" == *"$REG/test/busybox"*" 1 "*"sha256:"*"2024-01-02T03:04:05Z"* ]]
	run "$HAKO_PULL" images --cache "$CACHE" --format json
	echo "$output" | jq -e --arg r "$REG/test/multi" 'map(select(.repository == $r))[0] | .tag == "latest" and .size > 1000000 and .platform == "linux/amd64" and (.config | startswith("sha256:"))'
	[ "$(cache_blobs)" -eq 8 ]
	# Shared base layer: removing multi keeps busybox's blobs.
	run "$HAKO_PULL" rmi --cache "$CACHE" "$REG/test/multi"
	[ "$status" -eq 0 ]
	[[ "$output" == *"untagged $REG/test/multi:latest"* ]]
	[ "$(cache_blobs)" -eq 3 ]
	run "$HAKO_PULL" rmi --cache "$CACHE" "$REG/test/multi"
	[ "$status" -eq 1 ]
	[[ "$output" == *"image \`$REG/test/multi\` is not in the cache"* ]]
	hpull --pull never "$REG/test/busybox:1" "$BATS_TEST_TMPDIR/again"
	# A killed pull's leftovers, and blobs nothing uses, go with prune.
	echo junk >"$CACHE/staging/blob-dead01"
	echo junk >"$CACHE/blobs/sha256/$(printf '%064d' 7)"
	run "$HAKO_PULL" prune --cache "$CACHE"
	[ "$status" -eq 0 ]
	[[ "$output" == "removed 2 blobs"* ]]
	[ "$(cache_blobs)" -eq 3 ]
	echo junk >"$CACHE/staging/blob-dead02"
	run "$HAKO_PULL" prune -q --cache "$CACHE"
	[ "$status" -eq 0 ] && [ -z "$output" ] && [ -z "$(ls -A "$CACHE/staging")" ]
	run "$HAKO_PULL" images -q --cache "$CACHE"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--quiet is an option of \`prune\` only"* ]]
	local short
	short="$("$HAKO_PULL" images --cache "$CACHE" --format json | jq -r '.[0].digest[7:19]')"
	"$HAKO_PULL" rmi --cache "$CACHE" "$short"
	[ "$(cache_blobs)" -eq 0 ]
	[ "$("$HAKO_PULL" images --cache "$CACHE" --format json)" = "[]" ]
	# The cache is an OCI layout other tools read.
	hpull "$REG/test/busybox:1" "$BATS_TEST_TMPDIR/b3"
	umoci unpack --image "$CACHE:$REG/test/busybox:1" "$BATS_TEST_TMPDIR/u" >/dev/null
	[ -x "$BATS_TEST_TMPDIR/u/rootfs/bin/busybox" ]
}

@test "pull: concurrent pulls share the cache safely" {
	local i pids=()
	for i in 1 2 3 4; do
		hpull "$REG/test/multi" "$BATS_TEST_TMPDIR/c$i" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i"
	done
	for i in 1 2 3 4; do
		[ "$(tree_of "$BATS_TEST_TMPDIR/c$i/rootfs" | md5sum)" = "$(tree_of "$BATS_TEST_TMPDIR/c1/rootfs" | md5sum)" ]
	done
	[ "$(cache_blobs)" -eq 6 ]
	[ -z "$(ls -A "$CACHE/staging")" ]
	[ "$(jq '.manifests | length' "$CACHE/index.json")" -eq 1 ]
	for f in "$CACHE"/blobs/sha256/*; do
		[ "sha256:$(sha256sum "$f" | cut -c1-64)" = "sha256:$(basename "$f")" ]
	done
}

@test "pull: the bundle must be new or empty; usage errors" {
	mkdir -p "$B"
	touch "$B/keep"
	run hpull "$REG/test/busybox:1" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bundle \`$B\` exists and is not empty"* ]]
	[ -e "$B/keep" ]
	rm "$B/keep"
	hpull "$REG/test/busybox:1" "$B"
	[ -x "$B/rootfs/bin/busybox" ]
	run "$HAKO_PULL" onlyone
	[ "$status" -eq 2 ]
	[[ "$output" == *"expected IMAGE and BUNDLE"* ]]
	run "$HAKO_PULL" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage: hako-pull [options] IMAGE BUNDLE [-- ARGS...]"* ]]
	run "$HAKO_PULL" images --format yaml
	[ "$status" -eq 2 ]
}

@test "pull: an image with neither Entrypoint nor Cmd needs ARGS" {
	local lay="$BATS_TEST_TMPDIR/lay"
	python3 "$PULL_HELPERS/mkimage.py" "$lay" busybox --tag c
	local m cfg
	m="$(layout_manifest "$lay" c)"
	# Rewrite the config without Cmd (and the manifest and index with it).
	cfg="$(jq -r .config.digest "$lay/blobs/sha256/${m#sha256:}")"
	jq -c 'del(.config.Cmd)' "$lay/blobs/sha256/${cfg#sha256:}" >"$BATS_TEST_TMPDIR/cfg"
	local nc ns nm
	nc="sha256:$(sha256sum "$BATS_TEST_TMPDIR/cfg" | cut -c1-64)"
	ns="$(stat -c %s "$BATS_TEST_TMPDIR/cfg")"
	cp "$BATS_TEST_TMPDIR/cfg" "$lay/blobs/sha256/${nc#sha256:}"
	jq -c --arg d "$nc" --argjson s "$ns" '.config.digest = $d | .config.size = $s' "$lay/blobs/sha256/${m#sha256:}" >"$BATS_TEST_TMPDIR/man"
	nm="sha256:$(sha256sum "$BATS_TEST_TMPDIR/man" | cut -c1-64)"
	cp "$BATS_TEST_TMPDIR/man" "$lay/blobs/sha256/${nm#sha256:}"
	jq -c --arg d "$nm" --argjson s "$(stat -c %s "$BATS_TEST_TMPDIR/man")" \
		'.manifests |= map(if .annotations."org.opencontainers.image.ref.name" == "c" then .digest = $d | .size = $s else . end)' \
		"$lay/index.json" >"$BATS_TEST_TMPDIR/ix" && mv "$BATS_TEST_TMPDIR/ix" "$lay/index.json"
	run hpull "oci:$lay:c" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"the image has no Entrypoint or Cmd: give the command after \`--\`"* ]]
	nothing_left "$B" 0
	hpull "oci:$lay:c" "$B" -- echo given
	run hako run -b "$B" "$ID"
	[ "$output" = given ]
}

@test "pull: HTTPS: an untrusted certificate is refused, --tls-verify=false accepts it" {
	local dir="$PULL_DIR/regtls" port
	port="$("$PULL_HELPERS/registry.sh" start "$dir" tls)"
	skopeo copy -q --dest-tls-verify=false "oci:$LAYOUT:busybox" "docker://127.0.0.1:$port/t/busybox:1" >/dev/null
	run hpull "127.0.0.1:$port/t/busybox:1" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot reach registry 127.0.0.1:$port: https://127.0.0.1:$port/v2/: SSL certificate problem: self-signed certificate"* ]]
	nothing_left "$B" 0
	hpull --tls-verify=false "127.0.0.1:$port/t/busybox:1" "$B"
	"$PULL_HELPERS/registry.sh" stop "$dir"
	same_as_umoci "$B/rootfs" busybox
}

@test "pull: references as users write them, with docker.io's defaults" {
	local ref want
	for ref in "busybox|docker.io/library/busybox:latest" "alpine:3.19|docker.io/library/alpine:3.19" \
		"hashicorp/http-echo|docker.io/hashicorp/http-echo:latest" \
		"docker://index.docker.io/library/busybox|docker.io/library/busybox:latest" \
		"localhost:5000/team/app:tag|localhost:5000/team/app:tag" \
		"registry.example.com/a/b/c|registry.example.com/a/b/c:latest" \
		"busybox:1@sha256:$(printf '%064d' 1)|docker.io/library/busybox@sha256:$(printf '%064d' 1)"; do
		want="${ref#*|}"
		run hpull --pull never "${ref%%|*}" "$B"
		[ "$status" -eq 1 ]
		[[ "$output" == "hako-pull: $want is not in the cache"* ]] || fail "${ref%%|*}: $output"
	done
	for ref in "Busybox" "a//b" "a/-x" "host:port/x" "busybox:" "busybox@md5:00"; do
		run hpull --pull never "$ref" "$B"
		[ "$status" -eq 1 ]
		[[ "$output" == "hako-pull: image reference \`$ref\`: "* ]] || fail "$ref: $output"
	done
	nothing_left "$B" 0
}

# interrupted_pull SIGNAL PATHS DELAY...: pull big:1 into $B, sending
# SIGNAL after each DELAY in turn until one lands before the pull ends (a
# local registry is quick; PATHS are removed before each try, undoing a
# pull that finished).  The pull's exit status in $status.
interrupted_pull() {
	local sig="$1" paths="$2" delay pid
	shift 2
	for delay in "$@"; do
		# shellcheck disable=SC2086 # PATHS is a list
		rm -rf $paths
		"$HAKO_PULL" --cache "$CACHE" "$REG/test/big:1" "$B" &
		pid=$!
		sleep "$delay"
		kill -"$sig" "$pid" 2>/dev/null || true
		status=0
		wait "$pid" || status=$?
		[ "$status" -eq 0 ] || return 0
	done
}

@test "pull: an interrupted pull leaves nothing behind" {
	python3 "$PULL_HELPERS/mkimage.py" "$PULL_DIR/biglayout" big --mb 48
	skopeo copy -q --dest-tls-verify=false "oci:$PULL_DIR/biglayout:big" "docker://$REG/test/big:1" >/dev/null
	# While downloading: an empty cache.
	interrupted_pull INT "$B $CACHE" 0.3 0.15 0.08 0.04 0.02 0.01
	[ "$status" -ne 0 ] || skip "every pull finished before the signal"
	[ "$status" -eq 130 ]
	nothing_left "$B" 0
	# While extracting: from the cache.
	hpull "$REG/test/big:1" "$B"
	interrupted_pull TERM "$B" 0.2 0.1 0.05 0.02 0.01 0.005
	[ "$status" -ne 0 ] || skip "every pull finished before the signal"
	[ "$status" -eq 143 ]
	nothing_left "$B" 4
}

@test "pull: bearer tokens: anonymous and with credentials, scoped to the repository" {
	local dir="$PULL_DIR/regtok" port
	port="$("$PULL_HELPERS/registry.sh" start "$dir" token "$REG_USER:$REG_PASS")"
	local r="127.0.0.1:$port"
	push busybox "$r/public/busybox:1" --dest-creds "$REG_USER:$REG_PASS"
	push multi "$r/private/multi:1" --dest-creds "$REG_USER:$REG_PASS"
	: >"$dir/token.log"
	# public/ is open to anonymous pulls: a token without credentials.
	hpull "$r/public/busybox:1" "$B"
	[ "$(cat "$dir/token.log")" = "repository:public/busybox:pull" ]
	run hpull "$r/private/multi:1" "$BATS_TEST_TMPDIR/p1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$r/private/multi: unauthorized: authentication required (UNAUTHORIZED); give --creds USER:PASSWORD or log in"* ]]
	nothing_left "$BATS_TEST_TMPDIR/p1" 3
	run hpull --creds "$REG_USER:wrong" "$r/private/multi:1" "$BATS_TEST_TMPDIR/p1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$r: wrong credentials for user \`$REG_USER\` (token service said 401)"* ]]
	nothing_left "$BATS_TEST_TMPDIR/p1" 3
	hpull --creds "$REG_USER:$REG_PASS" "$r/private/multi:1" "$BATS_TEST_TMPDIR/p1"
	"$PULL_HELPERS/registry.sh" stop "$dir"
	[ "$(tail -1 "$dir/token.log")" = "repository:private/multi:pull" ]
	same_as_umoci "$BATS_TEST_TMPDIR/p1/rootfs" multi-gz
}

@test "pull: a layer repeated in an image is downloaded once and applied twice" {
	local lay="$BATS_TEST_TMPDIR/lay" salt="repeat-$RANDOM-$$"
	python3 "$PULL_HELPERS/mkimage.py" "$lay" busybox --salt "$salt" --repeat --tag r
	[ "$(layout_layer "$lay" r 1)" = "$(layout_layer "$lay" r 3)" ]
	skopeo copy -q --dest-tls-verify=false "oci:$lay:r" "docker://$REG/test/repeat:1" >/dev/null
	hpull "$REG/test/repeat:1" "$B"
	# salt, whited out, then back: the last layer wins.
	[ "$(head -1 "$B/rootfs/salt")" = "$salt" ]
	[ "$(cache_blobs)" -eq 5 ]
	hpull "oci:$lay:r" "$BATS_TEST_TMPDIR/local"
	[ "$(tree_of "$BATS_TEST_TMPDIR/local/rootfs")" = "$(tree_of "$B/rootfs")" ]
}

@test "pull: without root: owners and device nodes are not kept, with warnings; a rootless config" {
	# A world-readable copy of the layout and a directory nobody owns.
	local d
	d="$(mktemp -d /tmp/hako-pull-rootless.XXXXXX)"
	chmod 755 "$d"
	mkdir "$d/lay" "$d/w"
	cp -r "$LAYOUT/." "$d/lay/"
	chmod -R a+rX "$d/lay"
	chown 65534:65534 "$d/w"
	run setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$d/w" \
		"$(any_user_copy "$HAKO_PULL")" --cache "$d/w/cache" "oci:$d/lay:multi" "$d/w/b"
	local owners ns
	owners="$(stat -c %u:%g "$d/w/b/rootfs/etc/app/app.conf" 2>&1)"
	ns="$(jq -c '[.linux.namespaces[].type | select(. == "user" or . == "network")], .linux.uidMappings[0].hostID' "$d/w/b/config.json" 2>&1)"
	rm -rf "$d"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: 1 device nodes not made (only root can make them)"* ]]
	[[ "$output" == *"warning: the image runs as 1000:1000, which a rootless bundle maps only if"* ]]
	[ "$owners" = 65534:65534 ]
	[ "$ns" = '["user"]
65534' ]
}
