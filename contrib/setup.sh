#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Install what hako needs on Debian 12 and build it in build/.
#   contrib/setup.sh            packages + build
#   contrib/setup.sh --no-apt   build only
set -eu
src="$(cd "$(dirname "$0")/.." && pwd)"
if [ "${1:-}" != "--no-apt" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends \
		build-essential autoconf automake libtool pkg-config python3 git \
		libyajl-dev libseccomp-dev libcap-dev libsystemd-dev \
		libcurl4-openssl-dev libarchive-dev libssl-dev libzstd-dev \
		libmnl-dev libnftables-dev \
		clang libclang-rt-dev \
		podman conmon catatonit containerd \
		docker-registry skopeo umoci apache2-utils zstd \
		containernetworking-plugins nftables runc hyperfine strace \
		busybox-static bats jq uidmap iproute2 procps psmisc go-md2man >/dev/null
fi
cd "$src"
[ -x configure ] || ./autogen.sh >/dev/null
mkdir -p build
cd build
[ -f Makefile ] || ../configure --enable-werror >/dev/null
make -j"$(nproc)" >/dev/null
make -j"$(nproc)" check-programs >/dev/null
echo "built: $src/build/hako"
