#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A private Debian docker-registry on 127.0.0.1 for hako-pull's tests.
#   registry.sh start DIR [USER:PASSWORD]   config, storage and pid under DIR; prints the port
#   registry.sh stop DIR                    stops it (only the one started in DIR)
# With USER:PASSWORD the registry wants basic auth (htpasswd, bcrypt).
set -eu
cmd="$1"
dir="$2"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

case "$cmd" in
start)
	mkdir -p "$dir/storage"
	port="$(free_port)"
	auth=""
	if [ $# -ge 3 ]; then
		htpasswd -Bbn "${3%%:*}" "${3#*:}" >"$dir/htpasswd" 2>/dev/null
		auth="auth:
  htpasswd:
    realm: hako-test
    path: $dir/htpasswd"
	fi
	cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
$auth
EOF
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
	echo $! >"$dir/pid"
	for _ in $(seq 100); do
		if python3 - "$port" <<'PY' 2>/dev/null; then
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen("http://127.0.0.1:%s/v2/" % sys.argv[1], timeout=1)
except urllib.error.HTTPError as e:
    sys.exit(0 if e.code == 401 else 1)
PY
			echo "$port" >"$dir/port"
			echo "$port"
			exit 0
		fi
		sleep 0.1
	done
	echo "registry did not start:" >&2
	cat "$dir/log" >&2
	kill "$(cat "$dir/pid")" 2>/dev/null || true
	exit 1
	;;
stop)
	if [ -f "$dir/pid" ]; then
		pid="$(cat "$dir/pid")"
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		rm -f "$dir/pid"
	fi
	;;
*)
	echo "usage: registry.sh start|stop DIR [USER:PASSWORD]" >&2
	exit 2
	;;
esac
