#!/bin/sh
# test_pretrained_sweep.sh — a sweep on a pretrained model end to end (TAP):
# a BERT-mini-sized Hugging Face folder (L 4, d 256, H 4, F 1024; written by
# tests/make_hf_bert in the published layout) fine-tuned on a small TSV task
# under mpirun -np 2, pruned by six methods (the small variant of
# sweeps/bert-michel.cfg); 1 and 2 ranks give the same results; export of the
# base model and of pruned points as Hugging Face folders, read back by
# `train --pretrained DIR --steps 0`; a point re-run by `prune --point`; bad
# settings refused with exit 2.
set -u
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" # Open MPI's plugins (see test_run.sh)
HS=${HEADSWEEP:-./headsweep}
CMP=${RESULTS_CMP:-./tests/results_cmp}
MK=${MAKE_HF_BERT:-./tests/make_hf_bert}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
MPIRUN="mpirun --oversubscribe --bind-to none"
tmp=$(mktemp -d)
trap 'pkill -9 -f "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
sst="$(cd "$(dirname "$0")" && pwd)/fixtures/tasks/sst"

check "make_hf_bert writes a BERT-mini folder" "$MK $tmp/bm 4 256 4 1024 $sst >/dev/null"
sweep() { # NAME OUTPUT
    cat >"$tmp/$1.cfg" <<CFG
name = "$1";
output = "$2";
seeds = [1];
model = { pretrained = "$tmp/bm"; };
train = { steps = 20; lr = 1e-3; warmup = 2; batch = 8; };
tasks = ( { name = "sst"; kind = "tsv"; path = "$sst"; tokenizer = "pretrained"; max_len = 32; } );
methods = ( { name = "random"; }, { name = "magnitude"; }, { name = "michel"; },
            { name = "michel"; label = "michel-iter"; reestimate = true; step_fraction = 0.25; },
            { name = "l0"; steps = 20; train_model = false; }, { name = "layerdrop"; } );
ratios = [0.0, 0.5, 0.9];
finetune = { steps = 0; };
run = { batch = 16; latency_repeats = 1; };
CFG
}
sweep bm "$tmp/bm2.h5"
check "check reads the folder's shape and estimates the cost" \
    "$HS check $tmp/bm.cfg >$tmp/check.out 2>&1 && grep -q 'total' $tmp/check.out"
check "run -np 2: 18 points done" \
    "$MPIRUN -np 2 $HS run $tmp/bm.cfg >$tmp/run.out 2>&1 && grep -q 'finished: 18 done, 0 failed' $tmp/run.out"
sweep bm "$tmp/bm1.h5"
check "run -np 1 gives the same results as -np 2" \
    "$MPIRUN -np 1 $HS run $tmp/bm.cfg >/dev/null 2>&1 && $CMP $tmp/bm1.h5 $tmp/bm2.h5 >$tmp/cmp.out 2>&1"

# provenance (docs/results-format.md): the libraries at the root, the checkpoint in /tasks/sst;
# the header digest recomputed here from the file's own first 8 + N bytes with sha256sum
attrs() { # GROUP: "name<TAB>value" per attribute of GROUP in bm2.h5
    h5dump -A -g "$1" "$tmp/bm2.h5" 2>/dev/null | awk '/^ *GROUP "/ { depth++ } /ATTRIBUTE "/ { a = $2; gsub(/"/, "", a) }
        /^ *\(0\): / && depth == 1 { v = $0; sub(/^ *\(0\): /, "", v); gsub(/^"|"$/, "", v); print a "\t" v }'
}
attrs /tasks/sst >"$tmp/task.attrs"
attrs / | grep -v '^sweep_text' >"$tmp/root.attrs"
val() { awk -F'\t' -v k="$2" '$1 == k { print $2 }' "$1"; }
st="$tmp/bm/model.safetensors"
hlen=$(od -An -tu8 -N8 "$st" | tr -d ' ')
hsum=$(head -c $((8 + hlen)) "$st" | sha256sum | cut -d' ' -f1)
check "root records headsweep's version (with the git revision, as --version names it) and HDF5, OpenBLAS, MPI, libconfig, utf8proc, zlib" \
    "[ \"headsweep \$(val $tmp/root.attrs tool_version)\" = \"\$($HS --version)\" ] && val $tmp/root.attrs hdf5_version | grep -qx '[0-9]*\\.[0-9]*\\.[0-9]*' &&
     val $tmp/root.attrs openblas_version | grep -q '^OpenBLAS ' && val $tmp/root.attrs mpi_version | grep -q 'MPI' &&
     [ -n \"\$(val $tmp/root.attrs libconfig_version)\" ] && [ -n \"\$(val $tmp/root.attrs utf8proc_version)\" ] &&
     [ -n \"\$(val $tmp/root.attrs zlib_version)\" ]"
got=$(for k in pretrained pretrained_abspath pretrained_model_type pretrained_architectures pretrained_transformers_version \
    pretrained_torch_dtype pretrained_vocab_size pretrained_weights_file pretrained_weights_bytes \
    pretrained_weights_header_sha256; do printf '%s=%s;' $k "$(val "$tmp/task.attrs" $k)"; done)
want="pretrained=$tmp/bm;pretrained_abspath=$(cd "$tmp/bm" && pwd -P);pretrained_model_type=bert;pretrained_architectures=BertForMaskedLM;pretrained_transformers_version=4.36.2;pretrained_torch_dtype=unknown;pretrained_vocab_size=$(wc -l <"$tmp/bm/vocab.txt");pretrained_weights_file=model.safetensors;pretrained_weights_bytes=$(wc -c <"$st");pretrained_weights_header_sha256=$hsum;"
check "/tasks/sst records the checkpoint: folder, config.json's model_type, architectures, transformers_version, torch_dtype (absent: unknown), vocab size, weights size and header sha256" \
    "[ '$got' = '$want' ] || { echo '# got  $got'; echo '# want $want'; false; }"
# the sample digest (hf_model.h), recomputed with dd: the header, then 256 blocks
# of 4 KiB evenly spaced over the data
dlen=$(($(wc -c <"$st") - 8 - hlen))
step=$(((dlen - 4096) / 255))
ssum=$({ head -c $((8 + hlen)) "$st"; b=0; while [ $b -lt 256 ]; do
    dd if="$st" bs=4096 iflag=skip_bytes,count_bytes skip=$((8 + hlen + b * step)) count=4096 2>/dev/null; b=$((b + 1)); done; } |
    sha256sum | cut -d' ' -f1)
check "/tasks/sst records the sample digest of the weights (256 blocks of 4 KiB over $dlen bytes)" \
    "[ \"\$(val $tmp/task.attrs pretrained_weights_sample_sha256)\" = $ssum ]"

# export: the base model, a michel point (heads removed), a layerdrop point (layers removed)
check "export --base writes config.json, model.safetensors, vocab.txt" \
    "$HS export $tmp/bm2.h5 --base sst/1 -o $tmp/exb >/dev/null && test -s $tmp/exb/model.safetensors && test -s $tmp/exb/vocab.txt"
pts=$($HS query "$tmp/bm2.h5" --where method=michel --where ratio=0.5 --columns id --format csv 2>/dev/null | tail -1 | tr -d " \r")
check "export --point (michel, 0.5) records pruned_heads" \
    "$HS export $tmp/bm2.h5 --point $pts -o $tmp/exp >/dev/null && grep -q '\"pruned_heads\": {' $tmp/exp/config.json"
check "prune --point (michel, 0.5) re-runs the pretrained sweep's row bit for bit (the folder's tokenizer, the stored base)" \
    "$HS prune $tmp/bm2.h5 --point $pts >$tmp/rerun.out 2>&1 && grep -q '^same as the stored row, bit for bit' $tmp/rerun.out"
ld=$($HS query "$tmp/bm2.h5" --where method=layerdrop --where ratio=0.5 --columns id --format csv 2>/dev/null | tail -1 | tr -d " \r")
check "export --point (layerdrop, 0.5) leaves the dropped layers out" \
    "$HS export $tmp/bm2.h5 --point $ld -o $tmp/exl >/dev/null && grep -q '\"num_hidden_layers\": 2' $tmp/exl/config.json"
# the exported base model, read back with its own head, scores the base job's loss
# (the last record's numbers end with loss, then ranks: docs/results-format.md)
base_loss=$(h5dump -d /base_jobs -m %.9g "$tmp/bm2.h5" 2>/dev/null | sed -n 's/^ *\([0-9.e+-]*\),\{0,1\}$/\1/p' | tail -2 | head -1)
$HS train --pretrained "$tmp/exb" --kind tsv --path "$sst" --max-len 32 --steps 0 --out "$tmp/rb.h5" >"$tmp/rb.out" 2>&1
got=$(sed -n 's/.*loss \([0-9.]*\) .*/\1/p' "$tmp/rb.out" | tail -1)
check "exported base read back: test loss $got = base job's $base_loss (1e-5)" \
    "[ -n '$got' ] && [ -n '$base_loss' ] && awk 'BEGIN { d = $got - $base_loss; exit !(d < 1e-5 && d > -1e-5) }'"
expect_fail 2 "not empty" "export refuses a non-empty folder" -- $HS export "$tmp/bm2.h5" --base sst/1 -o "$tmp/exb"

# resume: the same folder resumes; a folder re-fine-tuned in place (block 100's
# values rewritten, same size and header) is refused and the file left alone
check "a second run on the unchanged folder resumes (exit 0)" \
    "$HS run $tmp/bm.cfg >$tmp/re.out 2>&1 && grep -q 'resuming' $tmp/re.out"
sum1=$(cksum <"$tmp/bm1.h5")
head -c 4096 /dev/urandom | dd of="$st" bs=1 seek=$((8 + hlen + 100 * step)) conv=notrunc 2>/dev/null
expect_fail 2 "pretrained_weights_sample_sha256: stored $ssum, now" "a resume after the weights changed in place" -- \
    $HS run "$tmp/bm.cfg"
check "... leaves the results file as it was" "[ \"\$(cksum <$tmp/bm1.h5)\" = '$sum1' ]"

# bad settings
printf 'name="x"; model = { pretrained = "%s"; d_model = 64; };\ntasks = ( { name = "t"; kind = "tsv"; path = "%s"; } );\nmethods = ( { name = "random"; } );\nratios = [0.0];\n' "$tmp/bm" "$sst" >"$tmp/bad1.cfg"
expect_fail 2 "the shape of a pretrained model comes from" "pretrained + d_model" -- $HS check "$tmp/bad1.cfg"
printf 'name="x"; model = { pretrained = "%s/none"; };\ntasks = ( { name = "t"; kind = "tsv"; path = "%s"; } );\nmethods = ( { name = "random"; } );\nratios = [0.0];\n' "$tmp" "$sst" >"$tmp/bad2.cfg"
expect_fail 2 "config.json" "a folder without config.json" -- $HS check "$tmp/bad2.cfg"
printf 'name="x"; model = { pretrained = "%s"; };\ntasks = ( { name = "t"; kind = "tsv"; path = "%s"; tokenizer = "byte"; } );\nmethods = ( { name = "random"; } );\nratios = [0.0];\n' "$tmp/bm" "$sst" >"$tmp/bad3.cfg"
expect_fail 2 "expected tokenizer = \"pretrained\"" "byte tokens on a pretrained model" -- $HS check "$tmp/bad3.cfg"
expect_fail 2 "the shape comes from its config.json" "train --pretrained with --d-model" -- $HS train --pretrained "$tmp/bm" --kind tsv --path "$sst" --d-model 64 --out "$tmp/x.h5"
tap_done
