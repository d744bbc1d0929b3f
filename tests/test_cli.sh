#!/bin/sh
# test_cli.sh — the headsweep binary end to end: train → checkpoint → infer,
# and bad input (files, checkpoints, token ids, flags) giving a clear message
# and exit status 2. TAP output.
set -u
HS=${HEADSWEEP:-./headsweep}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }

# expect_fail STATUS PATTERN DESCRIPTION -- command...
expect_fail() {
    want=$1 pat=$2 desc=$3
    shift 4
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -eq "$want" ] && grep -q -- "$pat" "$tmp/err"; then
        ok "$desc (exit $rc)"
    else
        notok "$desc: exit $rc, stderr: $(head -c 300 "$tmp/err")"
    fi
}

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
expect_fail 2 "--steps 'ten'" "a non-numeric flag value" -- $HS train --steps ten --out "$tmp/x.h5"
expect_fail 2 "--heads 0: expected" "a flag value out of range" -- $HS train --heads 0 --out "$tmp/x.h5"
expect_fail 2 "d_model = 10: expected a multiple of heads = 4" "d-model not divisible by heads" -- $HS train --d-model 10 --heads 4 --out "$tmp/x.h5"
expect_fail 2 "unknown generator 'nosuch'" "an unknown synthetic generator" -- $HS train --task nosuch --out "$tmp/x.h5"
expect_fail 2 "--out FILE.h5 is required" "train without --out" -- $HS train
expect_fail 2 "exists; pass --force" "train refuses to overwrite a checkpoint" -- $HS train --out "$tmp/m.h5"
expect_fail 2 "unknown subcommand 'fly'" "an unknown subcommand" -- $HS fly
[ ! -e "$tmp/x.h5" ] && ok "no output file is left by failed runs" || notok "a failed run left $tmp/x.h5"

echo "1..$n"
[ "$fails" -eq 0 ]
