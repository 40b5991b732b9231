#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The figures of BENCHMARKS.md, side by side with Debian's crun and runc in
# one run on the same bundle.  Not part of the test suite.
#   contrib/bench/bench.sh [BUILDDIR] [WORKLOAD...]
# Workloads: run run-seccomp lifecycle exec parallel memory size scale
# (default: all).  Results go to stdout (markdown) and $OUT (default
# /tmp/hako-bench).
set -eu
src="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$src/build}" && pwd)"
shift || true
HAKO="$build/hako"
OUT="${OUT:-/tmp/hako-bench}"
RUNS="${RUNS:-100}"
mkdir -p "$OUT"
# scale last: removing its thousands of containers takes crun and runc a while.
workloads="${*:-run run-seccomp lifecycle exec parallel memory size scale}"

command -v hyperfine >/dev/null || { echo "hyperfine is needed (apt-get install hyperfine)" >&2; exit 1; }
command -v crun >/dev/null && command -v runc >/dev/null || { echo "crun and runc are needed" >&2; exit 1; }

# crun 1.8.1 refuses this host's hybrid cgroup layout: everything below runs
# in a private mount namespace without /sys/fs/cgroup/unified, for all three
# runtimes alike.
if [ -z "${HAKO_BENCH_INNER:-}" ]; then
	export HAKO_BENCH_INNER=1
	exec unshare -m bash -c 'mountpoint -q /sys/fs/cgroup/unified && umount /sys/fs/cgroup/unified; exec "$0" "$@"' "$0" "$build" $workloads
fi

bundle="$OUT/bundle"
make_bundle() {
	cd "$OUT"
	rm -rf "$bundle"
	mkdir -p "$bundle/rootfs"/{bin,etc,proc,sys,dev,tmp}
	cp /bin/busybox "$bundle/rootfs/bin/"
	for a in true sleep sh; do ln -s busybox "$bundle/rootfs/bin/$a"; done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$bundle/rootfs/etc/passwd"
	(cd "$bundle" && "$HAKO" spec)
	# ociVersion 1.0.2: crun 1.8.1 refuses newer versions.
	python3 - "$bundle/config.json" "${1:-}" <<'PY'
import json, sys
path, seccomp = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c["ociVersion"] = "1.0.2"
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
if seccomp:
    c["linux"]["seccomp"] = json.load(open(seccomp))
json.dump(c, open(path, "w"), indent=1)
PY
}

H="$HAKO --root $OUT/root-hako"
C="crun --root $OUT/root-crun"
R="runc --root $OUT/root-runc"
# Each runtime's command line by name.
declare -A RT=([hako]="$H" [crun]="$C" [runc]="$R")

# hf NAME COMMAND...: the commands timed by hyperfine in ROUNDS rounds
# (default 5) that alternate between them, RUNS runs each in all; the
# medians are over every run of every round, so that a slow moment of the
# machine falls on every runtime alike.
hf() {
	local name="$1" rounds="${ROUNDS:-5}" r
	shift
	[ "$RUNS" -ge "$rounds" ] || rounds=1
	for r in $(seq "$rounds"); do
		hyperfine -N -w 3 -r $((RUNS / rounds)) --export-json "$OUT/$name.$r.json" "$@" >"$OUT/$name.$r.txt" 2>&1 ||
			{ cat "$OUT/$name.$r.txt"; return 1; }
	done
	python3 - "$OUT" "$name" "$rounds" <<'PY'
import json, statistics, sys
out, name, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
times, user, system = {}, {}, {}
order = []
for r in range(1, rounds + 1):
    for res in json.load(open(f"{out}/{name}.{r}.json"))["results"]:
        c = res["command"]
        if c not in times:
            order.append(c)
        times.setdefault(c, []).extend(res["times"])
        user.setdefault(c, []).extend(res.get("user_times") or [res["user"]])
        system.setdefault(c, []).extend(res.get("system_times") or [res["system"]])
json.dump({c: times[c] for c in order}, open(f"{out}/{name}.json", "w"))
print(f"\n### {name}\n")
print("| command | runs | median (ms) | mean ± σ (ms) | min (ms) | CPU user+sys (ms, mean) |")
print("|---|---|---|---|---|---|")
med = {}
for c in order:
    t = times[c]
    cpu = (statistics.mean(user[c]) + statistics.mean(system[c])) * 1000
    print(f"| `{c[:80]}` | {len(t)} | {statistics.median(t)*1000:.2f} | {statistics.mean(t)*1000:.2f} ± {statistics.pstdev(t)*1000:.2f} | {min(t)*1000:.2f} | {cpu:.2f} |")
    words = [w.split("/")[-1] for w in c.replace("'", " ").split()]
    for k in ("unshare", "hako", "crun", "runc"):
        if k in words:
            med.setdefault(k, statistics.median(t))
            break
if "hako" in med:
    print()
    for k in ("crun", "runc", "unshare"):
        if k in med:
            print(f"- hako / {k} (medians): {med['hako']/med[k]:.2f}")
PY
}

for w in $workloads; do
	case "$w" in
	run)
		make_bundle
		cd "$bundle"
		hf run "$H run b" "$C run b" "$R run b" \
			"unshare --fork --pid --net --ipc --uts --mount --cgroup chroot $bundle/rootfs /bin/true"
		;;
	run-seccomp)
		make_bundle "$src/contrib/seccomp/default.json"
		cd "$bundle"
		hf run-seccomp "$H run b" "$C run b" "$R run b"
		;;
	lifecycle)
		make_bundle
		cd "$bundle"
		python3 - config.json <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["process"]["args"] = ["/bin/sleep", "1000"]; json.dump(c, open(sys.argv[1], "w"))
PY
		hf lifecycle "sh -c '$H create l </dev/null >/dev/null 2>&1 && $H start l && $H delete --force l'" \
			"sh -c '$C create l </dev/null >/dev/null 2>&1 && $C start l && $C delete --force l'" \
			"sh -c '$R create l </dev/null >/dev/null 2>&1 && $R start l && $R delete --force l'"
		;;
	exec)
		make_bundle
		cd "$bundle"
		python3 - config.json <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["process"]["args"] = ["/bin/sleep", "1000"]; json.dump(c, open(sys.argv[1], "w"))
PY
		for rt in "$H" "$C" "$R"; do $rt run -d e </dev/null >/dev/null 2>&1; done
		hf exec "$H exec e /bin/true" "$C exec e /bin/true" "$R exec e /bin/true"
		for rt in "$H" "$C" "$R"; do $rt delete --force e >/dev/null 2>&1; done
		;;
	parallel)
		make_bundle
		cd "$bundle"
		python3 - config.json <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["process"]["args"] = ["/bin/sleep", "1000"]; json.dump(c, open(sys.argv[1], "w"))
PY
		echo -e "\n### parallel: 50 containers created and started at once, then deleted\n"
		echo "| runtime | seconds | containers/s | failures |"
		echo "|---|---|---|---|"
		for rt in hako crun runc; do
			cmd="${RT[$rt]}"
			start=$(date +%s.%N)
			fails=0
			for i in $(seq 50); do
				( $cmd run -d "p$i" </dev/null >/dev/null 2>&1 || echo fail >>"$OUT/par-$rt.fail" ) &
			done
			wait
			for i in $(seq 50); do $cmd delete --force "p$i" >/dev/null 2>&1 & done
			wait
			end=$(date +%s.%N)
			[ -f "$OUT/par-$rt.fail" ] && fails=$(wc -l <"$OUT/par-$rt.fail") && rm -f "$OUT/par-$rt.fail"
			python3 -c "import sys; t=$end-$start; print(f'| $rt | {t:.2f} | {50/t:.1f} | $fails |')"
		done
		;;
	scale)
		make_bundle
		cd "$bundle"
		python3 - config.json <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["process"]["args"] = ["/bin/sleep", "1000"]; json.dump(c, open(sys.argv[1], "w"))
PY
		# The same calls with 10 and with SCALE_N (1,000) containers present.
		for n in 10 "${SCALE_N:-1000}"; do
			for rt in hako crun runc; do
				cmd="${RT[$rt]}"
				for i in $(seq "$n"); do $cmd create "s$i" </dev/null >/dev/null 2>&1; done
			done
			RUNS=30 hf "scale-$n-state" "$H state s5" "$C state s5" "$R state s5"
			RUNS=10 hf "scale-$n-list" "$H list" "$C list" "$R list"
			RUNS=30 hf "scale-$n-kill" "$H kill s5 0" "$C kill s5 0" "$R kill s5 0"
			for rt in hako crun runc; do
				cmd="${RT[$rt]}"
				for i in $(seq "$n"); do
					$cmd delete --force "s$i" >/dev/null 2>&1 &
					[ $((i % 20)) != 0 ] || wait
				done
				wait
			done
		done
		;;
	memory)
		make_bundle
		cd "$bundle"
		echo -e "\n### peak RSS of the runtime process (run /bin/true), KiB\n"
		echo "| runtime | max RSS (KiB) |"
		echo "|---|---|"
		for rt in hako crun runc; do
			cmd="${RT[$rt]}"
			rss=$( { /usr/bin/time -f '%M' $cmd run m >/dev/null; } 2>&1 | tail -n1)
			echo "| $rt | $rss |"
		done
		python3 - config.json <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["linux"].setdefault("resources", {})["memory"] = {"limit": 524288}; json.dump(c, open(sys.argv[1], "w"))
PY
		echo -e "\n### a container under a 512 KiB memory limit\n"
		for rt in hako crun runc; do
			cmd="${RT[$rt]}"
			if $cmd run m512 >/dev/null 2>&1; then echo "- $rt: starts"; else echo "- $rt: fails"; $cmd delete --force m512 >/dev/null 2>&1 || true; fi
		done
		;;
	size)
		echo -e "\n### binary size and start-up\n"
		for b in "$HAKO" "$(command -v crun)" "$(command -v runc)"; do
			echo "- $(basename "$b"): $(stat -c %s "$b") bytes"
		done
		RUNS=200 hf version "$HAKO --version" "crun --version" "runc --version"
		;;
	esac
done
