#!/bin/sh
# test_docs.sh — the repository stands alone (TAP): no tracked file cites the
# team's private notes (../shared, DESIGN.md, METHODS.md, STYLE.md, "STYLE N",
# bare "§N" section numbers of those notes); every docs/NAME.md a file cites
# exists, and so does every section cited as  docs/NAME.md "Section"  (a
# heading that starts with it); README.md links every docs/*.md; and
# docs/methods.md has a section for every registered method whose settings
# table matches the method's own (names, order, defaults). The checks run
# first on planted input, which they must reject, so they can fail.
# Cost: one grep over the tracked text files and ten `headsweep prune
# --list-settings` (about a second).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tap.sh"
top=$(cd "$here/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# files ROOT: the text files to check, one per line, relative to ROOT (the
# tracked ones in a git checkout; everything but build output in a tarball,
# also one unpacked inside a checkout, as make distcheck does in build/)
files() {
    if [ "$(git -C "$1" rev-parse --show-toplevel 2>/dev/null)" = "$(cd "$1" && pwd -P)" ]; then
        git -C "$1" ls-files
    else
        (cd "$1" && find . -type f ! -path './build*' ! -path './_build/*' ! -path './.git/*' | sed 's|^\./||')
    fi | grep -v '^tests/test_docs\.sh$'
}

# private ROOT: lines citing the private notes, as FILE:LINE:TEXT
private() {
    files "$1" | (cd "$1" && xargs grep -I -n -E \
        '\.\./shared|shared/(DESIGN|METHODS|STYLE|seeds)|DESIGN\.md|METHODS(\.md| §)|STYLE\.md|STYLE [0-9]|STYLE:|§[0-9]' \
        2>/dev/null)
}

# missing_docs ROOT: docs/NAME.md cited somewhere but absent
missing_docs() {
    files "$1" | (cd "$1" && xargs grep -I -h -o -E 'docs/[a-z0-9-]+\.md' 2>/dev/null) | sort -u |
        while read -r d; do [ -f "$1/$d" ] || echo "$d"; done
}

# missing_sections ROOT: docs/NAME.md "Section" citations whose file has no
# heading starting with Section, as FILE:LINE: docs/NAME.md "Section"
missing_sections() {
    files "$1" | (cd "$1" && xargs grep -I -n -o -E 'docs/[a-z0-9-]+\.md`?(,? \(?|\)?, |: )?"[^"]+"' 2>/dev/null) |
        while IFS= read -r hit; do
            where=${hit%%:docs/*}
            cite=docs/${hit#*:docs/}
            doc=$(printf '%s\n' "$cite" | sed -E 's/^(docs\/[a-z0-9-]+\.md).*/\1/')
            sec=$(printf '%s\n' "$cite" | sed -E 's/^[^"]*"([^"]*)"$/\1/')
            [ -f "$1/$doc" ] || continue # reported by missing_docs
            awk -v s="$sec" '/^#+ /{ sub(/^#+ /, ""); if (index($0, s) == 1) f = 1 } END { exit !f }' \
                "$1/$doc" && continue
            echo "$where: $doc \"$sec\""
        done
}

# unlinked ROOT: docs/*.md files README.md does not mention
unlinked() {
    for d in "$1"/docs/*.md; do
        [ -f "$d" ] || continue
        n=docs/${d##*/}
        grep -q -F -e "$n" -e "\`${d##*/}\`" "$1/README.md" || echo "$n"
    done
}

# --- the checker must reject a planted tree -----------------------------------
p=$tmp/plant
mkdir -p "$p/src" "$p/docs"
printf '## Present\n' >"$p/docs/real.md"
printf 'README: docs/real.md\n' >"$p/README.md"
printf '%s\n' '/* see DESIGN.md and ../shared/STYLE.md */' '/* STYLE 3 */' '/* METHODS.md §2 */' \
    '/* docs/nosuch.md */' '/* docs/real.md, "Missing section" */' '/* docs/real.md "Present" */' >"$p/src/a.c"
printf '## Alone\n' >"$p/docs/orphan.md"
check "checker: a planted tree's private citations are all found (3 lines)" \
    '[ "$(private "$p" | wc -l)" -eq 3 ]'
check "checker: a cited docs file that does not exist is found" \
    '[ "$(missing_docs "$p")" = docs/nosuch.md ]'
check "checker: a cited section that does not exist is found, a present one is not" \
    '[ "$(missing_sections "$p")" = "src/a.c:5: docs/real.md \"Missing section\"" ]'
check "checker: a docs file README.md does not link is found" '[ "$(unlinked "$p")" = docs/orphan.md ]'

# --- the real tree --------------------------------------------------------------
out=$(private "$top")
check "no tracked file cites ../shared, DESIGN.md, METHODS.md, STYLE or bare § numbers${out:+: $(printf '%s' "$out" | head -c 600)}" \
    '[ -z "$out" ]'
out=$(missing_docs "$top")
check "every docs/*.md a file cites exists${out:+: missing $(echo $out)}" '[ -z "$out" ]'
out=$(missing_sections "$top")
check "every cited docs section exists${out:+: $(printf '%s' "$out" | head -c 600)}" '[ -z "$out" ]'
out=$(unlinked "$top")
check "README.md links every docs/*.md${out:+: not $(echo $out)}" '[ -z "$out" ]'
n_cites=$(files "$top" | (cd "$top" && xargs grep -I -h -o -E 'docs/[a-z0-9-]+\.md' 2>/dev/null) | wc -l)
check "the tree cites docs files at all ($n_cites citations: the greps see the files)" '[ "$n_cites" -gt 50 ]'

# --- docs/methods.md against the registry ------------------------------------------
# every registered method has a "## NAME" section whose settings table lists
# exactly its settings, with the same defaults (numbers compared as numbers,
# "2/3" as a fraction; bool and choice names as text)
HS=${HEADSWEEP:-$top/build/headsweep}
# doc_settings METHOD: "name default" per row of the method's settings table
doc_settings() {
    awk -v m="$1" '
        /^## / { in_m = ($2 == m); next }
        !/^\|/ { in_t = 0 }
        in_m && /^\| setting \|/ { in_t = 1; next }
        in_m && in_t && /^\| `[a-z_0-9]+` \|/ {
            split($0, col, "|"); name = col[2]; gsub(/[ `]/, "", name)
            d = col[3]; sub(/.*\[/, "", d); sub(/\].*/, "", d); gsub(/`/, "", d); split(d, tok, " ")
            print name, tok[1]
        }' "$top/docs/methods.md"
}
# code_settings METHOD: the same from `headsweep prune --list-settings`
code_settings() {
    "$HS" prune --method "$1" --list-settings 2>/dev/null | awk 'NR > 1 && $1 != "(no" {
        d = $0; sub(/^[^[]*\[/, "", d); sub(/\].*/, "", d); print $1, d }'
}
# same_settings A B: the two lists agree (names in order, defaults)
same_settings() {
    printf '%s\n' "$1" >"$tmp/a"
    printf '%s\n' "$2" >"$tmp/b"
    awk 'function num(x, p) { if (x ~ /^[0-9.]+\/[0-9.]+$/) { split(x, p, "/"); return p[1] / p[2] } return x + 0 }
         function isnum(x) { return x ~ /^-?[0-9.]+(e[-+]?[0-9]+)?$/ || x ~ /^[0-9.]+\/[0-9.]+$/ }
         NR == FNR { an[FNR] = $1; ad[FNR] = $2; na = FNR; next }
         { nb = FNR; if (an[FNR] != $1) bad = 1
           else if (isnum(ad[FNR]) && isnum($2)) { x = num(ad[FNR]); y = num($2); if (x - y > 1e-6 * (y < 0 ? -y : y) + 1e-12 || y - x > 1e-6 * (y < 0 ? -y : y) + 1e-12) bad = 1 }
           else if (ad[FNR] != $2) bad = 1 }
         END { exit bad || na != nb }' "$tmp/a" "$tmp/b"
}
if [ -x "$HS" ]; then
    methods=$("$HS" prune --help | sed -n '/^methods/,$p' | awk 'NR > 1 { print $1 }')
    check "the registry lists methods ($(echo $methods))" '[ -n "$methods" ]'
    bad=""
    for m in $methods; do
        grep -q -x "## $m" "$top/docs/methods.md" || { bad="$bad $m (no section)"; continue; }
        same_settings "$(doc_settings "$m")" "$(code_settings "$m")" || bad="$bad $m (settings: docs '$(doc_settings "$m" | tr '\n' ',')' vs code '$(code_settings "$m" | tr '\n' ',')')"
    done
    check "docs/methods.md has a section per registered method with its settings and defaults${bad:+:$bad}" '[ -z "$bad" ]'
    check "checker: a settings list with a wrong default or a missing setting is refused" \
        '! same_settings "steps 500
lr 0.1" "steps 500
lr 0.2" && ! same_settings "steps 500" "steps 500
lr 0.1" && same_settings "beta 2/3
lr 5e-4" "beta 0.666667
lr 0.0005"'
else
    skip "docs/methods.md against the registry: no headsweep binary at $HS"
fi

tap_done
