#!/bin/sh
# test_plot.sh — `headsweep plot` (TAP): the figures of the committed
# tests/fixtures/results/tiny.h5 exist as PNG (signature) and SVG (XML that
# parses), with their script and data; the script redraws them; a method has
# one colour in every figure; options; names that attack gnuplot (the issue's
# `"; system("touch /tmp/x") #`, quotes, backquotes, a newline) are drawn,
# not run; a missing gnuplot, a corrupt and a foreign file: exit 2.
# Without gnuplot (Debian gnuplot-nox) the drawing tests SKIP.
set -u
HS=${HEADSWEEP:-./headsweep}
FIX=${FIXTURES:-$(dirname "$0")/fixtures}
HOSTILE=${RESULTS_HOSTILE:-$(dirname "$HS")/tests/results_hostile}
R=$FIX/results/tiny.h5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"

is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
is_svg() {
    head -c 200 "$1" | grep -q '^<?xml' && grep -q '</svg>' "$1" || return 1
    if /usr/bin/python3 -c 'import xml.dom.minidom' 2>/dev/null; then
        /usr/bin/python3 -c 'import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); assert d.documentElement.tagName == "svg"' "$1" 2>/dev/null
    fi
}

# --- without gnuplot: a clear message naming the package (runs everywhere) ---------
mkdir "$tmp/nobin"
expect_fail 2 "gnuplot is not installed.*gnuplot-nox" "plot with no gnuplot on PATH" -- \
    env PATH="$tmp/nobin" "$HS" plot "$R" -o "$tmp/none"
[ ! -e "$tmp/none" ] && ok "nothing is written without gnuplot" || notok "$tmp/none was created"
expect_fail 2 "gnuplot is not installed.*gnuplot-nox.*--no-plots" "report with no gnuplot on PATH" -- \
    env PATH="$tmp/nobin" "$HS" report "$R" -o "$tmp/none.html"

# --- bad input (before gnuplot matters) -----------------------------------------------
expect_fail 2 "\-o DIR is required" "plot without -o" -- "$HS" plot "$R"
expect_fail 2 "\-\-band 'wide': expected minmax or std" "bad --band" -- "$HS" plot "$R" -o "$tmp/x" --band wide
expect_fail 2 "\-\-format 'pdf': expected png, svg or png,svg" "bad --format" -- "$HS" plot "$R" -o "$tmp/x" --format pdf
expect_fail 2 "\-\-ratios 2: expected a number in 0..1" "bad --ratios" -- "$HS" plot "$R" -o "$tmp/x" --ratios 0.5,2

if ! command -v gnuplot >/dev/null 2>&1; then
    skip "gnuplot is not installed (Debian package gnuplot-nox; scripts/setup installs it): no figures drawn"
    echo "1..$n"
    [ $fails -eq 0 ]
    exit
fi

cp "$R" "$tmp/trunc.h5"
truncate -s $(($(wc -c <"$R") / 2)) "$tmp/trunc.h5"
expect_fail 2 "damaged" "a truncated results file" -- "$HS" plot "$tmp/trunc.h5" -o "$tmp/t"
expect_fail 2 "is not a headsweep results file" "a foreign HDF5 file" -- "$HS" plot "$FIX/ref_cls.h5" -o "$tmp/t"

# --- the figures of tiny.h5 ---------------------------------------------------------
D=$tmp/plots
if "$HS" plot "$R" -o "$D" >"$tmp/plot.out" 2>"$tmp/plot.err"; then
    ok "plot tiny.h5 -o DIR exits 0"
else
    notok "plot tiny.h5: $(cat "$tmp/plot.err")"
fi
figs="tradeoff_majority tradeoff_copy tradeoff_finetuned_majority tradeoff_finetuned_copy
      heads_majority_random heads_majority_michel-iter heads_copy_random heads_copy_michel-iter
      curve_majority curve_copy"
missing=""
for f in $figs; do
    is_png "$D/$f.png" || missing="$missing $f.png"
    is_svg "$D/$f.svg" || missing="$missing $f.svg"
    [ -s "$D/data/$f.dat" ] || missing="$missing data/$f.dat"
done
[ -z "$missing" ] && ok "every figure is a PNG (signature) and an SVG (parses as XML), with its data" \
    || notok "missing or broken:$missing"
# no figure beyond those: a random method records no path, so no curve for it alone
count=$(ls "$D"/*.png | wc -l)
[ "$count" -eq 10 ] && ok "10 figures (PNG)" || notok "$count PNG figures, expected 10: $(ls "$D")"
grep -q "^wrote $D/tradeoff_majority.png and .svg" "$tmp/plot.out" && ok "plot lists what it wrote" \
    || notok "plot output: $(head -3 "$tmp/plot.out")"
[ -s "$D/plots.gp" ] && grep -q "redraw: cd into this folder" "$D/plots.gp" && ok "the script is kept (plots.gp)" \
    || notok "no plots.gp"

# the base model is a reference line; axis labels; legend titles are the methods
grep -q "title 'base model (" "$D/plots.gp" && grep -q "set xlabel 'fraction of heads pruned" "$D/plots.gp" \
    && grep -q "set ylabel 'accuracy (test split)'" "$D/plots.gp" && grep -q "title 'michel-iter'" "$D/plots.gp" \
    && ok "trade-off: base-model line, axis labels, methods in the legend" || notok "trade-off script lacks labels"

# one colour per method in every figure
c1=$(grep "title 'random'" "$D/plots.gp" | sed -n "s/.*lc rgb '\(#[0-9a-f]*\)'.*/\1/p" | sort -u)
c2=$(grep "title 'michel-iter" "$D/plots.gp" | sed -n "s/.*lc rgb '\(#[0-9a-f]*\)'.*/\1/p" | sort -u)
if [ "$(echo "$c1" | wc -l)" -eq 1 ] && [ "$(echo "$c2" | wc -l)" -eq 1 ] && [ -n "$c1" ] && [ "$c1" != "$c2" ]; then
    ok "a method keeps its colour in every figure (random $c1, michel-iter $c2)"
else
    notok "colours: random [$c1], michel-iter [$c2]"
fi

# the kept script redraws the same figures
rm -f "$D"/*.png "$D"/*.svg
if (cd "$D" && gnuplot plots.gp) >/dev/null 2>&1 && is_png "$D/heads_copy_random.png" && is_svg "$D/curve_copy.svg"; then
    ok "cd DIR && gnuplot plots.gp redraws the figures"
else
    notok "redrawing from plots.gp failed"
fi

# options
if "$HS" plot "$R" -o "$tmp/p2" --band std --x measured --ratios 0.5 --format png >/dev/null 2>"$tmp/err" \
   && is_png "$tmp/p2/tradeoff_copy.png" && [ ! -e "$tmp/p2/tradeoff_copy.svg" ] \
   && grep -q "band: mean +/- std" "$tmp/p2/plots.gp" && grep -q "measured: 1 - heads_kept" "$tmp/p2/plots.gp" \
   && [ "$(grep -c "title 'ratio " "$tmp/p2/plots.gp")" -eq 4 ]; then
    ok "--band std --x measured --ratios 0.5 --format png"
else
    notok "plot options: $(cat "$tmp/err")"
fi

# --- names that attack gnuplot: drawn, not run ---------------------------------------------
if [ -x "$HOSTILE" ]; then
    "$HOSTILE" "$tmp/hostile.h5" >"$tmp/names" 2>&1 || notok "results_hostile: $(cat "$tmp/names")"
    # the issue's example writes /tmp/x if run: it must not appear (or change, if it exists)
    before=$(stat -c %Y /tmp/x 2>/dev/null || echo none)
    H=$tmp/hostile
    (cd "$tmp" && "$HS" plot "$tmp/hostile.h5" -o "$H" >"$tmp/hplot.out" 2>"$tmp/hplot.err")
    rc=$?
    after=$(stat -c %Y /tmp/x 2>/dev/null || echo none)
    [ $rc -eq 0 ] && ok "a results file with hostile names is plotted (exit 0)" \
        || notok "plot of the hostile file: exit $rc: $(cat "$tmp/hplot.err")"
    ran=$(find "$tmp" -name 'pwned*' -o -name p3 | head -3)
    if [ "$before" = "$after" ] && [ -z "$ran" ]; then
        ok "no command in a name ran (no /tmp/x, no pwned* files)"
    else
        notok "a command ran: /tmp/x $before -> $after; $ran"
    fi
    pngs=$(ls "$H"/*.png 2>/dev/null | wc -l)
    [ "$pngs" -ge 6 ] && ok "the hostile names' figures are drawn ($pngs PNGs)" || notok "only $pngs PNGs: $(ls "$H")"
    # the titles carry the text itself (single-quoted; the newline as ?)
    if grep -qF '"; system("touch /tmp/x") #' "$H"/*.svg && grep -qF "'; system('touch pwned1') #" "$H"/*.svg \
       && grep -qF "a?system('touch pwned4')" "$H"/*.svg && grep -qF '`touch pwned2` @M $(touch p3)' "$H"/*.svg \
       && grep -qF '&lt;img src=x onerror=alert(1)>' "$H"/*.svg; then
        ok "the names are shown as text in the figures"
    else
        notok "names not found in the SVGs"
    fi
    # file names are reduced to safe characters
    bad=$(ls "$H" | grep -v '^[A-Za-z0-9._-]*$' || true)
    [ -z "$bad" ] && ok "file names hold only [A-Za-z0-9._-]" || notok "unsafe file names: $bad"
else
    skip "results_hostile helper not built"
fi

tap_done
