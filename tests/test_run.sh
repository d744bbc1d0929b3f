#!/bin/sh
# test_run.sh — the sweep runner end to end, under mpirun (TAP):
#  * -np 1, 2 and 4 (--oversubscribe) give bit-identical results (results_cmp:
#    metrics, masks, importance, curves, errors, base models; timings aside);
#  * SIGKILL of the whole job mid-sweep, then `run` again, completes with no
#    done point computed twice and equals the uninterrupted result;
#  * SIGTERM leaves a clean, readable file; SIGUSR1 stops with status 3;
#  * an injected failing point is recorded with its message, the rest complete;
#  * a changed sweep file is refused, --restart starts over into a new file;
#  * h5py reads /points into pandas while a sweep runs (SKIP without h5py).
set -u
# Open MPI's plugins keep allocations until exit that LeakSanitizer cannot
# even name (the plugins are unloaded first): in the sanitizer build, MPI
# processes run without leak checks (ASan and UBSan stay on); the non-MPI
# tests keep them.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
HS=${HEADSWEEP:-./headsweep}
CMP=${RESULTS_CMP:-./tests/results_cmp}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
MPIRUN="mpirun --oversubscribe --bind-to none"
tmp=$(mktemp -d)
trap 'pkill -9 -f "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/small_sweep.sh"

# sweep NAME STEPS: a small majority sweep writing $tmp/NAME.h5
sweep() {
    small_sweep "$1" "$tmp/$1.h5" "train = { steps = $2; batch = 32; lr = 3e-3; };" \
        "ratios = [0.0, 0.25, 0.5, 0.625, 0.75, 0.875];"
}

# --- determinism across rank counts ------------------------------------------
for np in 1 2 4; do
    sweep "np$np" 150
    if [ $np -eq 1 ]; then
        $HS run "$tmp/np1.cfg" --progress-every 100 >"$tmp/np1.log" 2>&1
    else
        # -np 2 prints a progress line every 0.2 s: the ETA check below reads them
        $MPIRUN -np $np $HS run "$tmp/np$np.cfg" --progress-every $([ $np -eq 2 ] && echo 0.2 || echo 100) \
            >"$tmp/np$np.log" 2>&1
    fi
    rc=$?
    check "-np $np runs the sweep to the end (exit $rc)" "[ $rc -eq 0 ]"
done
check "-np 2 gives the results of -np 1 bit for bit" "$CMP $tmp/np1.h5 $tmp/np2.h5 >$tmp/cmp2 2>&1"
check "-np 4 gives the results of -np 1 bit for bit" "$CMP $tmp/np1.h5 $tmp/np4.h5 >$tmp/cmp4 2>&1"
check "status reads a finished sweep" "$HS status $tmp/np2.h5 | grep -q 'points: *48 done, 0 failed, 0 pending'"

# --- the ETA of the progress lines (src/sweep/eta.c) against the time really left -------
# (the run's last line: its end). No jump by 25x between consecutive lines, and the
# first line after a job was measured within 10x of the truth (lines under 2 s aside:
# the lines have whole seconds).
awk '
function secs(t,   h, m, s) {
    if (t ~ /h/) { split(t, h, "h"); sub(/m$/, "", h[2]); return h[1] * 3600 + h[2] * 60 }
    split(t, m, "m"); sub(/s$/, "", m[2]); return m[1] * 60 + m[2]
}
/\[headsweep\] points .* elapsed .* ETA / {
    for (i = 1; i <= NF; i++) { if ($i == "elapsed") e = $(i + 1); if ($i == "ETA") t = $(i + 1) }
    sub(/s,$/, "", e); n++; el[n] = e + 0; eta[n] = secs(t)
}
END {
    if (n < 3) { print "only " n " progress lines"; exit 1 }
    end = el[n]; jump = 1
    for (i = 2; i < n; i++)
        if (eta[i] >= 2 && eta[i - 1] >= 2) {
            r = eta[i] / eta[i - 1]; if (r < 1) r = 1 / r; if (r > jump) jump = r
        }
    first = 0
    for (i = 1; i < n; i++) if (end - el[i] >= 2 && eta[i] >= 2) { first = i; break }
    off = 1
    if (first) { off = eta[first] / (end - el[first]); if (off < 1) off = 1 / off }
    printf "%d lines over %d s, worst jump %.2fx, line %d: ETA %d s for %d s left (%.2fx)\n", n, end, jump, first,
        eta[first], end - el[first], off
    exit !(jump < 25 && off < 10)
}' "$tmp/np2.log" >"$tmp/eta.out" 2>&1
erc=$?
check "-np 2: the ETA never jumps 25x between progress lines, the first within 10x ($(cat "$tmp/eta.out"))" \
    "[ $erc -eq 0 ]"

# --- SIGKILL of the whole job, then resume -------------------------------------
sweep kill 150
setsid $MPIRUN -np 3 $HS run "$tmp/kill.cfg" --progress-every 100 >"$tmp/kill.log" 2>&1 &
pid=$!
wait_done "$tmp/kill.h5" 2
# the whole job: mpirun and every rank (Open MPI puts ranks in their own sessions)
pkill -9 -f "headsweep run $tmp/kill.cfg" 2>/dev/null
kill -9 -- -$pid 2>/dev/null
wait $pid 2>/dev/null
before=$($HS status "$tmp/kill.h5" 2>/dev/null | sed -n 's/^  points: *\([0-9]*\) done.*/\1/p')
check "a SIGKILLed sweep left a file with some points done ($before of 48)" "[ -n '$before' ] && [ '$before' -ge 2 ] && [ '$before' -lt 48 ]"
$MPIRUN -np 2 $HS run "$tmp/kill.cfg" --progress-every 100 >"$tmp/resume.log" 2>&1
rc=$?
check "run again after SIGKILL completes the sweep (exit $rc)" "[ $rc -eq 0 ]"
check "the resumed run computed no done point twice and equals the uninterrupted one" \
    "$CMP $tmp/kill.h5 $tmp/np1.h5 --attempts-one >$tmp/cmpk 2>&1"
check "resuming says so" "grep -q 'resuming' $tmp/resume.log"

# --- SIGTERM: a clean file; SIGUSR1: status 3 -----------------------------------
sweep term 400
$HS run "$tmp/term.cfg" --progress-every 100 >"$tmp/term.log" 2>&1 &
pid=$!
wait_done "$tmp/term.h5" 3
kill -TERM $pid
wait $pid
rc=$?
check "SIGTERM stops run with the documented status 3 (got $rc)" "[ $rc -eq 3 ]"
check "after SIGTERM the file opens cleanly (h5dump)" "h5dump -H $tmp/term.h5 >/dev/null 2>&1"
check "after SIGTERM status reads it" "$HS status $tmp/term.h5 | grep -q pending"
check "status of the stopped sweep: an ETA from the measured times ($($HS status $tmp/term.h5 | grep ETA))" \
    "$HS status $tmp/term.h5 | grep -q 'ETA: [1-9][0-9]* s (measured times per task and method)'"
sweep usr1 400
setsid $MPIRUN -np 3 $HS run "$tmp/usr1.cfg" --progress-every 100 >"$tmp/usr1.log" 2>&1 &
pid=$!
wait_done "$tmp/usr1.h5" 3
kill -USR1 $pid
wait $pid
rc=$?
check "SIGUSR1 to mpirun: stop handing out work, exit status 3 (got $rc)" "[ $rc -eq 3 ]"
check "after SIGUSR1 the file opens cleanly and resumes to the end" \
    "h5dump -H $tmp/usr1.h5 >/dev/null 2>&1 && $MPIRUN -np 2 $HS run $tmp/usr1.cfg --progress-every 100 >/dev/null 2>&1"

# --- an injected failure ----------------------------------------------------------
sweep fail 150
$MPIRUN -np 2 $HS run "$tmp/fail.cfg" --fail-point 5 --progress-every 100 >"$tmp/fail.log" 2>&1
rc=$?
check "a failing point does not stop the sweep (exit $rc)" "[ $rc -eq 0 ]"
check "status lists the failure with its message" \
    "$HS status $tmp/fail.h5 | grep -q 'FAILED point 5 .*injected failure'"
check "the other 47 points are done" "$HS status $tmp/fail.h5 | grep -q 'points: *47 done, 1 failed'"

# --- point_timeout: a point that takes too long fails with its reason, retried ---
sweep slow 150
sed -i 's/^run = { latency_repeats = 1; };/run = { latency_repeats = 1; point_timeout = 0.000001; retries = 1; };/' "$tmp/slow.cfg"
$MPIRUN -np 2 $HS run "$tmp/slow.cfg" --progress-every 100 >"$tmp/slow.log" 2>&1
rc=$?
check "points over point_timeout fail, the sweep still ends (exit $rc)" "[ $rc -eq 0 ]"
check "status shows them failed 'timed out' after 2 attempts (retries = 1)" \
    "$HS status $tmp/slow.h5 | grep -q 'FAILED point 0 .*2 attempts.*timed out'"

# --- a changed sweep file is refused; --restart starts over ----------------------
sed 's/ratios = \[0.0,/ratios = [0.0, 0.1,/' "$tmp/np1.cfg" >"$tmp/changed.cfg"
$HS run "$tmp/changed.cfg" >"$tmp/changed.log" 2>&1
rc=$?
check "a changed sweep file is refused with exit 2 naming the change (got $rc)" \
    "[ $rc -eq 2 ] && grep -q 'different version of' $tmp/changed.log && grep -q 'ratio' $tmp/changed.log"
check "the refused run left the old file as it was" "$CMP $tmp/np1.h5 $tmp/np2.h5 >/dev/null 2>&1"
sed 's/steps = 150/steps = 20/' "$tmp/np1.cfg" >"$tmp/restart.cfg"
$HS run "$tmp/restart.cfg" --restart >"$tmp/restart.log" 2>&1
rc=$?
check "--restart moves the old file aside and runs (exit $rc)" \
    "[ $rc -eq 0 ] && ls $tmp/np1.h5.old-* >/dev/null 2>&1 && grep -q 'moved the old results' $tmp/restart.log"

# --- h5py reads /points live ----------------------------------------------------------
if /usr/bin/python3 -c 'import h5py, pandas' 2>/dev/null; then
    sweep live 400
    $HS run "$tmp/live.cfg" --progress-every 100 >"$tmp/live.log" 2>&1 &
    pid=$!
    wait_done "$tmp/live.h5" 2
    /usr/bin/python3 - "$tmp/live.h5" >"$tmp/py.out" 2>&1 <<'PY'
import sys, h5py, pandas as pd
with h5py.File(sys.argv[1], "r", swmr=True, libver="latest") as f:
    df = pd.DataFrame(f["points"][:])
print(len(df), int((df["status"] == 1).sum()))
PY
    prc=$?
    kill -TERM $pid 2>/dev/null
    wait $pid 2>/dev/null
    check "h5py + pandas read /points while the sweep runs ($(cat "$tmp/py.out" | tr '\n' ' '))" \
        "[ $prc -eq 0 ] && awk '{exit !(\$1 == 48 && \$2 >= 2)}' $tmp/py.out"
else
    n=$((n + 1))
    echo "ok $n # SKIP h5py/pandas not installed (apt-get install python3-h5py python3-pandas)"
fi

tap_done
