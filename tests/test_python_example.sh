#!/bin/sh
# test_python_example.sh — examples/read_results.py (h5py + pandas +
# matplotlib, Debian's /usr/bin/python3) on the committed
# tests/fixtures/results/tiny.h5 (TAP): it loads /points, joins the masks,
# prints the same means as `headsweep query --group-by` and draws a PNG; a
# foreign file is refused. SKIP, with the reason, when /usr/bin/python3 or
# one of its modules is missing.
set -u
HS=${HEADSWEEP:-./headsweep}
FIX=${FIXTURES:-$(dirname "$0")/fixtures}
EX=$FIX/../../examples/read_results.py
R=$FIX/results/tiny.h5
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"

why=""
if [ ! -x $PY ]; then
    why="$PY is missing (Debian package python3)"
else
    for m in h5py pandas matplotlib; do
        $PY -c "import $m" 2>/dev/null || why="${why:+$why; }$PY cannot import $m (Debian package python3-$m)"
    done
fi
if [ -n "$why" ]; then
    echo "ok 1 # SKIP $why"
    echo "1..1"
    exit 0
fi

if (cd "$tmp" && MPLCONFIGDIR=$tmp $PY "$EX" "$R" -o "$tmp/t.png" >"$tmp/out" 2>"$tmp/err"); then
    ok "read_results.py tiny.h5 -o t.png exits 0"
else
    notok "read_results.py: $(tail -5 "$tmp/err")"
fi
check "it writes a PNG" "[ \"\$(head -c 8 '$tmp/t.png' | od -An -tx1 | tr -d ' \n')\" = 89504e470d0a1a0a ]"
check "/points: 24 rows, status decoded" "grep -q 'tiny.h5: 24 points done 23, failed 1' '$tmp/out'"
check "masks joined: 23 done points x 4 heads" "grep -q 'masks joined: 92 (point, head) rows' '$tmp/out'"
# the same numbers as headsweep query (majority, random, ratio 0.5: mean 0.664062, std 0.386699)
q=$("$HS" query "$R" --where task=majority --where method=random --where ratio=0.5 --group-by method \
     --columns metric_pruned --format csv | tail -1 | tr -d '\r')
check "pandas' mean and std equal headsweep query's ($q)" \
    "grep -q '^ *random   0.50 0.664062 0.386699 0.390625 0.937500      2' '$tmp/out' \
     && [ '$q' = 'random,0.6640625,0.3866990209613932,0.390625,0.9375,2' ]"
check "survival per head at the largest ratio" "grep -q 'fraction of seeds that kept each head at ratio 0.5' '$tmp/out'"
if (cd "$tmp" && MPLCONFIGDIR=$tmp $PY "$EX" "$R" --task copy --metric metric_finetuned -o "$tmp/c.png" >/dev/null 2>&1) \
   && [ -s "$tmp/c.png" ]; then
    ok "--task copy --metric metric_finetuned"
else
    notok "--task copy --metric metric_finetuned"
fi
(cd "$tmp" && MPLCONFIGDIR=$tmp $PY "$EX" "$FIX/ref_cls.h5" -o "$tmp/x.png" >/dev/null 2>"$tmp/err")
check "a foreign HDF5 file is refused with a message" "[ $? -ne 0 ] && grep -q 'is not a headsweep results file' '$tmp/err'"

tap_done
