#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The command line as runc's callers use it: global options (--root, --log,
# --log-format text|json, --debug), --version as go-runc parses it, --help
# of every command naming every option it takes, and usage errors (unknown
# options and commands, missing arguments) exiting 1.

load helpers

setup() {
	setup_hako
}

teardown() {
	teardown_hako
}

# Every command and the options it takes (":" marks one that takes a value).
declare -A FLAGS=(
	[checkpoint]=""
	[create]="bundle: config: console-socket: pid-file: no-pivot no-new-keyring preserve-fds: no-subreaper"
	[delete]="force"
	[events]="stats interval:"
	[exec]="process: tty console-socket: detach pid-file: env: cwd: user: additional-gids: cap: no-new-privs preserve-fds: process-label: apparmor: cgroup: ignore-paused"
	[features]=""
	[kill]="all"
	[list]="format: quiet"
	[pause]=""
	[ps]="format:"
	[restore]=""
	[resume]=""
	[run]="bundle: config: console-socket: pid-file: no-pivot no-new-keyring preserve-fds: detach keep no-subreaper"
	[spec]="bundle: rootless"
	[start]=""
	[state]=""
	[update]="resources: blkio-weight: cpu-period: cpu-quota: cpu-burst: cpu-share: cpu-rt-period: cpu-rt-runtime: cpuset-cpus: cpuset-mems: cpu-idle: memory: memory-reservation: memory-swap: kernel-memory: kernel-memory-tcp: pids-limit: l3-cache-schema: mem-bw-schema:"
	[validate]="bundle: config:"
)

@test "cli: --version: hako version, commit, spec, in that order (as go-runc parses it)" {
	run "$HAKO" --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^hako\ version\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	[[ "${lines[1]}" =~ ^commit:\ [0-9a-f]{40}$|^commit:\ unknown$ ]]
	[ "${lines[2]}" = "spec: 1.3.0" ]
	run "$HAKO" -v
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "hako version "* ]]
}

@test "cli: --help, -h and help list every command; no command is a usage error" {
	local cmd
	for h in --help -h help; do
		run "$HAKO" $h
		[ "$status" -eq 0 ]
		[[ "${lines[0]}" == "Usage: hako "* ]]
		for cmd in "${!FLAGS[@]}"; do
			grep -qE "^  $cmd +[a-z]" <<<"$output" || fail "$h does not list $cmd"
		done
		for g in --root --log --log-format --log-level --debug --systemd-cgroup --rootless --criu --version --help; do
			[[ "$output" == *"$g"* ]] || fail "$h does not mention $g"
		done
	done
	run "$HAKO"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "Usage: hako "* ]]
}

@test "cli: every command's --help exits 0 and names every option the command takes" {
	local cmd f
	for cmd in "${!FLAGS[@]}"; do
		run hako "$cmd" --help
		[ "$status" -eq 0 ] || fail "$cmd --help: status $status"
		[[ "${lines[0]}" == "Usage: hako $cmd"* ]] || fail "$cmd --help: ${lines[0]}"
		for f in ${FLAGS[$cmd]}; do
			f="${f%:}"
			grep -qE -- "--$f([ ,=]|$)" <<<"$output" || fail "$cmd --help does not mention --$f"
		done
		run hako "$cmd" -h
		[ "$status" -eq 0 ]
	done
}

@test "cli: every option named in a command's --help is accepted by it" {
	local cmd f
	cd "$BATS_TEST_TMPDIR"
	for cmd in "${!FLAGS[@]}"; do
		for f in ${FLAGS[$cmd]}; do
			if [[ "$f" == *: ]]; then
				run hako "$cmd" "--${f%:}" 1
			else
				run hako "$cmd" "--$f"
			fi
			[[ "$output" != *"unknown option"* ]] || fail "$cmd --$f: $output"
		done
	done
}

@test "cli: unknown options are usage errors with exit 1, for every command" {
	local cmd
	for cmd in "${!FLAGS[@]}"; do
		[ "$cmd" = checkpoint ] || [ "$cmd" = restore ] && continue
		run hako "$cmd" --no-such-option x
		[ "$status" -eq 1 ] || fail "$cmd: status $status"
		[[ "$output" == *"unknown option \`--no-such-option\`"* ]] || fail "$cmd: $output"
		[[ "$output" == *"hako $cmd --help"* ]] || fail "$cmd: no pointer to --help: $output"
	done
	run "$HAKO" --no-such-global list
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown option \`--no-such-global\`"* ]]
	run hako kill -Z x
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown option \`-Z\`"* ]]
}

@test "cli: missing arguments and option values are usage errors with exit 1" {
	local cmd
	for cmd in start state pause resume delete kill create run exec ps update events; do
		run hako "$cmd"
		[ "$status" -eq 1 ] || fail "$cmd without an id: status $status"
		[[ "$output" == *"a container id is required"* ]] || fail "$cmd: $output"
	done
	run hako create --bundle
	[ "$status" -eq 1 ]
	[[ "$output" == *"option \`--bundle\` needs a value"* ]]
	run hako exec -u
	[ "$status" -eq 1 ]
	[[ "$output" == *"option \`-u\` needs a value"* ]]
	run hako exec "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"a command is required"* ]]
	run hako start a b
	[ "$status" -eq 1 ]
	[[ "$output" == *"exactly one container id is expected"* ]]
	run "$HAKO" --root
	[ "$status" -eq 1 ]
}

@test "cli: an unknown command is an error with exit 1" {
	run hako frobnicate x
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown command \`frobnicate\`"* ]]
}

@test "cli: --root holds the state; another root does not see the container" {
	setup_bundle probe pause
	# The init holds its stdio until start: keep it off bats' pipes.
	hako create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	[ -d "$HAKO_ROOT/$ID" ]
	run "$HAKO" --root="$HAKO_ROOT" state "$ID"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = created ]
	local other="$BATS_TEST_TMPDIR/other-root"
	run "$HAKO" --root "$other" state "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"container \`$ID\` does not exist"* ]]
	run "$HAKO" --root "$other" list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	hako delete --force "$ID"
	assert_no_leftovers "$ID"
	run "$HAKO" --root / list
	[ "$status" -eq 1 ]
}

@test "cli: --log FILE --log-format json: one JSON object per line with level, msg and an RFC 3339 time" {
	local log="$BATS_TEST_TMPDIR/log.json"
	run "$HAKO" --root "$HAKO_ROOT" --log "$log" --log-format json state nonexistent-"$ID"
	[ "$status" -eq 1 ]
	[ -s "$log" ]
	[ "$(wc -l <"$log")" -eq 1 ]
	jq -e . "$log" >/dev/null
	[ "$(jq -r .level "$log")" = error ]
	[[ "$(jq -r .msg "$log")" == "container \`nonexistent-$ID\` does not exist"* ]]
	[[ "$(jq -r .time "$log")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$ ]]
	[ "$(jq -c 'keys' "$log")" = '["level","msg","time"]' ]
	# A second error is appended as its own line; the file is never truncated.
	"$HAKO" --root "$HAKO_ROOT" --log "$log" --log-format=json kill nonexistent-"$ID" || true
	[ "$(wc -l <"$log")" -eq 2 ]
	jq -s -e 'length == 2 and all(.level == "error")' "$log" >/dev/null
}

@test "cli: --log-format json with --debug: every line written during a run is a JSON object" {
	setup_bundle probe pid
	# A hook makes hako log a debug line ("running poststart hook 0: ...").
	update_config '.hooks = {"poststart":[{"path":"/bin/true"}]}'
	local log="$BATS_TEST_TMPDIR/debug.json"
	run "$HAKO" --root "$HAKO_ROOT" --debug --log "$log" --log-format json run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(field pid)" = 1 ]
	[ -s "$log" ]
	jq -s -e 'length > 0 and all(has("level") and has("msg") and has("time"))' "$log" >/dev/null
	jq -s -e 'any(.level == "debug" and (.msg | startswith("running poststart hook 0")))' "$log" >/dev/null
	# Without --debug there is none.
	rm "$log"
	run "$HAKO" --root "$HAKO_ROOT" --log "$log" --log-format json run -b "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ ! -s "$log" ]
	assert_no_leftovers "$ID"
}

@test "cli: --log-format text writes plain lines; an invalid format is an error" {
	local log="$BATS_TEST_TMPDIR/log.txt"
	run "$HAKO" --root "$HAKO_ROOT" --log "$log" --log-format text state nonexistent-"$ID"
	[ "$status" -eq 1 ]
	[[ "$(cat "$log")" == "hako: container \`nonexistent-$ID\` does not exist"* ]]
	run "$HAKO" --root "$HAKO_ROOT" --log-format yaml list
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid log format \`yaml\` (expected text or json)"* ]]
	run "$HAKO" --root "$HAKO_ROOT" --log-level loud list
	[ "$status" -eq 1 ]
	run "$HAKO" --root "$HAKO_ROOT" --log "$BATS_TEST_TMPDIR/no/such/dir/log" list
	[ "$status" -eq 1 ]
	[[ "$output" == *"open log file"* ]]
}

@test "cli: runc's spellings of global options: --opt=value, --rootless with and without a value, --criu" {
	run "$HAKO" --root="$HAKO_ROOT" --rootless=false list -q
	[ "$status" -eq 0 ]
	run "$HAKO" --root "$HAKO_ROOT" --rootless auto list -q
	[ "$status" -eq 0 ]
	run "$HAKO" --root "$HAKO_ROOT" --rootless list -q
	[ "$status" -eq 0 ]
	run "$HAKO" --root "$HAKO_ROOT" --rootless=maybe list -q
	[ "$status" -eq 1 ]
	run "$HAKO" --root "$HAKO_ROOT" --criu /usr/sbin/criu list -q
	[ "$status" -eq 0 ]
	run "$HAKO" --root "$HAKO_ROOT" --systemd-cgroup=false list -q
	[ "$status" -eq 0 ]
	run "$HAKO" --root "$HAKO_ROOT" --debug=maybe list -q
	[ "$status" -eq 1 ]
}

@test "cli: checkpoint and restore say this build has no criu support" {
	run hako checkpoint "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no criu support"* ]]
	run hako restore "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no criu support"* ]]
}

@test "cli: each man page documents exactly the options of its command's --help" {
	local man="$TESTS_DIR/../man" cmd from_help from_man
	for cmd in "" "${!FLAGS[@]}"; do
		local page="$man/hako${cmd:+-$cmd}.8.md"
		[ -f "$page" ] || fail "no man page for ${cmd:-hako}"
		from_help="$("$HAKO" $cmd --help | grep -E '^ +-' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)"
		from_man="$(grep -E '^\*\*-' "$page" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)"
		if [ -n "$cmd" ]; then
			from_man="$(grep -vx -- --help <<<"$from_man" || true)"
		fi
		[ "$from_help" = "$from_man" ] || fail "${cmd:-hako}: --help has [$(echo $from_help)], the man page [$(echo $from_man)]"
	done
}
