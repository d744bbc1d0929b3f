#!/bin/bash
# test_slurm.sh — `headsweep submit` against a real Slurm (TAP). tests/slurm/start.sh brings
# up a single-node cluster (munged, slurmctld, slurmd; state in a temporary folder, private
# ports); three jobs of the same sweep (~35 core-seconds of work) then run side by side:
#  A  no time limit: finishes, exit 0, every point done — the reference;
#  B  --time 1 --grace 30 --requeue: Slurm sends USR1 to the batch shell 30-60 s before the
#     limit, the trap passes it to mpirun, rank 0 stops cleanly (exit 3) and only then does
#     the script requeue the job; each restart (SLURM_RESTART_COUNT) resumes the file until
#     the sweep is done; the results equal A's bit for bit, no done point computed twice;
#  C  --time 1 --grace 30 without --requeue: the same clean stop, no requeue, exit 3 and the
#     resume command in the log, a consistent partial file.
# The cluster is stopped by PID at the end, also on failure (trap). SKIP (1..0) when Slurm
# cannot start here: not root, or slurm-wlm/munge not installed. About 2-3 minutes.
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
export OPENBLAS_NUM_THREADS=1

command -v mpirun >/dev/null 2>&1 || { echo "1..0 # SKIP mpirun not found"; exit 0; }
tmp=$(mktemp -d)
chmod 755 "$tmp"   # munged wants every folder above its socket open to all
base=$tmp/cluster
cleanup() {
    "$here/slurm/stop.sh" "$base" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# port_free P: nothing listens on TCP port P
port_free() { ! command -v ss >/dev/null 2>&1 || [ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ]; }

# a cluster on a free pair of ports below the ephemeral range (other runs may have one up)
t0=$(date +%s)
rc=1
for try in 1 2 3; do
    port=$((20000 + (($$ * 7 + try * 1009) % 4000) * 2))
    port_free $port && port_free $((port + 1)) || continue
    HS_SLURM_CTLD_PORT=$port HS_SLURM_SLURMD_PORT=$((port + 1)) HS_SLURM_CPUS=6 HS_SLURM_CRED_EXPIRE=5 \
        "$here/slurm/start.sh" "$base" >"$tmp/start.log" 2>&1
    rc=$?
    [ $rc -eq 0 ] || [ $rc -eq 77 ] && break
    "$here/slurm/stop.sh" "$base" --purge >/dev/null 2>&1
done
if [ $rc -eq 77 ]; then
    echo "1..0 # SKIP Slurm cannot start here: $(tail -n 1 "$tmp/start.log")"
    exit 0
elif [ $rc -ne 0 ]; then
    echo "Bail out! tests/slurm/start.sh failed (status $rc): $(tr '\n' ' ' <"$tmp/start.log")"
    exit 1
fi
# shellcheck disable=SC1091
. "$base/env.sh"   # SLURM_CONF, and Open MPI may run as root

. "$here/tap.sh"
. "$here/small_sweep.sh"
ok "single-node Slurm up in $(($(date +%s) - t0)) s (port $port; $(sinfo -h -o '%P %T %c CPUs %N'))"

# sweep NAME: 2 base jobs, 48 points, ~35 s on one core; run.grace 5 s
sweep() {
    small_sweep "$1" "$tmp/$1.h5" 'model = { d_model = 64; heads = 8; layers = 2; d_ff = 128; };' \
        'train = { steps = 300; batch = 32; lr = 3e-3; };' 'ratios = [0.0, 0.25, 0.5, 0.625, 0.75, 0.875];' \
        'finetune = { steps = 40; };' 'run = { latency_repeats = 1; grace = 5; };'
}

# submit NAME OPTIONS...: prints the job id
submit() {
    local name=$1
    shift
    $HS submit "$tmp/$name.cfg" --ntasks-per-node 2 "$@" >"$tmp/$name.submit" 2>&1
    sed -n 's/^submitted job \([0-9][0-9]*\):.*/\1/p' "$tmp/$name.submit"
}

# wait_gone JOB DEADLINE: until the job has left the queue (requeued jobs stay in it)
wait_gone() {
    while [ "$(date +%s)" -le "$2" ]; do
        [ -z "$(squeue -h -j "$1" -o %T 2>/dev/null)" ] && return 0
        sleep 1
    done
    return 1
}
# field JOB NAME: a field of `scontrol show job` (JobState, ExitCode, Restarts, ...)
field() { scontrol show job "$1" 2>/dev/null | grep -o "\<$2=[^ ]*" | head -n 1 | cut -d= -f2; }
points() { $HS status "$1" 2>/dev/null | sed -n 's/^  points: *\(.*\) (of.*/\1/p'; }

for x in A B C; do sweep $x; done
t0=$(date +%s)
A=$(submit A)
B=$(submit B --time 1 --grace 30 --requeue --max-requeues 8)
C=$(submit C --time 1 --grace 30)
check "submit prints the job ids (A=$A B=$B C=$C) and the status command" \
    "[ -n '$A' ] && [ -n '$B' ] && [ -n '$C' ] && grep -q 'watch:  headsweep status $tmp/A.h5' '$tmp/A.submit'"
check "the batch scripts lie next to the results files" \
    "[ -x '$tmp/A.sbatch' ] && [ -x '$tmp/B.sbatch' ] && grep -q '^#SBATCH --signal=B:USR1@30$' '$tmp/B.sbatch'"
deadline=$((t0 + 290))

# --- C: the clean stop without --requeue ----------------------------------------------------
wait_gone "$C" $deadline
logc=$tmp/C.slurm-$C.out
check "C stopped before its time limit with exit 3, not requeued ($(field "$C" JobState) $(field "$C" ExitCode), \
Restarts=$(field "$C" Restarts), $(($(date +%s) - t0)) s)" \
    "[ '$(field "$C" ExitCode)' = 3:0 ] && [ '$(field "$C" Restarts)' = 0 ]"
check "C: USR1 reached rank 0 through the trap and mpirun (log)" \
    "grep -q 'SIGUSR1: no new work' '$logc' && grep -q 'mpirun exited with status 3' '$logc'"
check "C: the log says how to resume" "grep -q 'resume with: sbatch $tmp/C.sbatch' '$logc'"
pc=$(points "$tmp/C.h5")
check "C left a consistent partial file ($pc)" \
    "h5dump -H '$tmp/C.h5' >/dev/null 2>&1 && echo '$pc' | grep -q '^[1-9][0-9]* done, 0 failed, [1-9][0-9]* pending'"

# --- A: the uninterrupted reference ---------------------------------------------------------
wait_gone "$A" $deadline
check "A finished ($(field "$A" JobState) $(field "$A" ExitCode), $(($(date +%s) - t0)) s)" \
    "[ '$(field "$A" JobState)' = COMPLETED ] && [ '$(field "$A" ExitCode)' = 0:0 ]"
check "A's results file is complete ($(points "$tmp/A.h5"))" \
    "[ '$(points "$tmp/A.h5")' = '48 done, 0 failed, 0 pending' ]"

# --- B: stopped at the limit, requeued, resumed to the end ---------------------------------
wait_gone "$B" $deadline
logb=$tmp/B.slurm-$B.out
rq=$(field "$B" Restarts)
check "B finished after requeues ($(field "$B" JobState) $(field "$B" ExitCode), Restarts=$rq, \
$(($(date +%s) - t0)) s)" \
    "[ '$(field "$B" JobState)' = COMPLETED ] && [ '$(field "$B" ExitCode)' = 0:0 ] && [ '${rq:-0}' -ge 1 ]"
check "B: each stop was clean (USR1 via the trap, mpirun status 3) and requeued only after mpirun exited" \
    "[ \$(grep -c 'SIGUSR1: no new work' '$logb') -ge 1 ] &&
     [ \$(grep '^\[headsweep-job' '$logb' | grep -B1 'requeueing' | grep -c 'mpirun exited with status 3') = \
       \$(grep -c 'requeueing (restart' '$logb') ]"
check "B: the restarts saw SLURM_RESTART_COUNT and resumed the file" \
    "grep -q 'job $B (restart 1)' '$logb' && [ \$(grep -c 'resuming $tmp/B.h5' '$logb') = '$rq' ]"
check "B's results file is complete ($(points "$tmp/B.h5"))" \
    "[ '$(points "$tmp/B.h5")' = '48 done, 0 failed, 0 pending' ]"
check "B equals the uninterrupted A bit for bit, no done point computed twice" \
    "$CMP '$tmp/B.h5' '$tmp/A.h5' --attempts-one >'$tmp/cmp' 2>&1 || { cat '$tmp/cmp'; false; }"

# --- the cluster goes away by PID ------------------------------------------------------------
pids="$(cat "$base/munge/munged.pid" "$base/slurmctld.pid" "$base/slurmd.pid" 2>/dev/null | tr '\n' ' ')"
"$here/slurm/stop.sh" "$base" >/dev/null 2>&1
alive=
for p in $pids; do
    st=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$st" ] && [ "$st" != Z ] && alive="$alive $p"
done
check "stop.sh ended munged, slurmctld and slurmd ($pids)" "[ -n '$pids' ] && [ -z '$alive' ]"

tap_done
