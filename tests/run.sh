#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Run the whole test suite against a build directory: unit tests (TAP),
# the parser fuzz target for a bounded time, and the bats files.  Prints
# each result and ends with one line: "N passed, N failed".
#   tests/run.sh BUILDDIR [BATS-FILE...]
set -u
srcdir="$(cd "$(dirname "$0")/.." && pwd)"
builddir="$(cd "${1:?usage: tests/run.sh BUILDDIR [bats files]}" && pwd)"
shift
export HAKO_BUILDDIR="$builddir"
passed=0
failed=0
log="$builddir/tests/results"
mkdir -p "$log"

count_tap() {
	local file="$1" p f
	p=$(grep -cE '^ok ' "$file" || true)
	f=$(grep -cE '^not ok ' "$file" || true)
	passed=$((passed + p))
	failed=$((failed + f))
	grep -E '^not ok ' "$file" | sed 's/^/  /' || true
}

if [ $# -eq 0 ]; then
	echo "== unit tests"
	make -C "$builddir" -s check-programs >/dev/null 2>&1 || make -C "$builddir" check-programs
	for t in "$builddir"/tests/unit/test-*; do
		[ -x "$t" ] || continue
		case "$t" in *.o|*.log|*.trs|*.c) continue ;; esac
		"$t" >"$log/$(basename "$t").tap" 2>&1
		count_tap "$log/$(basename "$t").tap"
	done
	if [ -x "$builddir/tests/fuzz/fuzz-config" ]; then
		echo "== fuzz (bounded)"
		# New inputs go to a work corpus in the build tree, fresh each time
		# so that the run stays bounded; the seed corpus is only read.
		rm -rf "$builddir/tests/fuzz/work"
		mkdir -p "$builddir/tests/fuzz/work"
		if "$builddir/tests/fuzz/fuzz-config" -max_total_time="${HAKO_FUZZ_SECONDS:-30}" \
			-dict="$builddir/tests/fuzz/config.dict" -artifact_prefix="$log/fuzz-" \
			"$builddir/tests/fuzz/work" "$srcdir/tests/fuzz/corpus" >"$log/fuzz.log" 2>&1; then
			echo "ok 1 fuzz-config ran clean" >"$log/fuzz.tap"
		else
			echo "not ok 1 fuzz-config crashed (see $log/fuzz.log)" >"$log/fuzz.tap"
		fi
		count_tap "$log/fuzz.tap"
	fi
	# The stress suite runs with its short sizes here; `make stress` runs
	# the full sizes.
	set -- "$srcdir"/tests/integration/*.bats "$srcdir"/tests/stress/*.bats
	vm=1
fi

# timed NAME SECONDS ERRFILE COMMAND...: COMMAND's TAP into $log/NAME.tap
# (stderr into ERRFILE, or with the TAP when it is empty), within SECONDS,
# so that one wedged test cannot hold the whole run; running out of time is
# a failure of its own.  Counted, with the seconds it took.
timed() {
	local name="$1" limit="$2" errfile="$3" start=$SECONDS rc
	shift 3
	if [ -n "$errfile" ]; then
		timeout -k 10 "$limit" "$@" >"$log/$name.tap" 2>"$errfile"
	else
		timeout -k 10 "$limit" "$@" >"$log/$name.tap" 2>&1
	fi
	rc=$?
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "not ok 999 $name: timed out after $limit s${errfile:+ (see $errfile)}" >>"$log/$name.tap"
	fi
	echo "== $name ($((SECONDS - start)) s)"
	count_tap "$log/$name.tap"
}

for f in "$@"; do
	timed "$(basename "$f" .bats)" "${HAKO_FILE_TIMEOUT:-600}" "" bats --tap "$f"
done
# The cgroup tests in VMs (cgroup2 alone; systemd as PID 1) where QEMU is
# or can be installed; HAKO_NO_VM=1 leaves them out.
if [ "${vm:-0}" = 1 ] && [ -z "${HAKO_NO_VM:-}" ] && { command -v qemu-system-x86_64 >/dev/null || [ "$(id -u)" = 0 ]; }; then
	timed vm "${HAKO_VM_TOTAL_TIMEOUT:-900}" "$log/vm.log" "$srcdir/tests/vm/vm-test.sh" "$builddir"
fi
echo "total time: $SECONDS s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
