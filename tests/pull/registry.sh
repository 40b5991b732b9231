#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A private Debian docker-registry on 127.0.0.1 for hako-pull's tests.
#   registry.sh start DIR [USER:PASSWORD|tls|token USER:PASSWORD]
#                          config, storage and pid under DIR; prints the port
#   registry.sh stop DIR   stops it (only what was started in DIR)
# With USER:PASSWORD the registry wants basic auth (htpasswd, bcrypt); with
# tls it serves HTTPS with a self-signed certificate for 127.0.0.1; with
# token it wants bearer tokens from token-server.py (started beside it).
set -eu
cmd="$1"
dir="$2"
# The servers outlive this script: they must not hold the caller's
# descriptors (bats waits for its output pipes to close).
for fd in /proc/$$/fd/*; do
	fd="${fd##*/}"
	[ "$fd" -le 2 ] || eval "exec $fd>&-" 2>/dev/null || true
done
exec </dev/null

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

case "$cmd" in
start)
	mkdir -p "$dir/storage"
	port="$(free_port)"
	auth=""
	tls=""
	scheme=http
	if [ "${3:-}" = tls ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
			-addext subjectAltName=IP:127.0.0.1 -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
		tls="  tls:
    certificate: $dir/cert.pem
    key: $dir/key.pem"
		scheme=https
	elif [ "${3:-}" = token ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=hako-token \
			-keyout "$dir/token-key.pem" -out "$dir/token-cert.pem" 2>/dev/null
		tport="$(free_port)"
		python3 "$(dirname "$0")/token-server.py" "$dir" "$tport" "$4" >"$dir/token-server.log" 2>&1 &
		echo $! >"$dir/token.pid"
		for _ in $(seq 100); do
			python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
				"$tport" 2>/dev/null && break
			sleep 0.1
		done
		auth="auth:
  token:
    realm: http://127.0.0.1:$tport/token
    service: hako-test
    issuer: hako-test-issuer
    rootcertbundle: $dir/token-cert.pem"
	elif [ $# -ge 3 ]; then
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
$tls
$auth
EOF
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
	echo $! >"$dir/pid"
	for _ in $(seq 100); do
		if python3 - "$scheme" "$port" <<'PY' 2>/dev/null; then
import ssl, sys, urllib.request, urllib.error
try:
    urllib.request.urlopen("%s://127.0.0.1:%s/v2/" % tuple(sys.argv[1:3]), timeout=1,
                           context=ssl._create_unverified_context())
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
	[ ! -f "$dir/token.pid" ] || kill "$(cat "$dir/token.pid")" 2>/dev/null || true
	exit 1
	;;
stop)
	for f in "$dir/pid" "$dir/token.pid"; do
		[ -f "$f" ] || continue
		pid="$(cat "$f")"
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		rm -f "$f"
	done
	;;
*)
	echo "usage: registry.sh start|stop DIR [USER:PASSWORD]" >&2
	exit 2
	;;
esac
