#!/bin/sh
# test_errors.sh — docs/errors.md, the catalogue of bad input, checked row by
# row (TAP). The tables of docs/errors.md are parsed; every row's first column
# is a case id such as `E-SWEEP-07`, and this script has one function per id
# (case_e_sweep_07) that builds the bad input in a fresh folder, runs the
# command and leaves its exit status in $rc and its stderr in ./err. A row
# passes when the exit status is the row's and stderr holds the row's message
# as one whole line, with <FILE>, <DIR> and <OUT> replaced by the paths the
# case used (the case sets FILE, DIR and OUT). A row without a function, and a
# function without a row, fail: the document and the code cannot drift apart.
#
#   tests/test_errors.sh --show [ID...]   runs the cases and prints what they
#                                         print (to write or update a row)
set -u
HS=${HEADSWEEP:-./headsweep}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tap.sh"
top=$(cd "$here/.." && pwd)
DOC=${ERRORS_DOC:-$top/docs/errors.md}
TAMPER=${H5_TAMPER:-$(dirname "$HS")/tests/h5_tamper}
FX=${FIXTURES:-$top/tests/fixtures}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OPENBLAS_NUM_THREADS=1

# --- helpers for the cases ---------------------------------------------------------
# hs ARGS...: headsweep with stdout to ./out, stderr to ./err, status in $rc
hs() { "$HS" "$@" >out 2>err; rc=$?; }
# hs_mpi ARGS...: the same for `run` (a singleton MPI process; Open MPI's allocations
# would trip LeakSanitizer in a sanitizer build, as in test_run.sh)
hs_mpi() { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$HS" "$@" >out 2>err; rc=$?; }

# a small valid checkpoint (trained once, copied by each case)
ckpt() {
    if [ ! -e "$tmp/m.h5" ]; then
        "$HS" train --task majority --seq-len 8 --steps 3 --batch 8 --d-model 16 --heads 2 --layers 1 \
            --out "$tmp/m.h5" --log-every 0 >/dev/null 2>&1
    fi
    cp "$tmp/m.h5" "$1"
}
# tampered FILE OP ARGS...: a copy of the checkpoint, then h5_tamper FILE OP ARGS
tampered() { f=$1; shift; ckpt "$f" && "$TAMPER" "$f" "$@"; }
# results FILE [OP ARGS...]: a copy of the fixture results file, optionally tampered
results() { f=$1; cp "$FX/results/tiny.h5" "$f" && chmod u+w "$f"; shift; [ $# -eq 0 ] || "$TAMPER" "$f" "$@"; }

# The sweep every sweep-file case edits; the line numbers of the rows refer to it.
base_cfg() {
    cat <<'EOF'
name = "t";
seeds = [1, 2];
model = { d_model = 16; heads = 2; layers = 1; d_ff = 32; };
train = { steps = 5; batch = 8; };
tasks = (
  { name = "maj"; kind = "synthetic"; generator = "majority"; seq_len = 8;
    n_train = 64; n_prune = 16; n_test = 16; }
);
methods = (
  { name = "random"; },
  { name = "michel"; step_fraction = 0.25; }
);
ratios = [0.0, 0.5];
output = "out.h5";
run = { latency_repeats = 1; };
EOF
}
# sweep LINE TEXT: sweep.cfg = the base with line LINE replaced by TEXT (LINE 0: appended)
sweep() {
    if [ "$1" -eq 0 ]; then
        { base_cfg; printf '%s\n' "$2"; } >sweep.cfg
    else
        base_cfg | awk -v ln="$1" -v txt="$2" 'NR == ln { print txt; next } { print }' >sweep.cfg
    fi
    FILE=sweep.cfg
}
# bad_sweep LINE TEXT: `check` on that sweep
bad_sweep() { sweep "$1" "$2"; hs check sweep.cfg; }
# task_sweep SETTINGS: a sweep whose one task is { name = "d"; SETTINGS }
task_sweep() {
    base_cfg | awk -v t="  { name = \"d\"; $1 }" 'NR == 6 { print t; next } NR == 7 { next } { print }' >sweep.cfg
    FILE=sweep.cfg
}
# tsv TRAIN DEV: a folder "data" with train.tsv and dev.tsv holding TRAIN and DEV
# (printf formats: \t and \n), then `train --kind tsv` on it
tsv() {
    mkdir -p data
    printf "$1" >data/train.tsv
    printf "$2" >data/dev.tsv
    DIR=data
    hs train --kind tsv --path data --out x.h5 --steps 2 --log-every 0
}
GOOD_TSV='sentence\tlabel\na fine film\t1\na dull film\t0\na good plot\t1\na bad plot\t0\n'
# idx_dir: a folder "img" with the four IDX files of the fixture (plain, uncompressed)
idx_dir() { mkdir -p img && cp "$FX/images/plain/"* img/ && chmod u+w img/*; DIR=img; }
images() { hs train --kind images --path img --out x.h5 --steps 2 --log-every 0 "$@"; }

# A results file left open for writing by a killed run (made once, copied).
crashed() {
    if [ ! -e "$tmp/crash/crash.h5" ]; then
        mkdir -p "$tmp/crash"
        base_cfg | sed -e 's/steps = 5;/steps = 100000;/' -e 's/"out.h5"/"crash.h5"/' >"$tmp/crash/crash.cfg"
        (cd "$tmp/crash" && exec env ASAN_OPTIONS=detect_leaks=0 "$HS" run crash.cfg >/dev/null 2>&1) &
        pid=$!
        i=0
        while [ $i -lt 300 ] && ! grep -q '"status"' "$tmp/crash/crash.h5" 2>/dev/null; do
            [ -s "$tmp/crash/crash.h5" ] && sleep 0.5 && break
            sleep 0.05
            i=$((i + 1))
        done
        kill -9 $pid 2>/dev/null
        wait $pid 2>/dev/null
    fi
    cp "$tmp/crash/crash.cfg" "$tmp/crash/crash.h5" .
    OUT=crash.h5
}
# a PATH with nothing on it but what a case puts in ./bin; Open MPI's singleton start
# looks for an rsh agent on PATH unless told there is none
bare_path() { mkdir -p bin; PATH_BARE=$PWD/bin; }
hs_bare() { env PATH="$PATH_BARE" OMPI_MCA_plm_rsh_agent= ASAN_OPTIONS=detect_leaks=0 "$HS" "$@" >out 2>err; rc=$?; }

# === command line =====================================================================
case_e_cli_01() { hs; }
case_e_cli_02() { hs fly; }
case_e_cli_03() { hs train --frobnicate --out x.h5; }
case_e_cli_04() { hs train extra --out x.h5; }
case_e_cli_05() { hs train --steps ten --out x.h5; }
case_e_cli_06() { hs train --heads 0 --out x.h5; }
case_e_cli_07() { hs train --d-model 10 --heads 4 --out x.h5; }
case_e_cli_08() { hs train --task nosuch --out x.h5; }
case_e_cli_09() { hs train; }
case_e_cli_10() { ckpt m.h5; FILE=m.h5; hs train --out m.h5; }
case_e_cli_11() { hs infer; }
case_e_cli_12() { ckpt m.h5; hs infer m.h5; }
case_e_cli_13() { ckpt m.h5; hs infer m.h5 --tokens "0 99"; }
case_e_cli_14() { ckpt m.h5; hs infer m.h5 --tokens "0 x3"; }
case_e_cli_15() { ckpt m.h5; hs infer m.h5 --tokens "0 3 3 3 3 3 3 3 3"; }
case_e_cli_16() { ckpt m.h5; printf '0 3\n0 3 zz\n' >seqs.txt; FILE=seqs.txt; hs infer m.h5 --file seqs.txt; }
case_e_cli_17() { ckpt m.h5; hs prune m.h5 --method nosuch --ratio 0.5; }
case_e_cli_18() { ckpt m.h5; hs prune m.h5 --method michel --ratio 0.5 --set normalise=true; }
case_e_cli_19() { ckpt m.h5; hs prune m.h5 --method michel --ratio 0.5 --set step_fraction=5; }
case_e_cli_20() { ckpt m.h5; hs prune m.h5 --method random --ratio 1; }
case_e_cli_21() { ckpt m.h5; hs prune m.h5 --method random; }
case_e_cli_22() { hs check; }
case_e_cli_23() { hs run; }
case_e_cli_24() { hs status; }
case_e_cli_25() { results r.h5; hs query r.h5 --where 'rtio<0.5' --columns id; }
case_e_cli_26() { results r.h5; hs query r.h5 --where 'ratio<=abc'; }
case_e_cli_27() { results r.h5; hs query r.h5 --format xml; }
case_e_cli_28() { results r.h5; hs query r.h5 --where id=99 --masks; }
case_e_cli_29() { results r.h5; hs plot r.h5; }
case_e_cli_30() { results r.h5; hs plot r.h5 -o figs --band wide; }
case_e_cli_31() { results r.h5; hs report r.h5; }
case_e_cli_32() { sweep 0 ''; hs submit sweep.cfg --time 1:2:3:4 --dry-run; }
case_e_cli_33() { sweep 0 ''; hs submit sweep.cfg --max-requeues 2 --dry-run; }
case_e_cli_34() { results r.h5; hs query r.h5 --pivot ratio --metric acc; }
case_e_cli_35() { ckpt m.h5; hs prune m.h5 --method random --ratio 0.5 --finetune 5 --finetune-params weights; }
case_e_cli_36() { ckpt m.h5; hs prune m.h5 --method random --ratio 0.5 --finetune-params bias; }
case_e_cli_37() { ckpt m.h5; hs prune m.h5 --method random --ratio 0.5 --quantize int4; }

# === sweep file ======================================================================
case_e_sweep_01() { FILE=none.cfg; hs check none.cfg; }
case_e_sweep_02() { printf 'name = "t";\0\n' >sweep.cfg; FILE=sweep.cfg; hs check sweep.cfg; }
case_e_sweep_03() { bad_sweep 4 'train = { steps = 20; batch = ; };'; }
case_e_sweep_04() { bad_sweep 0 'frobnicate = 1;'; }
case_e_sweep_05() { bad_sweep 4 'train = { steps = 20; epochs = 3; };'; }
case_e_sweep_06() { bad_sweep 7 '    n_train = 64; n_prune = 16; n_test = 16; path = "x"; }'; }
case_e_sweep_07() { bad_sweep 10 '  { name = "nosuch"; },'; }
case_e_sweep_08() { bad_sweep 11 '  { name = "michel"; steps = 3; }'; }
case_e_sweep_09() { bad_sweep 11 '  { name = "michel"; step_fraction = 2.0; }'; }
case_e_sweep_10() { bad_sweep 11 '  { name = "michel"; normalize = 1; }'; }
case_e_sweep_11() { bad_sweep 11 '  { name = "michel"; abs = "sum"; }'; }
case_e_sweep_12() { bad_sweep 4 'train = { steps = 20.5; batch = 8; };'; }
case_e_sweep_13() { bad_sweep 4 'train = { steps = "20"; batch = 8; };'; }
case_e_sweep_14() { bad_sweep 0 'finetune = 5;'; }
case_e_sweep_15() { bad_sweep 13 'ratios = [0.0, 1.0];'; }
case_e_sweep_16() { bad_sweep 13 'ratios = [];'; }
case_e_sweep_17() { bad_sweep 13 'ratios = [0.5, 0.5];'; }
case_e_sweep_18() { bad_sweep 13 'ratios = [0, 0.5];'; }
case_e_sweep_19() { bad_sweep 2 'seeds = [];'; }
case_e_sweep_20() { bad_sweep 2 'seeds = [1, 1];'; }
case_e_sweep_21() { bad_sweep 11 '  { name = "random"; }'; }
case_e_sweep_22() { bad_sweep 3 'model = { d_model = 30; heads = 4; layers = 1; };'; }
case_e_sweep_23() { bad_sweep 6 '  { name = "maj"; generator = "majority"; seq_len = 8;'; }
case_e_sweep_24() { bad_sweep 6 '  { name = "maj"; kind = "video"; generator = "majority"; seq_len = 8;'; }
case_e_sweep_25() { bad_sweep 6 '  { name = "maj"; kind = "synthetic"; generator = "nosuch"; seq_len = 8;'; }
case_e_sweep_26() { bad_sweep 6 '  { name = "maj"; kind = "synthetic"; generator = "majority"; seq_len = 2;'; }
case_e_sweep_27() { task_sweep 'kind = "tsv"; path = "no/such/folder";'; DIR=no/such/folder; hs check sweep.cfg; }
case_e_sweep_28() { : >sweep.cfg; FILE=sweep.cfg; hs check sweep.cfg; }
case_e_sweep_29() { # a changed sweep on resume: refused, the results file untouched
    sweep 0 ''
    hs_mpi run sweep.cfg
    cp out.h5 before.h5
    sweep 13 'ratios = [0.0, 0.25];'
    hs_mpi run sweep.cfg
    OUT=out.h5
    cmp -s out.h5 before.h5 || extra="the refused run changed out.h5"
}
case_e_sweep_30() { bad_sweep 0 'finetune = { steps = 5; params = "weights"; };'; }
case_e_sweep_31() { bad_sweep 0 'finetune = { params = "bias"; };'; }
case_e_sweep_32() { bad_sweep 0 'finetune = { steps = 5; quantize = "int4"; };'; }
case_e_sweep_33() { bad_sweep 4 'train = { steps = 20; batch = 8; micro_batches = 16; };'; }

# === data files ======================================================================
case_e_data_01() { tsv 'sentence\tlabel\na fine film\t1\na dull film\t0\nno label here\t\n' "$GOOD_TSV"; }
case_e_data_02() { tsv "$GOOD_TSV" 'sentence\tlabel\na fine film\t1\na so-so film\tmaybe\n'; }
case_e_data_03() { tsv 'sentence\tlabel\na fine film\t1\n\t0\n' "$GOOD_TSV"; }
case_e_data_04() { tsv 'sentence\tlabel\na fine film\t1\na dull film\t0\ntoo\tmany\t1\n' "$GOOD_TSV"; }
case_e_data_05() { tsv '' "$GOOD_TSV"; }
case_e_data_06() { tsv 'text\tsentiment\na fine film\t1\n' "$GOOD_TSV"; }
case_e_data_07() { tsv 'sentence\tlabel\na fine film\t1\na good film\t1\n' "$GOOD_TSV"; }
case_e_data_08() { mkdir data; printf "$GOOD_TSV" >data/train.tsv; DIR=data; hs train --kind tsv --path data --out x.h5; }
case_e_data_09() { DIR=no-data; hs train --kind tsv --path no-data --out x.h5; }
case_e_data_10() { # spam: binary junk where text is expected
    mkdir data; head -c 3000 "$FX/images/plain/train-images-idx3-ubyte" >data/train.tsv; cp data/train.tsv data/dev.tsv
    DIR=data; hs train --kind tsv --path data --out x.h5
}
case_e_data_11() { mkdir data; printf "$GOOD_TSV" >data/train.tsv; cp data/train.tsv data/dev.tsv; hs train --kind tsv --path data --tokenizer bpe --out x.h5; }
case_e_data_12() { DIR=no-images; images --path no-images; }
case_e_data_13() { idx_dir; rm img/train-labels-idx1-ubyte; images; }
case_e_data_14() { idx_dir; cp img/t10k-labels-idx1-ubyte img/train-images-idx3-ubyte; images; }
case_e_data_15() { idx_dir; f=img/train-images-idx3-ubyte; truncate -s $(($(wc -c <$f) - 10)) $f; images; }
case_e_data_16() { idx_dir; images --patch 3; }
case_e_data_17() { idx_dir; f=img/train-images-idx3-ubyte; gzip -c $f | head -c 200 >$f.gz; rm $f; images; }
case_e_data_18() { idx_dir; printf 'not an IDX file, just spam\n' >img/t10k-images-idx3-ubyte; images; }
case_e_data_19() { FILE=none.txt; hs train --kind lm --path none.txt --out x.h5; }
case_e_data_20() { : >empty.txt; FILE=empty.txt; hs train --kind lm --path empty.txt --out x.h5; }
case_e_data_21() { printf 'ten bytes\n' >short.txt; FILE=short.txt; hs train --kind lm --path short.txt --out x.h5; }
case_e_data_22() { mkdir dir.txt; FILE=dir.txt; hs train --kind lm --path dir.txt --out x.h5; }
case_e_data_23() { tsv 'sentence\tsentence\tlabel\na\tb\t1\nc\td\t0\n' "$GOOD_TSV"; }

# === checkpoints =====================================================================
case_e_ckpt_01() { FILE=none.h5; hs infer none.h5 --tokens 0; }
case_e_ckpt_02() { echo "not hdf5" >c.h5; FILE=c.h5; hs infer c.h5 --tokens 0; }
case_e_ckpt_03() { ckpt c.h5; truncate -s 3000 c.h5; FILE=c.h5; hs infer c.h5 --tokens 0; }
case_e_ckpt_04() { results c.h5; FILE=c.h5; hs infer c.h5 --tokens 0; }
case_e_ckpt_05() { ckpt c.h5; FILE=c.h5; hs infer c.h5 --group /other --tokens 0; }
case_e_ckpt_06() { tampered c.h5 attr-str /model format other-tool; FILE=c.h5; hs infer c.h5 --tokens 0; }
case_e_ckpt_07() { tampered c.h5 attr-long /model format_version 9; FILE=c.h5; hs infer c.h5 --tokens 0; }
case_e_ckpt_08() { tampered c.h5 attr-str /model format_version 1; FILE=c.h5; hs infer c.h5 --tokens 0; }
case_e_ckpt_09() { tampered c.h5 attr-del /model heads; FILE=c.h5; hs infer c.h5 --tokens 0; }
case_e_ckpt_10() { tampered c.h5 attr-double /model layer_norm_eps -1; FILE=c.h5; hs infer c.h5 --tokens 0; }
case_e_ckpt_11() { tampered c.h5 attr-str /model activation swish; FILE=c.h5; hs infer c.h5 --tokens 0; }
case_e_ckpt_12() { tampered c.h5 attr-long /model d_model 99999999999; FILE=c.h5; hs infer c.h5 --tokens 0; }
case_e_ckpt_13() { tampered c.h5 attr-long /model heads 3; FILE=c.h5; hs infer c.h5 --tokens 0; }
case_e_ckpt_14() { tampered c.h5 unlink /model/wq; FILE=c.h5; hs infer c.h5 --tokens 0; }
case_e_ckpt_15() { tampered c.h5 dset /model/wq float 1 16 8; FILE=c.h5; hs infer c.h5 --tokens 0; }
case_e_ckpt_16() { tampered c.h5 dset /model/wq int 1 16 16; FILE=c.h5; hs infer c.h5 --tokens 0; }
case_e_ckpt_18() { tampered c.h5 dset /model/head_mask int 1 3; FILE=c.h5; hs infer c.h5 --tokens 0; }
case_e_ckpt_17() { cp "$FX/ref_cls.h5" c.h5; FILE=c.h5; hs prune c.h5 --method random --ratio 0.5; }

# === results files ===================================================================
case_e_res_01() { FILE=none.h5; hs query none.h5; }
case_e_res_02() { echo "id,task" >r.h5; FILE=r.h5; hs query r.h5; }
case_e_res_03() { ckpt r.h5; FILE=r.h5; hs query r.h5; }
case_e_res_04() { results r.h5; truncate -s $(($(wc -c <r.h5) / 2)) r.h5; FILE=r.h5; hs query r.h5; }
case_e_res_05() { results r.h5 attr-long / format_version 7; FILE=r.h5; hs status r.h5; }
case_e_res_06() { results r.h5 unlink /points; FILE=r.h5; hs query r.h5; }
case_e_res_07() { results r.h5 attr-long / max_heads 3; FILE=r.h5; hs report r.h5 -o r.html --no-plots; }
case_e_res_12() { results r.h5 dset /importance float 24 2; FILE=r.h5; hs query r.h5; }
case_e_res_08() { results r.h5 attr-del / sweep_text; FILE=r.h5; hs status r.h5; }
case_e_res_09() { sweep 0 ''; echo "not hdf5" >out.h5; OUT=out.h5; hs_mpi run sweep.cfg; }
case_e_res_10() { sweep 0 ''; ckpt out.h5; OUT=out.h5; hs_mpi run sweep.cfg; }
case_e_res_11() { # left open by a kill: repaired with h5clear, then resumed to the end
    crashed # (--bench-trivial: the resumed jobs do no work, so this takes no time)
    hs_mpi run crash.cfg --bench-trivial
    [ "$rc" -eq 0 ] && "$HS" status crash.h5 2>/dev/null | grep -q 'points: *8 done' || extra="the repaired run did not finish"
}

# the run lock (issue 13): a live writer of out.h5 (a sweep that trains for long), its
# lock text written; killed by stop_writer. blank_holder: pid, host, time as in the rows
live_writer() {
    base_cfg | sed 's/steps = 5;/steps = 100000;/' >sweep.cfg
    (exec env ASAN_OPTIONS=detect_leaks=0 "$HS" run sweep.cfg >/dev/null 2>&1) &
    wpid=$!
    i=0
    while [ $i -lt 200 ] && ! grep -q '^pid=' out.h5.lock 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
    OUT=out.h5
}
stop_writer() { kill -9 "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null; }
blank_holder() {
    sed -e "s/pid [0-9]* on $(hostname)/pid PID on HOST/g" -e 's/since [0-9: -]*)/since TIME)/g' err >err.raw && mv err.raw err
}
case_e_res_13() { live_writer; hs_mpi run sweep.cfg; stop_writer; blank_holder; }
case_e_res_14() {
    live_writer
    export HEADSWEEP_LOCK_WAIT=1
    hs_mpi run sweep.cfg
    unset HEADSWEEP_LOCK_WAIT
    stop_writer
    blank_holder
}
case_e_res_15() {
    results out.h5
    sweep 0 ''
    printf 'headsweep run lock\nhost=node17\npid=4242\nstart=%s\nslurm_job=81723\nslurm_restart=0\n' "$(date +%s)" >out.h5.lock
    OUT=out.h5
    hs_mpi run sweep.cfg
    blank_holder
}
case_e_res_16() { # a run killed on this host: its pid is gone, its lock text stays
    crashed
    sh -c 'exit 0' &
    dead=$!
    wait $dead
    printf 'headsweep run lock\nhost=%s\npid=%s\nstart=%s\nslurm_job=\nslurm_restart=0\n' "$(hostname)" $dead "$(date +%s)" >crash.h5.lock
    hs_mpi run crash.cfg --bench-trivial
    blank_holder
}

# === one point of a sweep (prune, infer, export on a results file) =====================
case_e_pt_01() { results r.h5; FILE=r.h5; hs prune r.h5 --base nosuch/1 --method michel --ratio 0.5; }
case_e_pt_02() { results r.h5; FILE=r.h5; hs infer r.h5 --base majority/7 --eval; }
case_e_pt_03() { results r.h5; FILE=r.h5; hs export r.h5 --base majority -o x.h5; }
case_e_pt_04() { results r.h5; FILE=r.h5; hs prune r.h5 --point 24; }
case_e_pt_05() { results r.h5 unlink /tasks; FILE=r.h5; hs prune r.h5 --point 0; }
case_e_pt_06() { results r.h5; FILE=r.h5; hs prune r.h5 --method michel --ratio 0.5; }
case_e_pt_07() { ckpt m.h5; FILE=m.h5; hs prune m.h5 --base majority/1 --method michel --ratio 0.5; }
case_e_pt_08() { results r.h5; hs prune r.h5 --point 3 --ratio 0.5; }
case_e_pt_09() { # the stored sweep text fine-tunes 6 steps instead of the 5 the rows had
    results r.h5
    "$TAMPER" r.h5 attr-str / sweep_text "$(sed 's/steps = 5;/steps = 6;/' "$FX/results/tiny.cfg")"
    FILE=r.h5
    hs prune r.h5 --point 3
}
case_e_pt_10() { results r.h5; FILE=r.h5; hs export r.h5 --point 7 -o x.h5; [ ! -e x.h5 ] || extra="x.h5 written; "; }
case_e_pt_11() { results r.h5; : >x.h5; OUT=x.h5; hs export r.h5 --point 3 -o x.h5; [ ! -s x.h5 ] || extra="x.h5 changed; "; }
case_e_pt_12() { results r.h5; hs export r.h5 -o x.h5; }
case_e_pt_13() { results r.h5; hs export r.h5 --point 3; }
case_e_pt_14() { ckpt m.h5; hs infer m.h5 --tokens 0 --batch 8; }

# === environment =====================================================================
case_e_env_01() { results r.h5; bare_path; hs_bare plot r.h5 -o figs; [ ! -e figs ] || extra="figs was created"; }
case_e_env_02() { results r.h5; bare_path; hs_bare report r.h5 -o r.html; }
case_e_env_03() { sweep 0 ''; bare_path; hs_bare submit sweep.cfg; }
case_e_env_04() {
    sweep 0 ''
    bare_path
    printf '#!/bin/sh\necho "sbatch: error: Batch job submission failed" >&2\nexit 1\n' >bin/sbatch
    chmod +x bin/sbatch
    FILE=$PWD/out.sbatch
    hs_bare submit sweep.cfg
}
case_e_env_05() { # the batch script on a node without mpirun (its log, dates blanked)
    sweep 0 ''
    "$HS" submit sweep.cfg --dry-run >job.sh 2>/dev/null
    bare_path
    ln -s "$(command -v date)" bin/date
    env PATH="$PATH_BARE" SLURM_JOB_ID=1 SLURM_NTASKS=2 SLURM_JOB_NODELIST=n1 /bin/sh job.sh >log 2>&1
    rc=$?
    sed 's/^\[headsweep-job [^]]*\]/[headsweep-job DATE]/' log >err
}
case_e_env_06() { crashed; bare_path; hs_bare run crash.cfg; cmp -s crash.h5 "$tmp/crash/crash.h5" || extra="crash.h5 changed"; }
case_e_env_07() {
    crashed
    bare_path
    printf '#!/bin/sh\nexit 1\n' >bin/h5clear
    chmod +x bin/h5clear
    hs_bare run crash.cfg
}
case_e_env_08() { results r.h5; "$HS" status r.h5 >/dev/full 2>err; rc=$?; }
case_e_env_09() { results r.h5; "$HS" query r.h5 >/dev/full 2>err; rc=$?; }
case_e_env_10() { sweep 14 'output = "/proc/no/such/out.h5";'; DIR=/proc/no; hs_mpi run sweep.cfg; }
case_e_env_11() { FILE=no/such/m.h5; hs train --steps 2 --log-every 0 --out no/such/m.h5; }
case_e_env_12() { sweep 0 ''; mkdir out.h5.lock; OUT=out.h5; hs_mpi run sweep.cfg; }

# === pretrained folders (Hugging Face) ================================================
# hf FIXTURE: ./d = a writable copy of tests/fixtures/pretrained/FIXTURE (DIR=d)
hf() { cp -r "$FX/pretrained/$1" d && chmod -R u+w d; DIR=d; }
SST="$FX/tasks/sst"
# nothing_written FILE...: extra is set when any of them exists
nothing_written() { for f in "$@"; do [ ! -e "$f" ] || extra="$extra$f was written; "; done; }
# hf_train [ARGS...]: train --pretrained d on the SST fixture; no x.h5 may appear
hf_train() {
    hs train --pretrained d --kind tsv --path "$SST" --max-len 16 --steps 1 --batch 4 --log-every 0 --out x.h5 "$@"
    nothing_written x.h5 x.h5.tmp
}
# hf_cfg STEPS: pre.cfg, a sweep of one SST task on model.pretrained = d (line 2)
hf_cfg() {
    cat >pre.cfg <<EOF
name = "p";
model = { pretrained = "d"; };
train = { steps = $1; batch = 4; };
tasks = ( { name = "sst"; kind = "tsv"; path = "$SST"; max_len = 16; } );
methods = ( { name = "random"; } );
ratios = [0.0];
output = "o.h5";
run = { latency_repeats = 1; };
EOF
    FILE=pre.cfg
}
hf_check() { hf_cfg "${1:-1}"; hs check pre.cfg; nothing_written o.h5; }
# hf_run: `run` is refused before the results file exists
hf_run() { hf_cfg "${1:-1}"; hs_mpi run pre.cfg; nothing_written o.h5 o.h5.tmp; }
# st_file JSON DATA_BYTES: d/model.safetensors = an 8-byte header length, JSON, zero bytes
st_file() {
    hlen=$(printf '%s' "$1" | wc -c) # (not n: tap.sh's counter)
    { printf "\\$(printf %03o $((hlen % 256)))\\$(printf %03o $((hlen / 256)))\\0\\0\\0\\0\\0\\0"; printf '%s' "$1"
      head -c "$2" /dev/zero; } >d/model.safetensors
}
# a results file of a sweep on bert-tiny (made once)
hf_results() {
    if [ ! -e "$tmp/hfres/o.h5" ]; then
        mkdir -p "$tmp/hfres" && (cd "$tmp/hfres" && hf bert-tiny && hf_cfg 2 &&
            env ASAN_OPTIONS=detect_leaks=0 "$HS" run pre.cfg >/dev/null 2>&1)
    fi
    cp -r "$tmp/hfres/d" "$tmp/hfres/pre.cfg" "$tmp/hfres/o.h5" .
}
edit() { sed -i "s/$2/$3/" "d/$1"; }
case_e_hf_01() { hf bert-tiny; rm d/config.json; hf_train; }
case_e_hf_02() { hf bert-tiny; rm d/model.safetensors; hf_run; }
case_e_hf_03() { hf bert-tiny; edit config.json '"hidden_size": 32,' '"hidden_size": 32,,'; hf_check; }
case_e_hf_04() { hf bert-tiny; edit config.json '"model_type": "bert"' '"model_type": "t5"'; hf_train; }
case_e_hf_05() { hf bert-tiny; edit config.json '"hidden_act": "gelu"' '"hidden_act": "silu"'; hf_check; }
case_e_hf_06() { hf gpt2-tiny; edit config.json '"gelu_new"' '"swish"'; hf_train; }
case_e_hf_07() { hf bert-tiny; printf 'extra1\nextra2\n' >>d/vocab.txt; hf_check; }
case_e_hf_08() { hf gpt2-tiny; edit vocab.json '"<|endoftext|>": 279' '"<|endoftext|>": 300'; hf_train; }
case_e_hf_09() { hf bert-tiny; edit config.json '"vocab_size": 64' '"vocab_size": 70'; hf_run; }
case_e_hf_10() { hf bert-tiny; edit config.json '"intermediate_size": 64' '"intermediate_size": 60'; hf_run; }
case_e_hf_11() { hf bert-tiny; edit model.safetensors 'layer.1.attention.self.key.weight' 'layer.1.attention.self.kex.weight'; hf_check; }
case_e_hf_12() { hf bert-tiny; edit model.safetensors '"bert.pooler.dense.bias":{"dtype":"F32"' '"bert.pooler.dense.bias":{"dtype":"I32"'; hf_train; }
case_e_hf_13() { hf bert-tiny; edit config.json '"problem_type"' '"pruned_heads": {"0": [1, 1]}, "problem_type"'; hf_check; }
case_e_hf_14() { hf bert-tiny; edit config.json '"2": "neutral",' ''; hf_run; }
case_e_hf_15() { hf bert-tiny; printf '\377\377\377\0\0\0\0\0' | dd of=d/model.safetensors conv=notrunc 2>/dev/null; hf_train; }
case_e_hf_16() { hf bert-tiny; printf '\010\0\0' >d/model.safetensors; hf_check; }
case_e_hf_17() { hf bert-tiny; st_file '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}' 12; hf_run; }
case_e_hf_18() { hf bert-tiny; st_file '{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}' 12; hf_train; }
case_e_hf_19() { hf bert-tiny; st_file '{"a":{"dtype":"F16","shape":[3,2],"data_offsets":[0,16]}}' 16; hf_check; }
case_e_hf_20() { hf bert-tiny; edit model.safetensors '"dtype":"F32"' '"dtype":"F42"'; hf_run; }
case_e_hf_21() { hf bert-tiny; st_file '{"a":{"shape":[1],"data_offsets":[0,4]}}' 4; hf_check; }
case_e_hf_22() { hf bert-tiny; st_file '[1, 2]' 0; hf_train; }
case_e_hf_23() { hf bert-tiny; st_file '{"__metadata__":{"format":1}}' 0; hf_run; }
case_e_hf_24() { # export into a folder that is not empty: the file in it stays as it was
    hf_results; mkdir ex; echo keep >ex/notes.txt; DIR=ex
    hs export o.h5 --base sst/1 -o ex
    [ "$(ls ex)" = notes.txt ] && [ "$(cat ex/notes.txt)" = keep ] || extra="ex changed"
}
case_e_hf_25() { hf gpt2-tiny; printf 'abc\n' >>d/merges.txt; hf_check; }
case_e_hf_26() { hf gpt2-tiny; edit vocab.json '"ā": 1,' '"ā": 0,'; hf_train; }
case_e_hf_27() { hf bert-tiny; edit vocab.txt '^\[UNK\]$' '[UNKNOWN]'; hf_check; }
case_e_hf_28() { hf bert-tiny; printf '{"model": {"type": "Unigram", "vocab": []}}\n' >d/tokenizer.json; hf_train; }
case_e_hf_29() { hf bert-tiny; hf_check 0; }
case_e_hf_30() { hf_results; rm d/config.json; FILE=o.h5 DIR=d; hs export o.h5 --base sst/1 -o ex; nothing_written ex; }
# the folder's first weight value rewritten in place (a re-fine-tune): the resume is refused, o.h5 untouched
case_e_hf_31() {
    hf_results
    hl=$(od -An -tu4 -N4 d/model.safetensors | tr -d ' ')
    printf '\001\002\003\004' | dd of=d/model.safetensors bs=1 seek=$((8 + hl)) conv=notrunc 2>/dev/null
    before=$(cksum <o.h5)
    FILE=pre.cfg OUT=o.h5 DIR=d
    hs_mpi run pre.cfg
    [ "$(cksum <o.h5)" = "$before" ] || extra="${extra}o.h5 changed; "
}

# === the runner =======================================================================
# rows: id <TAB> expected line <TAB> exit status, from the tables of $DOC
rows() {
    awk -F'\t' '
        /^\| `E-[A-Z]+-[0-9]+` \|/ {
            line = $0
            gsub(/\\\|/, "\001", line)              # an escaped | inside a cell
            n = split(line, c, "|")
            id = c[2]; msg = c[4]; st = c[5]
            gsub(/^ *`|` *$/, "", id)
            sub(/^ +/, "", msg); sub(/ +$/, "", msg)
            if (msg ~ /^`` /) { sub(/^`` /, "", msg); sub(/ ``$/, "", msg) }
            else { sub(/^`/, "", msg); sub(/`$/, "", msg) }
            gsub(/\001/, "|", msg)
            gsub(/ /, "", st)
            print id "\t" msg "\t" st
        }' "$DOC"
}

fn_of() { echo "case_$(echo "$1" | tr 'A-Z-' 'a-z_')"; }

# run_case ID: the case in a fresh folder; sets rc, extra, FILE, DIR, OUT, W
run_case() {
    W=$(mktemp -d "$tmp/case.XXXXXX")
    FILE='' DIR='' OUT='' extra='' rc=''
    cd "$W" || exit 1
    : >err
    "$(fn_of "$1")"
    cd "$top" || exit 1
}

if [ "${1:-}" = --show ]; then
    shift
    ids=$*
    [ -n "$ids" ] || ids=$(sed -n 's/^case_\(e_[a-z]*_[0-9]*\)() .*/\1/p' "$0" | tr 'a-z_' 'A-Z-')
    for id in $ids; do
        run_case "$id"
        printf '%s\texit %s\t%s\n' "$id" "$rc" "$(grep -v '^\[headsweep\]' "$W/err" | tail -n 3 | tr '\n' '~')"
    done
    exit 0
fi

[ -x "$TAMPER" ] || { echo "not ok 1 - $TAMPER is not built (make check builds it)"; echo "1..1"; exit 1; }
[ -r "$DOC" ] || { echo "not ok 1 - $DOC is missing"; echo "1..1"; exit 1; }
t0=$(date +%s)
tab=$(printf '\t')
rows >"$tmp/rows"
[ -s "$tmp/rows" ] && ok "docs/errors.md has $(wc -l <"$tmp/rows") catalogue rows" || notok "no catalogue rows in $DOC"
while IFS=$tab read -r id msg want; do
    fn=$(fn_of "$id")
    if ! type "$fn" >/dev/null 2>&1; then
        notok "$id: no case $fn in test_errors.sh (every row needs one)"
        continue
    fi
    run_case "$id"
    exp=$msg
    [ -n "$FILE" ] && exp=$(printf '%s' "$exp" | awk -v v="$FILE" '{ gsub(/<FILE>/, v); print }')
    [ -n "$DIR" ] && exp=$(printf '%s' "$exp" | awk -v v="$DIR" '{ gsub(/<DIR>/, v); print }')
    [ -n "$OUT" ] && exp=$(printf '%s' "$exp" | awk -v v="$OUT" '{ gsub(/<OUT>/, v); print }')
    if [ "$rc" = "$want" ] && grep -q -x -F -- "$exp" "$W/err" && [ -z "$extra" ]; then
        ok "$id: exit $rc, $exp"
    else
        notok "$id: want exit $want and the line: $exp"
        echo "#   got exit $rc${extra:+ ($extra)}, stderr:"
        head -c 600 "$W/err" | sed 's/^/#   /'
    fi
done <"$tmp/rows"
# the other way round: every case is a row
for fn in $(sed -n 's/^\(case_e_[a-z]*_[0-9]*\)() .*/\1/p' "$0"); do
    id=$(echo "${fn#case_}" | tr 'a-z_' 'A-Z-')
    grep -q "^$id$tab" "$tmp/rows" || notok "$fn has no row $id in docs/errors.md"
done
ok "the catalogue ran in $(($(date +%s) - t0)) s"
tap_done
