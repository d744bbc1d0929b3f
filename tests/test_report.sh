#!/bin/sh
# test_report.sh — `headsweep report` (TAP): the page for the committed
# tests/fixtures/results/tiny.h5 is self-contained (every figure a base64
# data: URI that decodes to the PNG gnuplot drew), holds the provenance,
# counts, the failure with its message, per task figures, a summary and every
# point's row with the commands that re-run and export it; names
# and messages from the data are HTML-escaped (a results file whose names are
# HTML and script); and headless Chromium (Debian chromium) renders it with
# every image loaded. Without gnuplot the figure tests SKIP; without a
# Chromium that runs, the rendering tests SKIP with the reason — never pass.
set -u
HS=${HEADSWEEP:-./headsweep}
FIX=${FIXTURES:-$(dirname "$0")/fixtures}
HOSTILE=${RESULTS_HOSTILE:-$(dirname "$HS")/tests/results_hostile}
R=$FIX/results/tiny.h5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"

# --- tables only: needs no gnuplot --------------------------------------------------
mkdir "$tmp/nobin"
if env PATH="$tmp/nobin" "$HS" report "$R" -o "$tmp/tables.html" --no-plots >"$tmp/out" 2>&1; then
    ok "report --no-plots runs without gnuplot"
else
    notok "report --no-plots: $(cat "$tmp/out")"
fi
P=$tmp/tables.html
check "it is one HTML page" "head -1 '$P' | grep -q '<!DOCTYPE html>' && tail -1 '$P' | grep -q '</html>'"
check "provenance: the sweep file's text, path, versions, dates, hosts" \
    "grep -q 'name   = &quot;tiny&quot;;' '$P' && grep -q '<th>sweep file</th><td>tiny.cfg' '$P' \
     && grep -q '<th>written by</th><td>headsweep 0' '$P' && grep -q '<th>this report by</th><td>headsweep ' '$P' \
     && grep -q '<th>file created</th><td>20' '$P' && grep -q '<th>work</th><td>20[0-9-]* [0-9:]* UTC to 20' '$P' \
     && grep -q '<th>hosts</th><td>vm (27 jobs)' '$P'"
check "counts: 4 base jobs done, 23 points done, 1 failed" \
    "grep -q '<tr><th>base jobs</th><td class=\"num\">4</td><td class=\"num\">0</td>' '$P' \
     && grep -q '<tr><th>points</th><td class=\"num\">23</td><td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">24</td>' '$P'"
check "the failure with its message" \
    "grep -q 'Failures (1)' '$P' && grep -q '<tr><td><a href=\"#point-7\">point 7</a></td><td>majority</td><td>michel-iter</td>.*injected failure (test hook --fail-point 7)' '$P'"
check "every point a row (id anchor #point-N) with the command that re-runs it; done ones with the one that exports it" \
    "[ \$(grep -c '<tr id=\"point-[0-9]*\">' '$P') -eq 24 ] && [ \$(grep -c '<details>' '$P') -eq 2 ] \
     && grep -q '<tr id=\"point-20\"><td class=\"num\">20</td><td>michel-iter</td>.*<code>headsweep prune [^<]*tiny.h5 --point 20</code><br><code>headsweep export [^<]*tiny.h5 --point 20 -o point-20.h5</code></td></tr>' '$P' \
     && grep '<tr id=\"point-7\">' '$P' | grep -q 'failed.*--point 7</code></td></tr>' && ! grep '<tr id=\"point-7\">' '$P' | grep -q export"
cp "$R" "$tmp/it's here.h5"
"$HS" report "$tmp/it's here.h5" -o "$tmp/q.html" --no-plots >/dev/null 2>&1
want="<code>headsweep export &#39;$tmp/it&#39;\\&#39;&#39;s here.h5&#39; --point 20 -o point-20.h5</code>"
check "a results path with a space and a quote is quoted for the shell in the commands" 'grep -qF "$want" "$tmp/q.html"'
check "a section and a summary table per task" \
    "[ \$(grep -c '<h2 id=\"task-[0-9]*\">Task ' '$P') -eq 2 ] && [ \$(grep -c '<h3>Summary by method and ratio</h3>' '$P') -eq 2 ] \
     && grep -q '<th>method</th><th class=\"num\">ratio</th><th class=\"num\">metric_pruned_mean</th>' '$P'"
check "no <img> without figures" "! grep -q '<img' '$P'"

# --- bad input -------------------------------------------------------------------------
"$HS" report "$R" >/dev/null 2>"$tmp/err"
check "report without -o: exit 2" "[ $? -eq 2 ] && grep -q '\-o FILE is required' '$tmp/err'"
"$HS" report "$FIX/ref_cls.h5" -o "$tmp/x.html" --no-plots >/dev/null 2>"$tmp/err"
check "a foreign HDF5 file: exit 2, no page" "[ $? -eq 2 ] && grep -q 'is not a headsweep results file' '$tmp/err' && [ ! -e '$tmp/x.html' ] && [ ! -e '$tmp/x.html.tmp' ]"
cp "$R" "$tmp/trunc.h5"
truncate -s $(($(wc -c <"$R") / 2)) "$tmp/trunc.h5"
"$HS" report "$tmp/trunc.h5" -o "$tmp/x.html" --no-plots >/dev/null 2>"$tmp/err"
check "a truncated file: exit 2" "[ $? -eq 2 ] && grep -q 'damaged' '$tmp/err'"

if ! command -v gnuplot >/dev/null 2>&1; then
    skip "gnuplot is not installed (Debian package gnuplot-nox; scripts/setup installs it): no figures, no Chromium check"
    echo "1..$n"
    [ $fails -eq 0 ]
    exit
fi

# --- with figures ----------------------------------------------------------------------------
P=$tmp/report.html
mkdir "$tmp/tmpdir"
if TMPDIR=$tmp/tmpdir "$HS" report "$R" -o "$P" >"$tmp/out" 2>&1; then
    ok "report tiny.h5 -o report.html exits 0 ($(cat "$tmp/out"))"
else
    notok "report: $(cat "$tmp/out")"
fi
check "its temporary figure folder is removed" "[ -z \"\$(ls -A '$tmp/tmpdir')\" ]"
imgs=$(grep -o '<img ' "$P" | wc -l)
data=$(grep -o '<img src="data:image/png;base64,[A-Za-z0-9+/=]*" alt="[^"]*">' "$P" | wc -l)
check "10 figures, each an <img> with a base64 data: URI ($imgs, $data)" "[ $imgs -eq 10 ] && [ $data -eq 10 ]"
check "self-contained: nothing loaded from elsewhere" \
    "! grep -qiE '(src|href)=\"(https?:|file:|//)|<link |@import|url\\(' '$P'"
# the encoder: a figure decodes to exactly the PNG gnuplot drew (kept with --plots-dir)
"$HS" report "$R" -o "$tmp/kept.html" --plots-dir "$tmp/kept" >/dev/null 2>&1
grep -o 'data:image/png;base64,[A-Za-z0-9+/=]*' "$tmp/kept.html" | head -1 | sed 's/^data:image\/png;base64,//' \
    | base64 -d >"$tmp/first.png" 2>/dev/null
check "the first figure decodes (base64 -d) to tradeoff_majority.png byte for byte" \
    "cmp -s '$tmp/first.png' '$tmp/kept/tradeoff_majority.png'"
check "--plots-dir keeps the figures (PNG and SVG), script and data" \
    "[ -s '$tmp/kept/plots.gp' ] && [ -s '$tmp/kept/heads_copy_random.svg' ] && [ -s '$tmp/kept/data/curve_copy.dat' ]"

# --- names and messages from the data are escaped --------------------------------------------
H=$tmp/hostile.html
if [ -x "$HOSTILE" ] && "$HOSTILE" "$tmp/hostile.h5" >/dev/null 2>&1 \
   && (cd "$tmp" && "$HS" report "$tmp/hostile.h5" -o "$H" >/dev/null 2>"$tmp/err"); then
    ok "a results file with hostile names gets a report"
    check "names, hosts, messages and the sweep text are HTML-escaped" \
        "grep -q '&lt;img src=x onerror=alert(1)&gt;' '$H' && grep -q '&lt;b&gt;boom&lt;/b&gt; &amp; &quot;quoted&quot;' '$H' \
         && grep -q '&lt;b&gt;host&lt;/b&gt;' '$H' && grep -q '&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;' '$H' \
         && grep -q '&quot;; system(&quot;touch /tmp/x&quot;) #' '$H'"
    check "no markup from the data survives: no <script>, no <b>, no foreign <img>" \
        "! grep -q '<script' '$H' && ! grep -q '<b>' '$H' && ! grep -q '<img src=x' '$H'"
    check "and nothing in them ran" "[ -z \"\$(find '$tmp' -name 'pwned*' -o -name p3)\" ]"
else
    notok "report of the hostile file: $(cat "$tmp/err" 2>/dev/null)"
fi

# --- headless Chromium renders it with every image ---------------------------------------------
chrome=""
for c in chromium chromium-browser; do
    command -v "$c" >/dev/null 2>&1 && { chrome=$c; break; }
done
# render FILE.html OUT.dom: the DOM after load, with a marker the page's check script wrote
render() {
    prof=$(mktemp -d "$tmp/profile.XXXXXX")
    timeout 180 "$chrome" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --disable-dev-shm-usage \
        --user-data-dir="$prof" --virtual-time-budget=15000 --dump-dom "file://$1" >"$2" 2>"$2.err"
}
if [ -z "$chrome" ]; then
    skip "Chromium rendering: chromium is not installed (Debian package chromium; scripts/setup --tests installs it)"
    skip "Chromium screenshot: chromium is not installed"
    skip "Chromium, hostile page: chromium is not installed"
else
    # a copy of the page with a script that counts the images that decoded
    cat "$P" - >"$tmp/check.html" <<'HTML'
<script>
window.addEventListener("load", function () {
  var imgs = document.images, good = 0;
  for (var i = 0; i < imgs.length; i++)
    if (imgs[i].complete && imgs[i].naturalWidth > 100 && imgs[i].naturalHeight > 100) good++;
  var d = document.createElement("div");
  d.id = "hs-check";
  d.textContent = "IMAGES " + good + "/" + imgs.length + " H2 " + document.querySelectorAll("h2").length +
                  " TABLES " + document.querySelectorAll("table").length;
  document.body.appendChild(d);
});
</script>
HTML
    render "$tmp/check.html" "$tmp/dom.html"
    rc=$?
    mark=$(grep -o 'IMAGES [0-9]*/[0-9]* H2 [0-9]* TABLES [0-9]*' "$tmp/dom.html" | head -1)
    if [ ! -s "$tmp/dom.html" ]; then
        skip "Chromium rendering: $chrome cannot run here (exit $rc): $(grep -v dbus "$tmp/dom.html.err" | tail -2 | tr '\n' ' ' | cut -c1-300)"
    elif [ "$mark" = "IMAGES 10/10 H2 5 TABLES 8" ]; then
        ok "Chromium renders the page: all 10 images decoded, 5 sections, 6 tables ($mark)"
    else
        notok "Chromium: '$mark' (expected IMAGES 10/10 H2 5 TABLES 8)"
    fi
    # a screenshot that is not blank
    prof=$(mktemp -d "$tmp/profile.XXXXXX")
    timeout 180 "$chrome" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --disable-dev-shm-usage --hide-scrollbars \
        --user-data-dir="$prof" --window-size=1200,1600 --screenshot="$tmp/shot.png" "file://$P" >/dev/null 2>&1
    if [ ! -s "$tmp/shot.png" ]; then
        skip "Chromium screenshot: $chrome wrote none here"
    elif [ "$(head -c 8 "$tmp/shot.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] \
         && [ "$(wc -c <"$tmp/shot.png")" -gt 30000 ]; then
        ok "Chromium's screenshot of the page is a PNG with content ($(wc -c <"$tmp/shot.png") bytes)"
    else
        notok "Chromium's screenshot looks blank ($(wc -c <"$tmp/shot.png") bytes)"
    fi
    if [ -s "$H" ]; then
        cat "$H" - >"$tmp/hcheck.html" <<'HTML'
<script>
window.addEventListener("load", function () {
  var d = document.createElement("div");
  d.id = "hs-check";
  d.textContent = "IMAGES " + document.images.length + " SCRIPTS " + document.scripts.length + " BOLD " +
                  document.querySelectorAll("b").length;
  document.body.appendChild(d);
});
</script>
HTML
        render "$tmp/hcheck.html" "$tmp/hdom.html"
        mark=$(grep -o 'IMAGES [0-9]* SCRIPTS [0-9]* BOLD [0-9]*' "$tmp/hdom.html" | head -1)
        if [ ! -s "$tmp/hdom.html" ]; then
            skip "Chromium, hostile page: $chrome cannot run here"
        elif [ "$mark" = "IMAGES 12 SCRIPTS 1 BOLD 0" ]; then
            ok "Chromium: the hostile page has only its 12 figures, no script or markup from the data ($mark)"
        else
            notok "Chromium, hostile page: '$mark' (expected IMAGES 12 SCRIPTS 1 BOLD 0)"
        fi
    else
        skip "Chromium, hostile page: no hostile page"
    fi
fi

tap_done
