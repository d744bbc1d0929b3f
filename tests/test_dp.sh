#!/bin/sh
# test_dp.sh — base jobs on groups of ranks (TAP; docs/design.md "Base jobs
# on groups of ranks"): a sweep with train.micro_batches = 4 and two task
# kinds (a classification, a causal LM), with points of l0, movement and mae
# (their training runs on the point's rank, from the base model), gives
# bit-identical results (tests/results_cmp) on 1 rank and with every base
# job on a group of 1, 2 and 3 workers (mpirun -np 4, HEADSWEEP_GROUP_SIZE);
# /base_jobs records the group size and `status` shows it; without the
# variable the coordinator's policy gives the one base job of a sweep all
# idle workers (at most micro_batches); micro_batches = 1 keeps today's
# fingerprint; bad values are refused naming the setting.
# Cost: five small sweeps, about 35 s on 2 cores.
set -u
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
HS=${HEADSWEEP:-./headsweep}
CMP=${RESULTS_CMP:-./tests/results_cmp}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
MPIRUN="mpirun --oversubscribe --bind-to none"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"

# cfg NAME [TRAIN-EXTRA] [SEEDS]: the sweep $tmp/NAME.cfg writing $tmp/NAME.h5
cfg() {
    cat >"$tmp/$1.cfg" <<CFG
name = "dp";
output = "$tmp/$1.h5";
seeds = ${3:-[1]};
model = { d_model = 32; heads = 4; layers = 2; d_ff = 64; };
train = { steps = 40; batch = 24; lr = 3e-3; ${2-micro_batches = 4;} };
tasks = (
  { name = "maj"; kind = "synthetic"; generator = "majority"; seq_len = 10; symbols = 3;
    n_train = 1000; n_prune = 64; n_test = 128; },
  { name = "copy"; kind = "synthetic"; generator = "copy"; seq_len = 10;
    n_train = 1000; n_prune = 64; n_test = 128; }
);
methods = ( { name = "magnitude"; }, { name = "l0"; steps = 10; }, { name = "movement"; steps = 10; },
            { name = "mae"; steps = 10; g_len = 2; f_len = 3; } );
ratios = [0.25];
run = { batch = 16; latency_repeats = 1; };
CFG
}

# ranks FILE: the ranks column of /base_jobs, one line
ranks() {
    h5dump -d /base_jobs "$1" 2>/dev/null |
        awk '/DATA \{/ { d = 1 } d && /^ *-?[0-9]/ { v = $1 } d && /^ *\}/ && v != "" { printf "%s ", v; v = "" }'
}

cfg one
$HS run "$tmp/one.cfg" >"$tmp/one.log" 2>&1
rc=$?
check "1 rank, micro_batches = 4: the sweep runs (exit $rc)" "[ $rc -eq 0 ]"
for g in 1 2 3; do
    cfg "g$g"
    HEADSWEEP_GROUP_SIZE=$g $MPIRUN -np 4 $HS run "$tmp/g$g.cfg" >"$tmp/g$g.log" 2>&1
    rc=$?
    check "-np 4, base jobs on groups of $g: the sweep runs (exit $rc)" "[ $rc -eq 0 ]"
    check "groups of $g give the results of 1 rank bit for bit (base models, points of magnitude, l0, movement, mae)" \
        "$CMP $tmp/one.h5 $tmp/g$g.h5 >$tmp/cmp$g 2>&1"
    if command -v h5dump >/dev/null 2>&1; then
        r=$(ranks "$tmp/g$g.h5")
        check "/base_jobs ranks = $g for both base jobs (got: $r)" "[ \"$r\" = \"$g $g \" ]"
    else
        skip "h5dump not installed: /base_jobs ranks not read"
    fi
done
check "status shows the base jobs' group sizes" "$HS status $tmp/g3.h5 | grep -q 'on 3 ranks'"

# the policy: one base job per task, 3 idle workers, no point runnable: all 3 train it
cfg pol
$MPIRUN -np 4 $HS run "$tmp/pol.cfg" >"$tmp/pol.log" 2>&1
rc=$?
check "-np 4 with the policy: the sweep runs (exit $rc)" "[ $rc -eq 0 ]"
check "the policy's groups give the same bits" "$CMP $tmp/one.h5 $tmp/pol.h5 >$tmp/cmpp 2>&1"
if command -v h5dump >/dev/null 2>&1; then
    r=$(ranks "$tmp/pol.h5")
    # 2 base jobs (one per task), 3 idle workers: the first gets 3 / 2 = 1, the second the 2 left
    check "the policy puts a base job on more than one rank when workers would idle (ranks: $r)" \
        "echo '$r' | grep -q '[23]'"
else
    skip "h5dump not installed"
fi

# micro_batches = 1 (the default) is today's sweep: the same fingerprint and bits
cfg def ""
cfg m1 "micro_batches = 1;"
$HS check "$tmp/def.cfg" >"$tmp/def.chk" 2>&1
$HS check "$tmp/m1.cfg" >"$tmp/m1.chk" 2>&1
$HS check "$tmp/one.cfg" >"$tmp/one.chk" 2>&1
fp() { sed -n 's/.*fingerprint[: ]*\([0-9a-f]*\).*/\1/p' "$1" | head -n 1; }
check "micro_batches = 1 keeps the fingerprint of a sweep without it ($(fp "$tmp/def.chk"))" \
    "[ -n \"$(fp "$tmp/def.chk")\" ] && [ \"$(fp "$tmp/def.chk")\" = \"$(fp "$tmp/m1.chk")\" ]"
check "micro_batches = 4 changes it ($(fp "$tmp/one.chk"))" "[ -n \"$(fp "$tmp/one.chk")\" ] && [ \"$(fp "$tmp/def.chk")\" != \"$(fp "$tmp/one.chk")\" ]"
check "check estimates the wall time with groups" "grep -q 'with base jobs on groups' $tmp/one.chk && grep -q ' 8 workers:' $tmp/one.chk"

# bad values name the setting
cfg bad "micro_batches = 25;"
expect_fail 2 "train.micro_batches = 25: expected at most batch = 24" "micro_batches above the batch is refused" \
    -- $HS check "$tmp/bad.cfg"
cfg bad0 "micro_batches = 0;"
expect_fail 2 "train.micro_batches = 0" "micro_batches = 0 is refused" -- $HS check "$tmp/bad0.cfg"
tap_done
