# SPDX-License-Identifier: Apache-2.0
# For tests/integration/pull*.bats: images built offline (mkimage.py),
# private docker-registry instances on 127.0.0.1 (registry.sh), pushed with
# skopeo, and checks that a failed pull leaves nothing behind.

PULL_HELPERS="$(cd "$BATS_TEST_DIRNAME/../pull" && pwd)"
HAKO_PULL="${HAKO_PULL:-$HAKO_BUILDDIR/hako-pull}"
REG_USER=tester
REG_PASS=s3cret-pw

# Once per file: the layouts and two registries (open, and with basic
# auth), the images pushed to them.
pull_setup_file() {
	[ -x "$HAKO_PULL" ] || return 0
	PULL_MISSING=""
	local t
	for t in docker-registry skopeo umoci htpasswd zstd openssl; do
		command -v "$t" >/dev/null || PULL_MISSING="$PULL_MISSING $t"
	done
	export PULL_MISSING
	[ -z "$PULL_MISSING" ] || return 0
	export PULL_DIR="$BATS_FILE_TMPDIR"
	export LAYOUT="$PULL_DIR/layout"
	local k
	for k in busybox multi multi-gz index; do
		python3 "$PULL_HELPERS/mkimage.py" "$LAYOUT" "$k" --probe "$PROBE"
	done
	REG="127.0.0.1:$("$PULL_HELPERS/registry.sh" start "$PULL_DIR/reg")"
	REGA="127.0.0.1:$("$PULL_HELPERS/registry.sh" start "$PULL_DIR/rega" "$REG_USER:$REG_PASS")"
	export REG REGA
	push busybox "$REG/test/busybox:1"
	push multi "$REG/test/multi:latest"
	push index "$REG/test/index:latest" --all
	push busybox "$REG/docker/busybox:v2s2" --format v2s2
	push index "$REG/docker/index:list" --all --format v2s2
	push busybox "$REGA/private/busybox:1" --dest-creds "$REG_USER:$REG_PASS"
}

pull_teardown_file() {
	[ -n "${PULL_DIR:-}" ] || return 0
	"$PULL_HELPERS/registry.sh" stop "$PULL_DIR/reg"
	"$PULL_HELPERS/registry.sh" stop "$PULL_DIR/rega"
	pull_stop_extra
}

# Registries a test starts for itself (down, TLS, token) are stopped after
# it, whether it passed or not.
pull_stop_extra() {
	local d
	for d in regx regtls regtok; do
		[ ! -f "$PULL_DIR/$d/pid" ] || "$PULL_HELPERS/registry.sh" stop "$PULL_DIR/$d"
	done
}

pull_teardown() {
	[ -z "${PULL_DIR:-}" ] || pull_stop_extra
	teardown_hako
}

# push TAG DEST [skopeo options]: the layout's TAG to docker://DEST.
push() {
	local tag="$1" dest="$2"
	shift 2
	skopeo copy -q --dest-tls-verify=false "$@" "oci:$LAYOUT:$tag" "docker://$dest" >/dev/null
}

pull_setup() {
	[ -x "$HAKO_PULL" ] || skip "hako-pull not built"
	[ -z "${PULL_MISSING:-}" ] || skip "missing:$PULL_MISSING (contrib/setup.sh installs them)"
	setup_hako
	CACHE="$BATS_TEST_TMPDIR/cache"
	B="$BATS_TEST_TMPDIR/bundle"
	# shellcheck disable=SC2034 # read by helpers.bash's assert_no_leftovers
	BUNDLE="$B"
}

# hpull ARGS...: hako-pull with the test's cache.
hpull() {
	"$HAKO_PULL" --cache "$CACHE" "$@"
}

# The sorted listing of a rootfs (tests/pull/treelist.py).
tree_of() {
	python3 "$PULL_HELPERS/treelist.py" "$1"
}

# same_as_umoci ROOTFS TAG: ROOTFS holds what umoci unpacks from the
# layout's TAG (paths, types, modes, owners, contents, links, xattrs).
same_as_umoci() {
	local u="$BATS_TEST_TMPDIR/umoci-$2"
	umoci unpack --image "$LAYOUT:$2" "$u" >/dev/null
	tree_of "$1" >"$BATS_TEST_TMPDIR/ours.txt"
	tree_of "$u/rootfs" >"$BATS_TEST_TMPDIR/umoci.txt"
	rm -rf "$u"
	if ! diff -u "$BATS_TEST_TMPDIR/umoci.txt" "$BATS_TEST_TMPDIR/ours.txt"; then
		fail "rootfs differs from umoci unpack of $2"
	fi
	[ "$(wc -l <"$BATS_TEST_TMPDIR/ours.txt")" -gt 10 ] || fail "empty listing"
}

# The number of blobs in the cache (0 when there is no cache).
cache_blobs() {
	find "$CACHE/blobs" -type f 2>/dev/null | wc -l
}

# nothing_left BUNDLE BLOBS: no bundle, no temporary bundle beside it,
# no staged download, and the cache still holds BLOBS blobs.
nothing_left() {
	local b="$1" want="$2"
	[ ! -e "$b" ] || fail "bundle $b left behind"
	local d t
	d="$(dirname "$b")"
	for t in "$d/.$(basename "$b").hako-pull-"*; do
		[ ! -e "$t" ] || fail "temporary bundle $t left behind"
	done
	[ -z "$(ls -A "$CACHE/staging" 2>/dev/null)" ] || fail "staged blobs left in $CACHE/staging"
	[ "$(cache_blobs)" -eq "$want" ] || fail "cache holds $(cache_blobs) blobs, expected $want"
}

# registry_blob DIGEST: the file a registry stores it in.
registry_blob() {
	local hex="${2#sha256:}"
	echo "$PULL_DIR/$1/storage/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
}

# The digest of layer N of the manifest tagged TAG in LAYOUT_DIR.
layout_layer() {
	local lay="$1" tag="$2" n="$3" m
	m="$(jq -r --arg t "$tag" '.manifests[] | select(.annotations."org.opencontainers.image.ref.name" == $t) | .digest' "$lay/index.json")"
	jq -r ".layers[$n].digest" "$lay/blobs/sha256/${m#sha256:}"
}

# The manifest digest of TAG in LAYOUT_DIR.
layout_manifest() {
	jq -r --arg t "$2" '.manifests[] | select(.annotations."org.opencontainers.image.ref.name" == $t) | .digest' "$1/index.json"
}
