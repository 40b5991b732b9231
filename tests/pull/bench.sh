#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# hako-pull against skopeo copy + umoci unpack, with hyperfine, from a
# private docker-registry on 127.0.0.1.  Prints hyperfine's markdown tables.
#   tests/pull/bench.sh BUILDDIR [RUNS]
# The images, cache and bundles live under $BENCH_DIR (default /var/tmp):
# set it to a tmpfs (/dev/shm) to take the disk out of the figures.
# Images: "big" (busybox + 64 MiB in 4 KiB..1 MiB files, gzip) and "multi"
# (busybox + 3 layers, 2000 small files, gzip/zstd/tar; skopeo+umoci gets
# multi-gz, the same with gzip for zstd, as umoci 0.4 cannot read zstd).
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:?usage: bench.sh BUILDDIR [RUNS]}" && pwd)"
runs="${2:-10}"
pull="$build/hako-pull"
work="$(mktemp -d "${BENCH_DIR:-/var/tmp}/hako-pull-bench.XXXXXX")"
trap '"$here/registry.sh" stop "$work/reg"; rm -rf "$work"' EXIT

python3 "$here/mkimage.py" "$work/layout" big --mb 64
python3 "$here/mkimage.py" "$work/layout" multi
python3 "$here/mkimage.py" "$work/layout" multi-gz
port="$("$here/registry.sh" start "$work/reg")"
reg="127.0.0.1:$port"
for t in big multi multi-gz; do
	skopeo copy -q --dest-tls-verify=false "oci:$work/layout:$t" "docker://$reg/bench/$t:1" >/dev/null
done

cd "$work"
for img in big multi; do
	other="$img"
	[ "$img" = multi ] && other=multi-gz
	echo "### $img"
	# Warm the page cache and hako-pull's blob cache for the cached run.
	rm -rf warm-bundle
	"$pull" --cache warm "$reg/bench/$img:1" warm-bundle >/dev/null
	hyperfine --style basic --warmup 1 --runs "$runs" --export-json "$work/$img.json" \
		--prepare "rm -rf cold b oci u; sync" \
		-n "hako-pull (empty cache)" "$pull --cache cold $reg/bench/$img:1 b" \
		-n "skopeo copy + umoci unpack" \
		"skopeo copy -q --src-tls-verify=false docker://$reg/bench/$other:1 oci:oci:x && umoci unpack --image oci:x u" \
		-n "hako-pull (cached)" "$pull --cache warm $reg/bench/$img:1 b" \
		-n "hako-pull (local layout: unpack only)" "$pull --cache warm oci:$work/layout:$img b" \
		-n "umoci unpack (local layout)" "umoci unpack --image $work/layout:$other u" >/dev/null
	echo "| command | median | mean ± σ | CPU (user + sys) |"
	echo "|---|---|---|---|"
	jq -r '.results[] | "| \(.command) | \(.median * 1000 | round) ms | \(.mean * 1000 | round) ± \(.stddev * 1000 | round) ms | \((.user + .system) * 1000 | round) ms |"' "$work/$img.json"
	echo
done
