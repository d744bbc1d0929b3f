#!/bin/bash
# tests/netns/down.sh — undo tests/netns/up.sh N PREFIX: SIGKILL (by PID) whatever still runs
# in the namespaces PREFIX1..PREFIXN, delete them, their veths and the bridge PREFIXbr.
# A namespace whose processes live on is not freed by `ip netns del`, hence the kill first.
# Safe to run after a partial or failed up.sh, or twice. Exit status 0.
#
#   tests/netns/down.sh N PREFIX
[ $# -eq 2 ] || { echo "usage: $0 N PREFIX" >&2; exit 2; }
n=$1 prefix=$2
command -v ip >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
for i in $(seq 1 "$n") probe; do
    ns=$prefix$i
    if [ -e "/run/netns/$ns" ]; then
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    fi
    ip link del "v$ns" 2>/dev/null   # normally gone with its namespace
done
ip link del "${prefix}t0" 2>/dev/null
ip link del "${prefix}br" 2>/dev/null
exit 0
