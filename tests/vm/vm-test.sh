#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The cgroup tests on hosts this machine is not: Debian's kernel booted
# under QEMU (KVM when it works, else TCG) with
#   v2       an initramfs whose init mounts cgroup2 alone at /sys/fs/cgroup
#            and runs tests/integration/cgroups.bats;
#   systemd  a debootstrap'ed Debian root with systemd as PID 1 and the
#            --systemd-cgroup tests (cgroups-systemd.bats);
#   systemd-hybrid  the same root, systemd in its hybrid mode (v1
#            controllers and cgroup2 at /sys/fs/cgroup/unified).
# TAP comes back over the serial console; the last line is
# "N passed, N failed".  Packages are installed with apt-get when missing;
# the Debian root is cached under /var/cache/hako-vm.
#   tests/vm/vm-test.sh BUILDDIR [v2|systemd|systemd-hybrid|all]
set -u
here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "$here/../.." && pwd)"
builddir="$(cd "${1:?usage: tests/vm/vm-test.sh BUILDDIR [v2|systemd|systemd-hybrid|all]}" && pwd)"
which="${2:-all}"
cache="${HAKO_VM_CACHE:-/var/cache/hako-vm}"
work="$(mktemp -d "${TMPDIR:-/tmp}/hako-vm.XXXXXX")"
trap '[ -n "${HAKO_VM_KEEP:-}" ] && echo "# vm: kept $work" >&2 || rm -rf "$work"' EXIT

say() { echo "# vm: $*" >&2; }

need_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing ${missing[*]}"
	[ "$(id -u)" = 0 ] || { say "not root: cannot install ${missing[*]}"; return 1; }
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
		>"$work/apt.log" 2>&1 || { tail -20 "$work/apt.log" >&2; return 1; }
}

kernel() {
	ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n1
}

# copy_bin ROOT FILE...: each file and the shared libraries it links, at
# the same paths under ROOT (/lib and /lib64 are links into /usr there).
copy_bin() {
	local root="$1" f l
	shift
	for f in "$@"; do
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
		for l in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
			local real
			real="$(readlink -f "$l")"
			if [ ! -e "$root$real" ]; then
				mkdir -p "$root$(dirname "$real")"
				cp -L "$real" "$root$real"
			fi
			# the loader is found by its literal path (/lib64/ld-linux...)
			if [ "$l" != "$real" ] && [ ! -e "$root$l" ]; then
				mkdir -p "$root$(dirname "$l")"
				ln -s "$real" "$root$l"
			fi
		done
	done
}

# The test files, hako and the probe, in ROOT/hako-tests.
copy_tests() {
	local root="$1"
	mkdir -p "$root/hako-tests/integration" "$root/hako-tests/bin"
	cp "$src/tests/integration/helpers.bash" "$src/tests/integration/"cgroups*.bats "$root/hako-tests/integration/"
	copy_bin "$root" "$builddir/hako"
	mkdir -p "$root/hako-tests/bin"
	mv "$root$builddir/hako" "$root/hako-tests/bin/hako"
	cp "$builddir/tests/helpers/probe" "$root/hako-tests/bin/probe"
}

# run_qemu CPIO MEM LOG CMDLINE: boot, wait for power-off (or the time limit).
run_qemu() {
	local initrd="$1" mem="$2" log="$3" cmdline="$4" accel=tcg cpu="${HAKO_VM_CPU:-max}"
	# Nested KVM hangs at "Booting from ROM" on this kind of machine: TCG
	# unless asked.
	if [ -n "${HAKO_VM_KVM:-}" ] && [ -w /dev/kvm ]; then
		accel=kvm
		cpu=host
	fi
	say "booting $(basename "$(kernel)") ($accel, $mem MB)"
	timeout "${HAKO_VM_TIMEOUT:-900}" qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -smp 2 -m "$mem" \
		-nographic -no-reboot -nic none -kernel "$(kernel)" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 quiet loglevel=1 $cmdline" </dev/null >"$log" 2>&1
	local rc=$?
	[ $rc -eq 124 ] && say "time limit reached"
	return 0
}

# report NAME LOG: the TAP between the markers, counted.
report() {
	local name="$1" log="$2" tap="$work/$1.tap"
	tr -d '\r' <"$log" | sed -n '/^HAKO-VM-BEGIN/,/^HAKO-VM-END/p' | grep -v '^HAKO-VM-' >"$tap"
	if ! grep -q '^1\.\.' "$tap"; then
		say "$name: no test output; the console said:"
		tail -40 "$log" | sed 's/^/#   /' >&2
		echo "not ok 1 vm $name: the tests did not run"
		return
	fi
	sed "s/^\(not \)\{0,1\}ok \([0-9]*\)/&  [vm $name]/" "$tap"
	local p f
	p=$(grep -c '^ok ' "$tap")
	f=$(grep -c '^not ok ' "$tap")
	# a plan not fully run is a failure too
	local plan
	plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$tap" | head -n1)
	if [ "$((p + f))" -lt "${plan:-0}" ]; then
		echo "not ok $((p + f + 1)) vm $name: only $((p + f)) of $plan tests reported"
	fi
}

vm_v2() {
	need_packages qemu-system-x86 linux-image-amd64 busybox-static cpio bats jq ||
		{ echo "not ok 1 vm v2: the packages it needs could not be installed"; return 1; }
	local root="$work/v2-root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/lib,usr/lib64,etc,proc,sys,dev,tmp,run,root}
	ln -s usr/lib "$root/lib"
	ln -s usr/lib64 "$root/lib64"
	cp /bin/busybox "$root/bin/busybox"
	"$root/bin/busybox" --list-full | while read -r a; do
		[ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
	done
	copy_bin "$root" /bin/bash "$(command -v jq)"
	ln -sf /bin/bash "$root/bin/sh.bash"
	mkdir -p "$root/usr/lib/bats-core" "$root/usr/libexec/bats-core"
	cp -a /usr/lib/bats-core/. "$root/usr/lib/bats-core/"
	cp -a /usr/libexec/bats-core/. "$root/usr/libexec/bats-core/"
	cp /usr/bin/bats "$root/usr/bin/bats"
	copy_tests "$root"
	# a RAM disk for io.max, and BFQ for io.bfq.weight
	local kver
	kver="$(basename "$(kernel)" | sed 's/^vmlinuz-//')"
	mkdir -p "$root/modules"
	cp "/lib/modules/$kver/kernel/drivers/block/brd.ko" "/lib/modules/$kver/kernel/block/bfq.ko" "$root/modules/" 2>/dev/null
	echo "${HAKO_VM_FILTER:-^cgroups: }" >"$root/hako-tests/filter"
	cp "$here/init-v2" "$root/init"
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$work/v2.cpio"
	run_qemu "$work/v2.cpio" 1024 "$work/v2.log" "rdinit=/init"
	report v2 "$work/v2.log"
}

# A Debian root with systemd, made once and kept in the cache.
debian_root() {
	local root="$cache/bookworm-systemd" stamp="v1"
	if [ "$(cat "$root/.hako-vm" 2>/dev/null)" = "$stamp" ]; then
		echo "$root"
		return 0
	fi
	need_packages debootstrap || return 1
	say "debootstrap of a Debian root with systemd into $root (once)"
	rm -rf "$root"
	mkdir -p "$cache"
	local mirror
	mirror="$(sed -n 's/^URIs: *\(http[^ ]*debian\)\/*$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)"
	debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,jq,bats,busybox-static,libyajl2,libseccomp2,libcap2 \
		bookworm "$root" "${mirror:-http://deb.debian.org/debian}" >"$work/debootstrap.log" 2>&1 ||
		{ tail -20 "$work/debootstrap.log" >&2; return 1; }
	# what a boot from RAM does not need
	rm -rf "$root"/usr/share/{doc,man,info,locale,i18n} "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/*
	echo "$stamp" >"$root/.hako-vm"
	echo "$root"
}

# The systemd VM's initramfs, made once for both boots.
systemd_cpio() {
	need_packages qemu-system-x86 linux-image-amd64 cpio || return 1
	local base root="$work/sd-root"
	base="$(debian_root)" || return 1
	cp -a "$base" "$root"
	copy_tests "$root"
	cp "$here/run-systemd-tests" "$root/hako-tests/run"
	cp "$here/hako-vm-test.service" "$root/etc/systemd/system/"
	chmod +x "$root/hako-tests/run"
	cp "$here/init-systemd" "$root/init"
	chmod +x "$root/init"
	mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
	ln -sf /etc/systemd/system/hako-vm-test.service "$root/etc/systemd/system/multi-user.target.wants/hako-vm-test.service"
	# no login prompt on the console the TAP comes back on, and nothing
	# that only costs emulated CPU time
	local u
	for u in serial-getty@.service getty@.service systemd-udevd.service systemd-udev-trigger.service \
		systemd-udev-settle.service systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer \
		dpkg-db-backup.timer e2scrub_all.timer fstrim.timer systemd-tmpfiles-clean.timer; do
		ln -sf /dev/null "$root/etc/systemd/system/$u"
	done
	echo hako-vm >"$root/etc/hostname"
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$work/sd.cpio"
	rm -rf "$root"
}

# vm_systemd NAME [KERNEL-ARGS]: boot the systemd root (made by
# systemd_cpio); systemd.unified_cgroup_hierarchy=0 gives a hybrid host.
vm_systemd() {
	if [ ! -s "$work/sd.cpio" ]; then
		echo "not ok 1 vm $1: no Debian root with systemd could be made"
		return 1
	fi
	run_qemu "$work/sd.cpio" 2560 "$work/$1.log" "rdinit=/init systemd.show_status=0 ${2:-}"
	report "$1" "$work/$1.log"
}

command -v qemu-system-x86_64 >/dev/null || need_packages qemu-system-x86 || {
	echo "not ok 1 vm: qemu is not available"
	echo "0 passed, 1 failed"
	exit 1
}
# The two VMs run side by side: each spends most of its time on one
# emulated CPU.
case "$which" in
v2) vm_v2 >"$work/v2.out" ;;
systemd)
	systemd_cpio
	vm_systemd systemd >"$work/sd.out"
	;;
systemd-hybrid)
	systemd_cpio
	vm_systemd systemd-hybrid "systemd.unified_cgroup_hierarchy=0 hako.vm=hybrid" >"$work/sdh.out"
	;;
all)
	need_packages qemu-system-x86 linux-image-amd64 busybox-static cpio bats jq debootstrap
	vm_v2 >"$work/v2.out" &
	systemd_cpio
	vm_systemd systemd >"$work/sd.out" &
	vm_systemd systemd-hybrid "systemd.unified_cgroup_hierarchy=0 hako.vm=hybrid" >"$work/sdh.out"
	wait
	;;
*)
	echo "usage: tests/vm/vm-test.sh BUILDDIR [v2|systemd|systemd-hybrid|all]" >&2
	exit 2
	;;
esac
cat "$work"/*.out
passed=$(cat "$work"/*.out | grep -c '^ok ')
failed=$(cat "$work"/*.out | grep -c '^not ok ')
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
