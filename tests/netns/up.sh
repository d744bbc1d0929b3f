#!/bin/bash
# tests/netns/up.sh — N fake hosts on this machine for multi-host MPI tests: network
# namespaces PREFIX1..PREFIXN, each with eth0 = NET.(10+i)/24 on a veth whose other end sits
# in bridge PREFIXbr (NET.1/24 in the root namespace, so an mpirun there reaches every host).
#
#   tests/netns/up.sh N PREFIX HOSTFILE [SLOTS]
#
# NET is the first 10.77.X (X in 16..254) that no interface on the machine uses yet, chosen
# and claimed under a lock so that concurrent test runs do not share a subnet. Writes
# HOSTFILE ("PREFIXi slots=SLOTS", SLOTS default 1) and prints NET=10.77.X on stdout.
# PREFIX must be short (interface names end up as vPREFIXi, at most 15 characters).
# Exit status: 0 up; 77 namespaces cannot be made here (not root, no `ip`, no netns
# support; the reason on stderr); 1 failed part way. Undo with tests/netns/down.sh N PREFIX,
# also after a failure.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 N PREFIX HOSTFILE [SLOTS]" >&2; exit 2; }
n=$1 prefix=$2 hostfile=$3 slots=${4:-1}
[ ${#prefix} -le 12 ] || { echo "up.sh: prefix '$prefix' longer than 12 characters" >&2; exit 2; }

[ "$(id -u)" = 0 ] || { echo "up.sh: needs root (ip netns)" >&2; exit 77; }
command -v ip >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
command -v ip >/dev/null 2>&1 || { echo "up.sh: ip not found (Debian: iproute2)" >&2; exit 77; }
command -v unshare >/dev/null 2>&1 || { echo "up.sh: unshare not found (util-linux)" >&2; exit 77; }
# can this machine make a namespace (and a UTS namespace inside it) at all?
probe=${prefix}probe
if ! ip netns add "$probe" 2>/dev/null; then
    echo "up.sh: ip netns add fails here (no CAP_SYS_ADMIN or no network namespaces)" >&2
    exit 77
fi
if ! ip netns exec "$probe" unshare --uts true 2>/dev/null; then
    ip netns del "$probe" 2>/dev/null || true
    echo "up.sh: cannot enter a namespace with a UTS namespace of its own here" >&2
    exit 77
fi
ip netns del "$probe"
ip link add "${prefix}t0" type veth peer name "${prefix}t1" 2>/dev/null || {
    echo "up.sh: cannot create veth pairs here" >&2
    exit 77
}
ip link del "${prefix}t0"

bridge=${prefix}br
exec 9>/tmp/headsweep-netns.lock
flock 9
net=
for x in $(seq 16 254); do
    if ! ip -4 -o addr show | grep -q " 10\.77\.$x\."; then net=10.77.$x; break; fi
done
[ -n "$net" ] || { echo "up.sh: no free 10.77.X.0/24 subnet" >&2; exit 1; }
ip link add "$bridge" type bridge
ip addr add "$net.1/24" dev "$bridge"
ip link set "$bridge" up
flock -u 9

: >"$hostfile"
for i in $(seq 1 "$n"); do
    ns=$prefix$i
    ip netns add "$ns"
    ip link add "v$ns" type veth peer name eth0 netns "$ns"
    ip link set "v$ns" master "$bridge"
    ip link set "v$ns" up
    ip -n "$ns" addr add "$net.$((10 + i))/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    echo "$ns slots=$slots" >>"$hostfile"
done
echo "NET=$net"
