#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A stock Linux kernel runs as a ringside guest with a virtio network
# device (`ringside run --net`): run where the module is loaded (the SVM
# test VM), from a folder holding the kernel, mkinitrd.sh and this script:
#
#   KVER=$(scripts/kver)
#   scripts/vm-run --add /boot/vmlinuz-$KVER --add userspace/tests/mkinitrd.sh \
#       --add userspace/tests/virtio-net.sh -- sh virtio-net.sh vmlinuz-$KVER
#
# The kernel must be the test VM's own: the guest's initramfs (mkinitrd.sh
# --modules, with this script's guest part appended) gets the VM's
# modules, virtio_net among them; the VM needs tun for the tap case
# (scripts/vm-run VM_MODULES).  The VM serves an 8 MiB file (seq's lines,
# each unlike the others) with busybox httpd on HTTP_PORT, all addresses.
# It checks that
# 1. with --net user the guest's udhcpc gets 10.0.2.15/24 with the router
#    10.0.2.2, wget brings the file from http://10.0.2.2:HTTP_PORT/ (the
#    VM's loopback) with the VM's md5sum, and the guest's nc sends it back
#    to the VM's nc on 10.0.2.2:NC_PORT, intact;
# 2. with --net user,hostfwd=tcp::FWD_PORT-:80 the guest, with its lease,
#    serves a 4 MiB file from its initramfs with httpd on port 80, which
#    the VM fetches intact from http://127.0.0.1:FWD_PORT/; the guest
#    stays up until the VM is done, which it learns by polling the VM's
#    httpd for a file the VM puts there then (at most GUEST_WAIT s);
# 3. with --net tap=tap0, a tap the VM makes with tunctl (or, without it,
#    the launcher makes for its run) and addresses 192.168.100.1/24, the
#    guest at 192.168.100.2/24 brings the file from the VM's httpd and
#    sends it back with nc to the VM's nc on NC_PORT: both intact.
# Each boot's launcher must end with status 0 (the guest powers off).
# RINGSIDE names the launcher (default: ringside on PATH), RUN_FLAGS more
# options for "ringside run", BOOT_TIMEOUT the seconds after which a boot
# that has not ended is stopped and fails (default 180; each boot takes
# some 15 s in the SVM test VM).  The cases are skipped (and say so)
# while the launcher has no --net.  Ends with kselftest's totals and
# "N passed, N failed"; exits 1 if any failed.

R=${RINGSIDE:-ringside}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-180}
KERNEL=${1:?usage: virtio-net.sh KERNEL}
HERE=$(cd "$(dirname "$0")" && pwd)
MEM_MIB=256
HTTP_PORT=8080
FWD_PORT=2222
NC_PORT=9000
GUEST_WAIT=120
TAP=tap0
T=${TMPDIR:-/tmp}/ringside-virtio-net.$$
mkdir -p "$T/www" "$T/guest/www" || exit 1
pass=0
fail=0
skip=0

ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() {
	fail=$((fail + 1))
	echo "not ok - $1"
	[ -f "$T/out" ] && tail -n 30 "$T/out" | sed 's/^/#   /'
	return 1
}

uptime_cs() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }
secs() { awk -v d="$1" 'BEGIN { printf "%.1f", d / 100 }'; }
md5() { md5sum <"$1" | cut -d' ' -f1; }

# start ARGS...: `ringside run ARGS... KERNEL` with the initramfs, in the
# background, its console (with CRs) in $T/raw; finish waits for it and
# leaves the console without CRs in $T/out, the launcher's status in
# $status, the seconds the boot took in $took.
start() {
	rm -f "$T/out"
	begin=$(uptime_cs)
	timeout "$BOOT_TIMEOUT" $R run $RUN_FLAGS --mem ${MEM_MIB}M \
		--initrd "$T/initrd.cpio" "$@" "$KERNEL" </dev/null >"$T/raw" 2>&1 3>&- &
	launcher=$!
}
finish() {
	wait "$launcher"
	status=$?
	took=$(secs $(($(uptime_cs) - begin)))
	tr -d '\r' <"$T/raw" >"$T/out"
}
running() { kill -0 "$launcher" 2>/dev/null; }

# ended NAME: did the launcher end by itself, with status 0?
ended() {
	case $status in
	124 | 143) bad "$1: no end after $BOOT_TIMEOUT s, stopped" ;;
	0) return 0 ;;
	*) bad "$1: the launcher ended with status $status, not 0" ;;
	esac
}

# guest WHAT: the rest of the first line "virtio-net: WHAT ..." the
# guest's script printed.
guest() { sed -n "s/^virtio-net: $1 //p" "$T/out" | head -n 1; }

# guest_ok NAME: no driver failed to load and the guest had an eth0.
guest_ok() {
	if grep -q '^ringside-guest: modprobe' "$T/out"; then
		bad "$1: $(grep '^ringside-guest: modprobe' "$T/out" | head -n 1)"
		return 1
	fi
	grep -q '^virtio-net: eth0 up' "$T/out" ||
		{ bad "$1: the guest has no eth0"; return 1; }
}

# lease NAME: the guest's address and default route are DHCP's.
lease() {
	addr=$(guest addr)
	router=$(guest router)
	[ "$addr" = 10.0.2.15/24 ] && [ "$router" = 10.0.2.2 ] && return 0
	bad "$1: the guest's eth0 is ${addr:-unaddressed} by way of ${router:-no router}, not 10.0.2.15/24 by way of 10.0.2.2"
}

# download NAME URL: the guest's wget brought the big file intact.
download() {
	got=$(guest download)
	[ "$got" = "ok $big_size $big_md5" ] && return 0
	why=$(guest wget:)
	bad "$1: the guest's wget of $2: \"${got:-nothing}\", not \"ok $big_size $big_md5\"${why:+ ($why)}"
}

# listen: the VM's nc on NC_PORT, writing what it gets to $T/up; its
# stdin a FIFO held open, as nc sends EOF when its stdin ends, and the
# guest's nc would then stop sending.  unlisten: stops it.
listen() {
	rm -f "$T/hold" "$T/up"
	mkfifo "$T/hold"
	nc -l -p "$NC_PORT" <"$T/hold" >"$T/up" 2>"$T/nc" &
	nc_pid=$!
	exec 3>"$T/hold"
}
unlisten() {
	exec 3>&-
	n=0
	while kill -0 "$nc_pid" 2>/dev/null && [ $n -lt 10 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	kill "$nc_pid" 2>/dev/null
	wait "$nc_pid" 2>/dev/null
}

# upload NAME: the guest's nc sent the big file back intact.
upload() {
	up=$(guest upload)
	[ "$up" = 0 ] || { bad "$1: the guest's nc ended with status ${up:-?}"; return 1; }
	[ "$(md5 "$T/up")" = "$big_md5" ] && return 0
	bad "$1: the VM's nc got $(wc -c <"$T/up") bytes from the guest, not the $big_size it sent, or not intact"
}

# has OPTION: does `ringside run` have OPTION?
has() { $R run --help 2>&1 | grep -q -- "$1"; }

# The guest's part, appended to mkinitrd.sh's initramfs: its script (run
# by rs.cmd=sh,/net-guest.sh,MODE,...), udhcpc's and what it serves.
make_guest() {
	cat >"$T/guest/net-guest.sh" <<'GUEST'
#!/bin/sh
# net-guest.sh user|hostfwd|tap HTTP_PORT [NC_PORT]: virtio-net.sh's guest
say() { echo "virtio-net: $*"; }
mode=$1 port=$2 ncport=$3
ip link set lo up
ip link set eth0 up || { say "no eth0"; exit 1; }
say "eth0 up $(cat /sys/class/net/eth0/address)"
case $mode in
user | hostfwd)
	server=10.0.2.2
	udhcpc -i eth0 -n -q -t 5 -T 2 -s /net-dhcp.sh >/dev/null 2>&1 ||
		say "no lease"
	say "addr $(ip -o -4 addr show dev eth0 | awk '{ print $4 }')"
	say "router $(ip route | awk '$1 == "default" { print $3 }')"
	;;
tap)
	server=192.168.100.1
	ip addr add 192.168.100.2/24 dev eth0
	# Until the VM has addressed its end of the tap.
	n=0
	until ping -c 1 -W 1 $server >/dev/null 2>&1 || [ $n -ge 30 ]; do
		n=$((n + 1))
	done
	say "pings unanswered $n"
	;;
esac
if [ "$mode" = hostfwd ]; then
	ip route | grep -q '^default' || exit 1
	httpd -p 80 -h /www && say "serving"
	# Until the VM has what it fetched: it puts "done" on its httpd.
	n=0
	until wget -q -O /dev/null "http://$server:$port/done" 2>/dev/null ||
	      [ $n -ge __GUEST_WAIT__ ]; do
		sleep 1
		n=$((n + 1))
	done
	say "released after $n s"
	exit 0
fi
r=ok
wget -q -O /tmp/big "http://$server:$port/big" 2>/tmp/err || r="failed($?)"
[ -f /tmp/big ] || : >/tmp/big
say "download $r $(wc -c </tmp/big) $(md5sum </tmp/big | cut -d' ' -f1)"
[ $r = ok ] || say "wget: $(head -n 1 /tmp/err)"
if [ -n "$ncport" ]; then
	timeout 60 nc $server "$ncport" </tmp/big
	say "upload $?"
fi
GUEST
	sed -i "s/__GUEST_WAIT__/$GUEST_WAIT/" "$T/guest/net-guest.sh"
	cat >"$T/guest/net-dhcp.sh" <<'DHCP'
#!/bin/sh
# udhcpc's script: apply the lease
case $1 in
bound | renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	for r in $router; do
		ip route add default via "$r" dev "$interface"
		break
	done
	;;
esac
DHCP
	chmod 755 "$T/guest/net-guest.sh" "$T/guest/net-dhcp.sh"
	seq -w 2000000 2524287 >"$T/guest/www/fwd"	# 4 MiB
	(cd "$T/guest" && find . | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) >"$T/guest.cpio"
}

# The VM's side: its loopback (slirp's 10.0.2.2) up, the 8 MiB file, httpd.
serve() {
	ip link set lo up
	seq -w 1 1048576 >"$T/www/big"	# 8 MiB
	big_size=$(wc -c <"$T/www/big")
	big_md5=$(md5 "$T/www/big")
	httpd -f -p "$HTTP_PORT" -h "$T/www" &
	httpd_pid=$!
	n=0
	until wget -q -O /dev/null "http://127.0.0.1:$HTTP_PORT/big" 2>/dev/null ||
	      [ $n -ge 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
}

check_user() {
	name="--net user"
	listen
	start --net user --append \
		"console=ttyS0 quiet rs.cmd=sh,/net-guest.sh,user,$HTTP_PORT,$NC_PORT rs.poweroff=1"
	finish
	unlisten
	ended "$name" || return
	guest_ok "$name" || return
	lease "$name" || return
	download "$name" "http://10.0.2.2:$HTTP_PORT/big" || return
	upload "$name" || return
	ok "$name: DHCP gives 10.0.2.15/24 by way of 10.0.2.2; $big_size bytes" \
	   "from http://10.0.2.2:$HTTP_PORT/ and back with nc, intact ($took s)"
}

check_hostfwd() {
	name="--net user,hostfwd=tcp::$FWD_PORT-:80"
	rm -f "$T/www/done" "$T/fwd"
	start --net "user,hostfwd=tcp::$FWD_PORT-:80" --append \
		"console=ttyS0 quiet rs.cmd=sh,/net-guest.sh,hostfwd,$HTTP_PORT rs.poweroff=1"
	# Until the guest's httpd is up (or the guest gave up).
	while running && ! grep -q '^virtio-net: serving' "$T/raw"; do
		sleep 0.2
	done
	tries=0 fetched=0
	if running; then
		# It serves already: a few tries, for slirp's connect's sake.
		deadline=$(($(uptime_cs) + 3000))
		while [ "$(uptime_cs)" -lt $deadline ] && running; do
			tries=$((tries + 1))
			# (Debian's busybox wget crashes on -T.)
			if timeout 60 wget -q -O "$T/fwd" \
			   "http://127.0.0.1:$FWD_PORT/fwd" 2>"$T/wget"; then
				fetched=1
				break
			fi
			sleep 1
		done
	fi
	: >"$T/www/done"	# the guest may end
	finish
	ended "$name" || return
	guest_ok "$name" || return
	lease "$name" || return
	grep -q '^virtio-net: serving' "$T/out" ||
		{ bad "$name: the guest's httpd did not start"; return; }
	[ $fetched = 1 ] ||
		{ bad "$name: wget http://127.0.0.1:$FWD_PORT/fwd failed $tries times: $(head -n 1 "$T/wget")"; return; }
	[ "$(md5 "$T/fwd")" = "$(md5 "$T/guest/www/fwd")" ] ||
		{ bad "$name: what the VM fetched ($(wc -c <"$T/fwd") bytes) is not the guest's file ($(wc -c <"$T/guest/www/fwd") bytes)"; return; }
	released=$(guest released)
	[ -n "$released" ] ||
		{ bad "$name: the guest did not wait for the fetch"; return; }
	ok "$name: $(wc -c <"$T/fwd") bytes from the guest's httpd on" \
	   "port 80 intact, try $tries ($took s)"
}

tap_addr() { ip addr add 192.168.100.1/24 dev $TAP && ip link set $TAP up; }

check_tap() {
	name="--net tap=$TAP"
	modprobe tun 2>/dev/null
	[ -c /dev/net/tun ] ||
		{ bad "$name: no /dev/net/tun (module tun: scripts/vm-run VM_MODULES)"; return; }
	ip link del $TAP 2>/dev/null
	made=0
	if tunctl -t $TAP >/dev/null 2>&1; then
		tap_addr || { bad "$name: cannot address $TAP"; return; }
		made=1
	fi
	listen
	start --net tap=$TAP --append \
		"console=ttyS0 quiet rs.cmd=sh,/net-guest.sh,tap,$HTTP_PORT,$NC_PORT rs.poweroff=1"
	if [ $made = 0 ]; then
		# No tunctl: the launcher makes the tap, as long as it runs.
		n=0
		while running && [ ! -e /sys/class/net/$TAP ] && [ $n -lt 100 ]; do
			sleep 0.2
			n=$((n + 1))
		done
		running && tap_addr
	fi
	finish
	unlisten
	[ $made = 1 ] && tunctl -d $TAP >/dev/null
	ended "$name" || return
	guest_ok "$name" || return
	download "$name" "http://192.168.100.1:$HTTP_PORT/big" || return
	upload "$name" || return
	how="tunctl's"
	[ $made = 0 ] && how="the launcher's"
	ok "$name ($how): $big_size bytes from the VM's httpd and back" \
	   "with nc, intact ($took s)"
}

if ! has --net; then
	# Not a pass: each case says it did not run.
	for c in "user" "user,hostfwd=tcp::$FWD_PORT-:80" "tap=$TAP"; do
		skip=$((skip + 1))
		echo "ok - --net $c # SKIP ringside run has no --net"
	done
elif ! sh "$HERE/mkinitrd.sh" --modules "$T/base.cpio"; then
	bad "mkinitrd.sh --modules failed"
else
	make_guest
	cat "$T/base.cpio" "$T/guest.cpio" >"$T/initrd.cpio"
	serve
	check_user
	check_hostfwd
	check_tap
	kill "$httpd_pid" 2>/dev/null
	wait "$httpd_pid" 2>/dev/null
fi

rm -rf "$T"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
