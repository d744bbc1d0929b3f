#!/bin/sh
# test_cli.sh — the headsweep binary end to end: train → checkpoint → infer,
# and bad input (files, checkpoints, token ids, flags) giving a clear message
# and exit status 2. TAP output.
set -u
HS=${HEADSWEEP:-./headsweep}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"

# --- the happy path ---------------------------------------------------------
if $HS train --task majority --seq-len 8 --steps 30 --batch 8 --d-model 16 --heads 2 \
        --layers 1 --out "$tmp/m.h5" --log-every 0 >"$tmp/train.out" 2>&1 \
   && grep -q "wrote $tmp/m.h5:/model" "$tmp/train.out"; then
    ok "train writes a checkpoint"
else
    notok "train writes a checkpoint: $(cat "$tmp/train.out")"
fi
if $HS infer "$tmp/m.h5" --tokens "0 3 4 4 5" >"$tmp/infer.out" 2>&1 \
   && [ "$(wc -l <"$tmp/infer.out")" -eq 1 ] && [ "$(awk -F'\t' '{print NF}' "$tmp/infer.out")" -eq 6 ]; then
    ok "infer prints one row (position 0) with 4 logits for a classifier"
else
    notok "infer on a classifier: $(cat "$tmp/infer.out")"
fi
printf '# a comment\n0 3 4\n\n0,5,5,5\n' >"$tmp/seqs.txt"
if $HS infer "$tmp/m.h5" --file "$tmp/seqs.txt" >"$tmp/infer2.out" 2>&1 \
   && [ "$(cut -f1 "$tmp/infer2.out" | tr '\n' ' ')" = "0 1 " ]; then
    ok "infer --file reads one sequence per line"
else
    notok "infer --file: $(cat "$tmp/infer2.out")"
fi
$HS train --task copy --seq-len 8 --steps 5 --batch 4 --d-model 8 --heads 2 --layers 1 \
    --out "$tmp/lm.h5" --log-every 0 >/dev/null 2>&1
if $HS infer "$tmp/lm.h5" --tokens "0 3 4 2 3" >"$tmp/lm.out" 2>&1 \
   && [ "$(wc -l <"$tmp/lm.out")" -eq 5 ]; then
    ok "infer prints one row per position for a language model"
else
    notok "infer on a language model: $(cat "$tmp/lm.out")"
fi
if $HS --version | grep -q '^headsweep [0-9]'; then ok "--version"; else notok "--version"; fi
for c in train infer; do
    if $HS $c --help | grep -q "usage: headsweep $c"; then ok "$c --help"; else notok "$c --help"; fi
done

# --- prune: one point by hand ------------------------------------------------------
if $HS prune "$tmp/m.h5" --method michel --ratio 0.5 --latency-repeats 1 >"$tmp/prune.out" 2>&1 \
   && grep -q "heads kept 1 of 2" "$tmp/prune.out" && grep -q "^accuracy: base" "$tmp/prune.out"; then
    ok "prune runs michel on a trained checkpoint"
else
    notok "prune: $(cat "$tmp/prune.out")"
fi
# Methods III: BitFit fine-tuning with int8 QAT, and accdrop's count of improving removals
if $HS prune "$tmp/m.h5" --method accdrop --ratio 0.5 --finetune 5 --finetune-params bias --quantize int8 \
       --latency-repeats 0 >"$tmp/prune3.out" 2>&1 \
   && grep -q "^int8 model: accuracy [0-9.]*  size [0-9]* bytes" "$tmp/prune3.out" \
   && grep -q "^removals that improved the prune-split accuracy: [0-9]" "$tmp/prune3.out"; then
    ok "prune --finetune-params bias --quantize int8 with accdrop prints the int8 model and the improving removals"
else
    notok "prune accdrop / int8: $(cat "$tmp/prune3.out")"
fi
expect_fail 2 "unknown method 'nosuch' (valid: random, magnitude, michel" "prune with an unknown method" -- $HS prune "$tmp/m.h5" --method nosuch --ratio 0.5
expect_fail 2 "has no setting 'normalise' (valid: normalize" "prune with an unknown method setting" -- $HS prune "$tmp/m.h5" --method michel --ratio 0.5 --set normalise=true
expect_fail 2 "setting step_fraction 5: expected a number in 0.001..1" "prune with a setting out of range" -- $HS prune "$tmp/m.h5" --method michel --ratio 0.5 --set step_fraction=5
expect_fail 2 "--ratio 1: expected a number in 0..0.999999" "prune with ratio 1" -- $HS prune "$tmp/m.h5" --method random --ratio 1
expect_fail 2 "does not name its task" "prune on a checkpoint without task attributes" -- $HS prune "$FIXTURES/ref_cls.h5" --method random --ratio 0.5

# --- bad input ----------------------------------------------------------------
expect_fail 2 "cannot open $tmp/nope.h5" "infer on a missing file" -- $HS infer "$tmp/nope.h5" --tokens 0
echo "not hdf5" >"$tmp/text.h5"
expect_fail 2 "is not an HDF5 file" "infer on a foreign (non-HDF5) file" -- $HS infer "$tmp/text.h5" --tokens 0
expect_fail 2 "no checkpoint group /other" "infer with a missing group" -- $HS infer "$tmp/m.h5" --group /other --tokens 0
expect_fail 2 "token id 99 out of range" "a token id out of range" -- $HS infer "$tmp/m.h5" --tokens "0 99"
expect_fail 2 "token id -1 out of range" "a negative token id" -- $HS infer "$tmp/m.h5" --tokens "0 -1"
expect_fail 2 "'x3' is not a token id" "a token that is not a number" -- $HS infer "$tmp/m.h5" --tokens "0 x3"
expect_fail 2 "more than 8 token ids" "a sequence longer than seq_len" -- $HS infer "$tmp/m.h5" --tokens "0 3 3 3 3 3 3 3 3"
printf '0 3\n0 3 zz\n' >"$tmp/bad.txt"
expect_fail 2 "bad.txt line 2" "a bad line in --file names the line" -- $HS infer "$tmp/m.h5" --file "$tmp/bad.txt"
expect_fail 2 "give exactly one of --tokens or --file" "infer without tokens" -- $HS infer "$tmp/m.h5"
expect_fail 2 "unknown or incomplete option '--frobnicate'" "an unknown flag" -- $HS train --frobnicate --out "$tmp/x.h5"
expect_fail 2 "^headsweep: error: export: unknown or incomplete option '--frobnicate' (see headsweep export --help)$" \
    "export words an unknown flag as every subcommand does (E-CLI-03)" -- $HS export "$tmp/m.h5" --frobnicate
expect_fail 2 "^headsweep: error: export: unknown or incomplete option '--point' (see headsweep export --help)$" \
    "... and a flag without its value" -- $HS export "$tmp/m.h5" --point
expect_fail 2 "--steps 'ten'" "a non-numeric flag value" -- $HS train --steps ten --out "$tmp/x.h5"
expect_fail 2 "--heads 0: expected" "a flag value out of range" -- $HS train --heads 0 --out "$tmp/x.h5"
expect_fail 2 "d_model = 10: expected a multiple of heads = 4" "d-model not divisible by heads" -- $HS train --d-model 10 --heads 4 --out "$tmp/x.h5"
expect_fail 2 "unknown generator 'nosuch'" "an unknown synthetic generator" -- $HS train --task nosuch --out "$tmp/x.h5"
expect_fail 2 "--out FILE.h5 is required" "train without --out" -- $HS train
expect_fail 2 "exists; pass --force" "train refuses to overwrite a checkpoint" -- $HS train --out "$tmp/m.h5"
expect_fail 2 "unknown subcommand 'fly'" "an unknown subcommand" -- $HS fly
# --- images
expect_fail 2 "missing file $tmp/train-images-idx3-ubyte" "images: a folder without IDX files names the file" -- $HS train --kind images --path "$tmp" --out "$tmp/x.h5"
expect_fail 2 "cannot open the folder $tmp/no-images" "images: a missing folder" -- $HS train --kind images --path "$tmp/no-images" --out "$tmp/x.h5"
expect_fail 2 "bad-magic/train-images-idx3-ubyte: magic 0x00000801 at offset 0" "images: a wrong magic names the file" -- $HS train --kind images --path "${FIXTURES:-tests/fixtures}/images/bad-magic" --out "$tmp/x.h5"
expect_fail 2 "patch 3 does not divide the 8x8 images" "images: a patch that does not divide the image" -- $HS train --kind images --path "${FIXTURES:-tests/fixtures}/images/gz" --patch 3 --out "$tmp/x.h5"
# --- tsv / lm data files
fx=${FIXTURES:-tests/fixtures}/tasks
expect_fail 2 "bad_nolabel/train.tsv line 4: missing label" "tsv: a row without a label" -- $HS train --kind tsv --path "$fx/bad_nolabel" --out "$tmp/x.h5"
expect_fail 2 "bad_devlabel/dev.tsv line 3: label 'maybe' is not one of 0, 1" "tsv: a dev label unseen in training" -- $HS train --kind tsv --path "$fx/bad_devlabel" --out "$tmp/x.h5"
expect_fail 2 "bad_notext/train.tsv line 3: no text" "tsv: a row with no text" -- $HS train --kind tsv --path "$fx/bad_notext" --out "$tmp/x.h5"
expect_fail 2 "bad_fields/train.tsv line 5: 3 fields, expected 2" "tsv: a row with too many fields" -- $HS train --kind tsv --path "$fx/bad_fields" --out "$tmp/x.h5"
expect_fail 2 "bad_empty/train.tsv: empty file" "tsv: an empty train.tsv" -- $HS train --kind tsv --path "$fx/bad_empty" --out "$tmp/x.h5"
expect_fail 2 "bad_nodev/dev.tsv: cannot open" "tsv: a folder without dev.tsv" -- $HS train --kind tsv --path "$fx/bad_nodev" --out "$tmp/x.h5"
expect_fail 2 "tokenizer 'bpe': expected byte, word or pretrained" "tsv: an unknown tokenizer" -- $HS train --kind tsv --path "$fx/sst" --tokenizer bpe --out "$tmp/x.h5"
expect_fail 2 "lm_short.txt: 10 bytes is too short for seq_len 128" "lm: a file too short for one window per split" -- $HS train --kind lm --path "$fx/lm_short.txt" --out "$tmp/x.h5"
expect_fail 2 "empty.txt: empty file" "lm: an empty file" -- $HS train --kind lm --path "$fx/empty.txt" --out "$tmp/x.h5"
expect_fail 2 "nosuch.txt: cannot open" "lm: a missing file" -- $HS train --kind lm --path "$fx/nosuch.txt" --out "$tmp/x.h5"
[ ! -e "$tmp/x.h5" ] && ok "no output file is left by failed runs" || notok "a failed run left $tmp/x.h5"

tap_done
