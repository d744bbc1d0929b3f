#!/bin/sh
# test_docs.sh — the repository stands alone (TAP): no tracked file cites the
# team's private notes (../shared, DESIGN.md, METHODS.md, STYLE.md, "STYLE N",
# bare "§N" section numbers of those notes); every docs/NAME.md a file cites
# exists, and so does every section cited as  docs/NAME.md "Section"  (a
# heading that starts with it); README.md links every docs/*.md. The checks
# run first on a planted tree, which they must reject, so they can fail.
# Cost: one grep over the tracked text files (well under a second).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tap.sh"
top=$(cd "$here/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# files ROOT: the text files to check, one per line, relative to ROOT (the
# tracked ones in a git checkout; everything but build output in a tarball)
files() {
    if git -C "$1" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git -C "$1" ls-files
    else
        (cd "$1" && find . -type f ! -path './build*' ! -path './.git/*' | sed 's|^\./||')
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

tap_done
