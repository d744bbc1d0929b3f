#!/bin/bash
# test_hosts.sh — a sweep across three hosts (TAP). The hosts are network namespaces on this
# machine (tests/netns/up.sh: veths on a bridge, a private 10.77.X.0/24); Open MPI starts its
# daemons through tests/netns/agent instead of ssh (--mca plm_rsh_agent), from a hostfile.
#  * the sweep over three hosts equals the single-host run bit for bit (results_cmp), every
#    point was computed in a namespace host, the workers' hosts both took work;
#  * SIGUSR1 to mpirun stops the three-host run with status 3 and resuming it over the three
#    hosts completes it, again equal to the single-host run, no done point computed twice.
# SKIP (1..0) when namespaces cannot be made here (not root, no ip/unshare). The namespaces,
# their veths and the bridge go away at exit, also on failure.
set -u
# Open MPI's plugins keep allocations until exit that LeakSanitizer cannot
# even name (the plugins are unloaded first): in the sanitizer build, MPI
# processes run without leak checks (ASan and UBSan stay on); the non-MPI
# tests keep them.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
# The sanitizer pass of scripts/test skips the cluster plumbing (minutes of
# daemons and namespaces; no code of ours that the normal pass does not run).
if [ "${HS_SANITIZER_RUN:-0}" = 1 ]; then
    echo "1..0 # SKIP cluster tests run in the normal build only (CI time limit)"
    exit 0
fi
HS=${HEADSWEEP:-./headsweep}
CMP=${RESULTS_CMP:-./tests/results_cmp}
here=$(cd "$(dirname "$0")" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1

for c in mpirun h5dump timeout; do
    command -v "$c" >/dev/null 2>&1 || { echo "1..0 # SKIP $c not found"; exit 0; }
done
tmp=$(mktemp -d)
prefix=hs$$h
cleanup() {
    "$here/netns/down.sh" 3 "$prefix"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

"$here/netns/up.sh" 3 "$prefix" "$tmp/hosts" >"$tmp/up.out" 2>"$tmp/up.err"
rc=$?
if [ $rc -eq 77 ]; then
    echo "1..0 # SKIP cannot make network namespaces: $(tail -n 1 "$tmp/up.err")"
    exit 0
elif [ $rc -ne 0 ]; then
    echo "Bail out! tests/netns/up.sh failed (status $rc): $(tail -n 1 "$tmp/up.err")"
    exit 1
fi
net=$(sed -n 's/^NET=//p' "$tmp/up.out")

. "$here/tap.sh"
. "$here/small_sweep.sh"

# sweep NAME: a small majority sweep writing $tmp/NAME.h5 (a few seconds of work)
sweep() {
    small_sweep "$1" "$tmp/$1.h5" 'train = { steps = 300; batch = 32; lr = 3e-3; };' \
        'ratios = [0.0, 0.25, 0.5, 0.625, 0.75, 0.875];' 'run = { latency_repeats = 1; grace = 5; };' \
        'finetune = { steps = 20; };'
}

# mpirun over the three namespace hosts, one rank each (rank 0 coordinates on host 1)
export HS_AGENT_LOG=$tmp/agent.log
mpirun=(mpirun --hostfile "$tmp/hosts" -np 3
    --mca plm_rsh_agent "$here/netns/agent" --mca plm_rsh_no_tree_spawn 1
    --mca oob_tcp_if_include "$net.0/24" --mca btl self,tcp --mca btl_tcp_if_include "$net.0/24")

# hosts FILE: the distinct host names in the /points rows
hosts_of() { h5dump -d /points "$1" 2>/dev/null | grep -o "\"${prefix}[0-9]*\"" | sort -u | tr -d '"' | tr '\n' ' '; }

up=1
for i in 1 2 3; do
    ip -n "$prefix$i" -4 addr show eth0 2>/dev/null | grep -q "inet $net.$((10 + i))/24" || up=0
done
check "three namespace hosts ${prefix}1..3 on $net.0/24" "[ $up = 1 ]"

# --- the single-host reference ----------------------------------------------------------
sweep ref
$HS run "$tmp/ref.cfg" --progress-every 100 >"$tmp/ref.log" 2>&1
rc=$?
check "single-host run (exit $rc)" "[ $rc -eq 0 ]"

# --- the same sweep over three hosts --------------------------------------------------------
sweep three
t0=$(date +%s)
timeout -k 10 180 "${mpirun[@]}" "$HS" run "$tmp/three.cfg" --progress-every 100 >"$tmp/three.log" 2>&1
rc=$?
check "mpirun over three namespace hosts runs the sweep to the end (exit $rc, $(($(date +%s) - t0)) s)" \
    "[ $rc -eq 0 ]"
check "Open MPI started its daemons through the agent on all three hosts" \
    "for i in 1 2 3; do grep -q \"^agent $prefix\$i: \" '$tmp/agent.log' || exit 1; done"
h=$(hosts_of "$tmp/three.h5")
check "the points were computed on the two worker hosts ($h)" \
    "[ \"$h\" = '${prefix}2 ${prefix}3 ' ]"
check "three hosts give the results of one host bit for bit" \
    "$CMP '$tmp/three.h5' '$tmp/ref.h5' --attempts-one >'$tmp/cmp3' 2>&1 || { cat '$tmp/cmp3'; false; }"

# --- SIGUSR1 across hosts, then resume over the same hosts ---------------------------------
sweep usr1
"${mpirun[@]}" "$HS" run "$tmp/usr1.cfg" --progress-every 100 >"$tmp/usr1.log" 2>&1 &
pid=$!
wait_done "$tmp/usr1.h5" 6
kill -USR1 $pid
( sleep 60; kill -KILL $pid 2>/dev/null ) &
guard=$!
wait $pid
rc=$?
kill $guard 2>/dev/null
before=$($HS status "$tmp/usr1.h5" 2>/dev/null | sed -n 's/^  points: *\([0-9]*\) done.*/\1/p')
check "SIGUSR1 to mpirun stops the three-host run with status 3 ($rc; ${before:-?} of 48 done)" \
    "[ $rc -eq 3 ] && [ -n '$before' ] && [ '$before' -lt 48 ]"
timeout -k 10 180 "${mpirun[@]}" "$HS" run "$tmp/usr1.cfg" --progress-every 100 >"$tmp/resume.log" 2>&1
rc=$?
check "resuming over the three hosts completes the sweep (exit $rc)" \
    "[ $rc -eq 0 ] && grep -q resuming '$tmp/resume.log'"
check "the stopped and resumed run equals the single-host one, no done point computed twice" \
    "$CMP '$tmp/usr1.h5' '$tmp/ref.h5' --attempts-one >'$tmp/cmpu' 2>&1 || { cat '$tmp/cmpu'; false; }"

tap_done
