#!/bin/sh
# test_point_rerun.sh — one point of a sweep by hand, from its results file
# (TAP; docs/results-format.md "Re-running and exporting one point"):
#  * `prune RESULTS --point N` re-runs rows of several methods (michel, michel
#    with reestimate, magnitude, random, l0, layerdrop) and reproduces each bit
#    for bit: it says so, and its exact metrics equal `query`'s CSV;
#  * `prune RESULTS --base TASK/SEED --method ...` (and --group
#    /checkpoints/TASK/seed_S, the issue's command) prints the same point;
#  * `export RESULTS --point N -o OUT` writes a physically pruned checkpoint
#    that `infer OUT --eval` scores at the row's metric_finetuned exactly;
#    `infer RESULTS --base TASK/SEED --eval` gives the rows' metric_base;
#  * a changed sweep text is caught (the re-run differs, exit 1), and bad
#    input (an unknown task or seed, a point out of range, no /tasks) gets
#    its error naming the thing, exit 2; papa and mae points (constant heads,
#    per-example gates) are refused by export, a movement point exports.
# Cost: a 24-point sweep of a 2-layer model under mpirun -np 2 and about ten
# re-runs, ~10 s on one core.
set -u
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
HS=${HEADSWEEP:-./headsweep}
TAMPER=${H5_TAMPER:-$(dirname "$HS")/tests/h5_tamper}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"

R=$tmp/pr.h5
# small_sweep's task, model and run; six methods, fine-tuning
cat >"$tmp/pr.cfg" <<EOF
name = "pr";
output = "$R";
seeds = [1, 2];
tasks = ( { name = "maj"; kind = "synthetic"; generator = "dyck"; seq_len = 12; symbols = 3;
            n_train = 2000; n_prune = 256; n_test = 512; } );
methods = ( { name = "random"; }, { name = "magnitude"; }, { name = "michel"; },
            { name = "michel"; label = "michel-re"; reestimate = true; step_fraction = 0.25; },
            { name = "l0"; steps = 30; }, { name = "layerdrop"; strategy = "contribution"; } );
model = { d_model = 32; heads = 4; layers = 2; d_ff = 64; };
train = { steps = 120; batch = 32; lr = 3e-3; };
ratios = [0.25, 0.5];
finetune = { steps = 10; lr = 1e-3; };
run = { latency_repeats = 1; };
EOF
mpirun --oversubscribe --bind-to none -np 2 "$HS" run "$tmp/pr.cfg" >"$tmp/run.log" 2>&1
rc=$?
check "the sweep runs under mpirun -np 2 (exit $rc)" "[ $rc -eq 0 ] && $HS status $R | grep -q 'points: *24 done, 0 failed'"

# id TASK METHOD RATIO SEED: the point's row id (query)
id() {
    $HS query "$R" --where "method=$2" --where "ratio=$3" --where "seed=$4" --where "task=$1" --format csv \
        --columns id | sed -n 2p | tr -d "\r"
}
# col ID COLUMN: the exact value of a column of row ID (query's CSV)
col() { $HS query "$R" --where "id=$1" --format csv --columns "$2" | sed -n 2p | tr -d "\r"; }

for spec in "michel 0.5 1" "michel-re 0.5 2" "magnitude 0.25 1" "random 0.5 2" "l0 0.5 1" "layerdrop 0.5 2"; do
    set -- $spec
    p=$(id maj "$1" "$2" "$3")
    $HS prune "$R" --point "$p" >"$tmp/p$p.out" 2>"$tmp/p$p.err"
    rc=$?
    check "prune --point $p ($1, ratio $2, seed $3) reproduces its row bit for bit (exit $rc)" \
        "[ $rc -eq 0 ] && grep -q '^same as the stored row, bit for bit' $tmp/p$p.out"
    want="metric_base $(col "$p" metric_base) metric_pruned $(col "$p" metric_pruned) metric_finetuned $(col "$p" metric_finetuned) loss $(col "$p" loss)"
    got=$(sed -n 's/^exact: //p' "$tmp/p$p.out")
    check "prune --point $p: its exact metrics are query's ($got)" "[ \"$got\" = \"$want\" ]"
done

# --base: the same point by hand, with the sweep's settings and key
p=$(id maj michel-re 0.5 2)
$HS prune "$R" --base maj/2 --method michel-re --ratio 0.5 >"$tmp/b.out" 2>&1
rc=$?
check "prune --base maj/2 --method michel-re --ratio 0.5 says it is point $p, the same as its row (exit $rc)" \
    "[ $rc -eq 0 ] && grep -q '^this is point $p of .*: the same as its row, bit for bit' $tmp/b.out"
# everything but the timing line is that of --point
strip() { grep -v -e '^flops ratio' -e '^point ' -e '^exact:' -e '^same as' -e '^this is point' "$1"; }
check "prune --base prints point $p's metrics, mask and scores" "[ \"\$(strip $tmp/b.out)\" = \"\$(strip $tmp/p$p.out)\" ]"
p=$(id maj random 0.5 2)
$HS prune "$R" --base maj/2 --method random --ratio 0.5 >"$tmp/br.out" 2>&1
check "prune --base with a random method: the point's own key (point $p's mask)" \
    "[ \"\$(strip $tmp/br.out)\" = \"\$(strip $tmp/p$p.out)\" ]"
p=$(id maj michel 0.5 1)
$HS prune "$R" --group /checkpoints/maj/seed_1 --method michel --ratio 0.5 >"$tmp/g.out" 2>&1
rc=$?
check "the issue's command, prune --group /checkpoints/maj/seed_1, is point $p (exit $rc)" \
    "[ $rc -eq 0 ] && grep -q '^this is point $p of .*: the same as its row, bit for bit' $tmp/g.out && [ \"\$(strip $tmp/g.out)\" = \"\$(strip $tmp/p$p.out)\" ]"

# --- export and infer ---------------------------------------------------------------
for spec in "michel 0.5 1" "l0 0.5 1" "layerdrop 0.5 2"; do
    set -- $spec
    p=$(id maj "$1" "$2" "$3")
    $HS export "$R" --point "$p" -o "$tmp/x$p.h5" >"$tmp/x$p.out" 2>&1
    rc=$?
    check "export --point $p ($1) writes a checkpoint (exit $rc)" "[ $rc -eq 0 ] && [ -s $tmp/x$p.h5 ]"
    want=$(col "$p" metric_finetuned)
    got=$($HS infer "$tmp/x$p.h5" --eval 2>&1 | sed -n 's/^test accuracy \([^ ]*\) .*/\1/p')
    check "infer --eval of the exported point $p: $got = its metric_finetuned $want" "[ -n \"$got\" ] && [ \"$got\" = \"$want\" ]"
    kept=$(col "$p" heads_kept)
    check "export --point $p keeps the row's $kept heads" "grep -q \": $kept of 8 heads\" $tmp/x$p.out"
done
p=$(id maj layerdrop 0.5 2)
check "the exported layerdrop point leaves its dropped layer out" "grep -q ' 1 of 2 layers' $tmp/x$p.out"
check "infer reads an exported point's logits" "$HS infer $tmp/x$p.h5 --tokens '0 4 5 6 4' | grep -q '^0	0	'"
if command -v h5ls >/dev/null 2>&1; then
    p=$(id maj michel 0.5 1)
    check "the exported point stores its 4 kept heads only (wq [4·8·32], head_mask)" \
        "h5ls $tmp/x$p.h5/model/wq | grep -q '{1024}' && h5ls $tmp/x$p.h5/model/head_mask | grep -q '{2, 4}'"
else
    skip "h5ls not installed"
fi
want=$(col "$(id maj michel 0.5 1)" metric_base)
got=$($HS infer "$R" --base maj/1 --eval | sed -n 's/^test accuracy \([^ ]*\) .*/\1/p')
check "infer --base maj/1 --eval: $got = the rows' metric_base $want" "[ \"$got\" = \"$want\" ]"
$HS export "$R" --base maj/1 -o "$tmp/base1.h5" >/dev/null 2>&1
got=$($HS infer "$tmp/base1.h5" --eval | sed -n 's/^test accuracy \([^ ]*\) .*/\1/p')
check "export --base maj/1 writes the base model: infer --eval $got = $want" "[ \"$got\" = \"$want\" ]"
expect_fail 2 "x.*exists: expected a new file" "export refuses to overwrite" -- \
    $HS export "$R" --point 0 -o "$tmp/base1.h5"

# --- methods whose models a checkpoint cannot hold, and movement's trained weights ------
cat >"$tmp/pm.cfg" <<EOF
name = "pm";
output = "$tmp/pm.h5";
seeds = [1];
tasks = ( { name = "maj"; kind = "synthetic"; generator = "majority"; seq_len = 8; symbols = 3;
            n_train = 256; n_prune = 64; n_test = 64; } );
methods = ( { name = "papa"; }, { name = "mae"; }, { name = "movement"; } );
model = { d_model = 16; heads = 2; layers = 2; d_ff = 32; };
train = { steps = 30; batch = 16; };
ratios = [0.5];
finetune = { steps = 3; };
run = { latency_repeats = 1; };
EOF
"$HS" run "$tmp/pm.cfg" >"$tmp/pm.log" 2>&1
check "papa, mae and movement points re-run bit for bit" \
    "( for p in 0 1 2; do $HS prune $tmp/pm.h5 --point \$p | grep -q '^same as the stored row, bit for bit' || exit 1; done )"
expect_fail 2 "point 0 (method papa) keeps heads with constant attention (mask 2): a checkpoint does not store them" \
    "export refuses a papa point (constant heads)" -- $HS export "$tmp/pm.h5" --point 0 -o "$tmp/pm0.h5"
expect_fail 2 "point 1 (method mae) gates its heads per example: a checkpoint holds fixed heads only" \
    "export refuses a mae point (per-example gates)" -- $HS export "$tmp/pm.h5" --point 1 -o "$tmp/pm1.h5"
check "... and writes nothing" "[ ! -e $tmp/pm0.h5 ] && [ ! -e $tmp/pm1.h5 ]"
want=$($HS query "$tmp/pm.h5" --where id=2 --format csv --columns metric_finetuned | sed -n 2p | tr -d '\r')
$HS export "$tmp/pm.h5" --point 2 -o "$tmp/pm2.h5" >/dev/null 2>&1
got=$($HS infer "$tmp/pm2.h5" --eval 2>&1 | sed -n 's/^test accuracy \([^ ]*\) .*/\1/p')
check "a movement point (weights trained by the method) exports: infer --eval $got = $want" \
    "[ -n \"$got\" ] && [ \"$got\" = \"$want\" ]"

# --- a changed sweep text is caught ---------------------------------------------------
cp "$R" "$tmp/changed.h5"
"$TAMPER" "$tmp/changed.h5" attr-str / sweep_text "$(sed 's/finetune = { steps = 10;/finetune = { steps = 11;/' "$tmp/pr.cfg")"
p=$(id maj michel 0.5 1)
expect_fail 1 "point $p re-run differs from its stored row: metric_finetuned" \
    "prune --point on a file whose sweep text was changed: the re-run differs" -- $HS prune "$tmp/changed.h5" --point "$p"
expect_fail 1 "re-run differs" "export refuses a point that does not reproduce" -- \
    $HS export "$tmp/changed.h5" --point "$p" -o "$tmp/nope.h5"
check "... and writes nothing" "[ ! -e $tmp/nope.h5 ]"

# --- bad input ---------------------------------------------------------------------------
expect_fail 2 "--base nosuch/1: the sweep has no task 'nosuch' (tasks: maj)" "an unknown task" -- \
    $HS prune "$R" --base nosuch/1 --method michel --ratio 0.5
expect_fail 2 "--base maj/7: the sweep has no seed '7' (seeds: 1, 2)" "an unknown seed" -- \
    $HS infer "$R" --base maj/7 --eval
expect_fail 2 "--point 24: expected a row id of /points, 0..23" "a point out of range" -- $HS prune "$R" --point 24
expect_fail 2 "--point 99: expected a row id of /points, 0..23" "export: a point out of range" -- \
    $HS export "$R" --point 99 -o "$tmp/nope.h5"
cp "$R" "$tmp/notasks.h5"
"$TAMPER" "$tmp/notasks.h5" unlink /tasks
expect_fail 2 "notasks.h5: no /tasks group: expected a headsweep results file" "a results file without /tasks" -- \
    $HS prune "$tmp/notasks.h5" --point 0
expect_fail 2 "is a sweep's results file: name a base model with --base TASK/SEED or a point with --point N" \
    "prune on a results file without --base or --point" -- $HS prune "$R" --method michel --ratio 0.5
expect_fail 2 "prune: --point N re-runs that row with the sweep's own settings: leave out --ratio" \
    "prune --point with --ratio" -- $HS prune "$R" --point 0 --ratio 0.5

tap_done
