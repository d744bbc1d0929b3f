#!/bin/bash
# test_submit.sh — `headsweep submit` without a cluster (TAP; tests/test_slurm.sh runs it
# against a real Slurm):
#  * --dry-run prints a valid bash script with an #SBATCH line per option, writes nothing;
#  * bad options and bad sweep files exit 2 with a message; an allocation larger than the
#    grid is a warning;
#  * submission runs `sbatch --parsable SCRIPT` (a stand-in sbatch on PATH), prints the job
#    id, the script lands next to the results file; a failing or missing sbatch exits 1;
#  * the batch script's signal logic, with stand-ins for mpirun and scontrol: USR1 to the
#    batch shell reaches mpirun, the script waits until mpirun has exited (not just until
#    the trap ran), requeues only after status 3 and below --max-requeues, otherwise prints
#    the resume command; status 0 never requeues.
set -u
HS=${HEADSWEEP:-./headsweep}
tmp=$(mktemp -d)
trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"

cat >"$tmp/s.cfg" <<CFG
name = "demo";
output = "$tmp/out/demo.h5";
seeds = [1, 2];
model = { d_model = 16; heads = 2; layers = 1; d_ff = 32; };
train = { steps = 10; batch = 16; lr = 3e-3; };
tasks = ( { name = "maj"; kind = "synthetic"; generator = "majority"; seq_len = 8; symbols = 3;
            n_train = 200; n_prune = 64; n_test = 64; } );
methods = ( { name = "random"; }, { name = "magnitude"; } );
ratios = [0.0, 0.5];
CFG

# --- --dry-run ---------------------------------------------------------------------------------
$HS submit "$tmp/s.cfg" --nodes 4 --ntasks-per-node 32 --time 12:00:00 --partition compute \
    --account proj42 --mem-per-cpu 2G --requeue --max-requeues 5 --dependency afterok:1234 \
    --sbatch-arg=--qos=long --sbatch-arg --exclusive --dry-run >"$tmp/dry.sh" 2>"$tmp/dry.err"
rc=$?
check "--dry-run exits 0" "[ $rc -eq 0 ]"
check "--dry-run writes nothing (no script, no results folder)" "[ ! -e '$tmp/out' ]"
check "the printed script is valid bash" "bash -n '$tmp/dry.sh'"
want='#SBATCH --job-name=demo
#SBATCH --nodes=4
#SBATCH --ntasks-per-node=32
#SBATCH --cpus-per-task=1
#SBATCH --time=12:00:00
#SBATCH --partition=compute
#SBATCH --account=proj42
#SBATCH --mem-per-cpu=2G
#SBATCH --signal=B:USR1@120
#SBATCH --requeue
#SBATCH --dependency=afterok:1234
#SBATCH --chdir='"$(pwd -P)"'
#SBATCH --output='"$tmp"'/out/demo.slurm-%j.out
#SBATCH --open-mode=append
#SBATCH --qos=long
#SBATCH --exclusive'
check "one #SBATCH line per option, in one block at the top" \
    "[ \"\$(grep '^#SBATCH' '$tmp/dry.sh')\" = \"\$want\" ] &&
     [ \"\$(sed -n '/^[^#]/{=;q}' '$tmp/dry.sh')\" -gt \"\$(grep -n '^#SBATCH' '$tmp/dry.sh' | tail -n 1 | cut -d: -f1)\" ]"
check "one OpenBLAS thread, one rank per task, the requeue cap" \
    "grep -q '^export OPENBLAS_NUM_THREADS=1$' '$tmp/dry.sh' && grep -q 'mpirun -np \"\$SLURM_NTASKS\"' '$tmp/dry.sh' &&
     grep -q '^max_requeues=5 ' '$tmp/dry.sh'"
check "127 workers for 2 base jobs + 8 points: a warning, not an error" \
    "grep -q 'warning: 127 workers .* at most 10 can ever be busy' '$tmp/dry.err'"
$HS submit "$tmp/s.cfg" --ntasks-per-node 4 --dry-run >/dev/null 2>"$tmp/small.err"
check "an allocation the grid can use draws no warning" "! grep -q warning '$tmp/small.err'"

# --- bad input: exit 2 with a message ----------------------------------------------------------
bad() { # DESCRIPTION MESSAGE-PATTERN ARGS...
    local d=$1 pat=$2
    shift 2
    $HS submit "$@" --dry-run >/dev/null 2>"$tmp/bad.err"
    local r=$?
    if [ $r -eq 2 ] && grep -q -- "$pat" "$tmp/bad.err"; then ok "$d: exit 2, says so"
    else notok "$d: exit 2 (got $r), says so: $(cat "$tmp/bad.err")"; fi
}
bad "--nodes 0" "--nodes 0: expected an integer" "$tmp/s.cfg" --nodes 0
bad "--ntasks-per-node x" "--ntasks-per-node 'x'" "$tmp/s.cfg" --ntasks-per-node x
bad "--time 1:2:3:4" "--time '1:2:3:4': expected" "$tmp/s.cfg" --time 1:2:3:4
bad "--grace not shorter than --time" "--grace 120 is not shorter than --time 2" "$tmp/s.cfg" --time 2
bad "--grace 0" "--grace 0" "$tmp/s.cfg" --grace 0
bad "--max-requeues without --requeue" "--max-requeues needs --requeue" "$tmp/s.cfg" --max-requeues 2
bad "--mem-per-cpu 2X" "--mem-per-cpu '2X'" "$tmp/s.cfg" --mem-per-cpu 2X
bad "--partition with a space" "--partition 'a b'" "$tmp/s.cfg" --partition "a b"
bad "--sbatch-arg not an option" "--sbatch-arg 'qos=long'" "$tmp/s.cfg" --sbatch-arg qos=long
bad "an unknown option" "unknown or incomplete option '--nodez'" "$tmp/s.cfg" --nodez 2
bad "no sweep file" "expected exactly one SWEEP.cfg" --nodes 2
sed 's/ratios = \[0.0, 0.5\];/ratios = [0.0, 1.5];/' "$tmp/s.cfg" >"$tmp/badsweep.cfg"
bad "a sweep file with a bad setting" "ratios" "$tmp/badsweep.cfg"

# --- submission through a stand-in sbatch --------------------------------------------------------
mkdir -p "$tmp/bin"
cat >"$tmp/bin/sbatch" <<'SH'
#!/bin/sh
echo "$*" >"$SBATCH_LOG"
[ -n "${SBATCH_FAIL:-}" ] && { echo "sbatch: error: Batch job submission failed" >&2; exit 1; }
echo "4242;cluster"
SH
chmod +x "$tmp/bin/sbatch"
export SBATCH_LOG=$tmp/sbatch.args
PATH=$tmp/bin:$PATH $HS submit "$tmp/s.cfg" --nodes 4 --ntasks-per-node 32 --time 12:00:00 --partition compute \
    --account proj42 --mem-per-cpu 2G --requeue --max-requeues 5 --dependency afterok:1234 \
    --sbatch-arg=--qos=long --sbatch-arg --exclusive >"$tmp/sub.out" 2>/dev/null
rc=$?
check "submit runs sbatch --parsable SCRIPT and exits 0 ($rc)" \
    "[ $rc -eq 0 ] && [ \"\$(cat '$tmp/sbatch.args')\" = '--parsable $tmp/out/demo.sbatch' ]"
check "it prints the job id, the log and the status command" \
    "grep -q '^submitted job 4242: 128 ranks' '$tmp/sub.out' && grep -q 'log:    $tmp/out/demo.slurm-4242.out' '$tmp/sub.out' &&
     grep -q '^  watch:  headsweep status $tmp/out/demo.h5$' '$tmp/sub.out'"
check "the script next to the results file is the one --dry-run printed, executable" \
    "[ -x '$tmp/out/demo.sbatch' ] && cmp -s '$tmp/out/demo.sbatch' '$tmp/dry.sh'"
SBATCH_FAIL=1 PATH=$tmp/bin:$PATH $HS submit "$tmp/s.cfg" --ntasks-per-node 2 >/dev/null 2>"$tmp/fail.err"
rc=$?
check "a failing sbatch: exit 1 ($rc) with a message" "[ $rc -eq 1 ] && grep -q 'sbatch .* failed' '$tmp/fail.err'"
PATH=/nonexistent $HS submit "$tmp/s.cfg" --ntasks-per-node 2 >/dev/null 2>"$tmp/none.err"
rc=$?
check "no sbatch at all: exit 1 ($rc) with a message" "[ $rc -eq 1 ] && grep -q 'cannot run sbatch' '$tmp/none.err'"

# --- the batch script's signal logic, with stand-ins for mpirun and scontrol ----------------------
# mpirun: records USR1, then takes a second to stop with status 3 (as rank 0 does after its
# grace); without USR1 it exits with $FAKE_RC after 5 s
cat >"$tmp/bin/mpirun" <<'SH'
#!/bin/bash
trap 'echo usr1 >>"$FAKE_DIR/mpirun.log"; sleep 1; echo exit3 >>"$FAKE_DIR/mpirun.log"; exit 3' USR1
echo "start $*" >>"$FAKE_DIR/mpirun.log"
sleep 5 &
wait $!
exit "${FAKE_RC:-0}"
SH
cat >"$tmp/bin/scontrol" <<'SH'
#!/bin/sh
echo "scontrol $*" >>"$FAKE_DIR/mpirun.log"
SH
chmod +x "$tmp/bin/mpirun" "$tmp/bin/scontrol"
$HS submit "$tmp/s.cfg" --ntasks-per-node 2 --requeue --max-requeues 2 --grace 60 --dry-run >"$tmp/rq.sh" 2>/dev/null
$HS submit "$tmp/s.cfg" --ntasks-per-node 2 --grace 60 --dry-run >"$tmp/norq.sh" 2>/dev/null
# job SCRIPT NAME RESTARTS SIGNAL(1/0) [FAKE_RC]: runs the script as Slurm would; prints its status
job() {
    mkdir -p "$tmp/$2"
    FAKE_DIR=$tmp/$2 FAKE_RC=${5:-0} PATH=$tmp/bin:$PATH SLURM_JOB_ID=77 SLURM_NTASKS=2 SLURM_JOB_NODELIST=n1 \
        SLURM_RESTART_COUNT=$3 bash "$1" >"$tmp/$2/out" 2>&1 &
    local pid=$! i=0
    while [ $i -lt 50 ] && ! grep -q start "$tmp/$2/mpirun.log" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
    [ "$4" = 1 ] && kill -USR1 $pid
    wait $pid
    echo $?
}
rc=$(job "$tmp/rq.sh" j1 0 1)
check "USR1 to the batch shell reaches mpirun; the script waits for it to exit 3, then requeues ($rc)" \
    "[ $rc -eq 3 ] && grep -q '^start -np 2 -x OPENBLAS_NUM_THREADS .*headsweep.* run $tmp/s.cfg' '$tmp/j1/mpirun.log' &&
     [ \"\$(grep -v '^start' '$tmp/j1/mpirun.log' | tr '\n' ' ')\" = 'usr1 exit3 scontrol requeue 77 ' ] &&
     grep -q 'mpirun exited with status 3' '$tmp/j1/out' && grep -q 'requeueing (restart 1 of at most 2)' '$tmp/j1/out'"
rc=$(job "$tmp/rq.sh" j2 2 1)
check "at --max-requeues restarts: no requeue, the resume command ($rc)" \
    "[ $rc -eq 3 ] && ! grep -q scontrol '$tmp/j2/mpirun.log' && grep -q 'resume with: sbatch $tmp/out/demo.sbatch' '$tmp/j2/out'"
rc=$(job "$tmp/norq.sh" j3 0 1)
check "without --requeue: no requeue, the resume command ($rc)" \
    "[ $rc -eq 3 ] && ! grep -q scontrol '$tmp/j3/mpirun.log' && grep -q 'resume with: sbatch' '$tmp/j3/out'"
rc=$(job "$tmp/rq.sh" j4 0 0 0)
check "a finished sweep (status 0) is not requeued ($rc)" \
    "[ $rc -eq 0 ] && ! grep -q scontrol '$tmp/j4/mpirun.log' && grep -q 'sweep finished' '$tmp/j4/out'"
rc=$(job "$tmp/rq.sh" j5 0 0 1)
check "a failed sweep (status 1) is not requeued ($rc)" \
    "[ $rc -eq 1 ] && ! grep -q scontrol '$tmp/j5/mpirun.log' && grep -q 'headsweep failed (status 1)' '$tmp/j5/out'"

tap_done
