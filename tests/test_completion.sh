#!/bin/bash
# test_completion.sh — the bash completion (completion/headsweep) against the
# binary it completes: every subcommand, flag, choice and column it offers is
# one the binary accepts, and --version names the git revision in a git
# checkout. TAP output; bash (the completion is bash's).
set -u
HS=${HEADSWEEP:-./headsweep}
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
TINY=$FIXTURES/results/tiny.h5

compopt() { :; } # only inside a real completion
. "$top/completion/headsweep"
# the completions of the words "$@" (the last one is being completed), one a line
complete_words() {
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _headsweep
    [ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}"
}

# --- subcommands: each one runs its --help ------------------------------------
subs=$(complete_words "$HS" "" | grep -v '^-')
bad=""
for s in $subs; do "$HS" "$s" --help 2>/dev/null | grep -q "headsweep $s" || bad="$bad $s"; done
check "subcommands offered: $(echo $subs | wc -w), each a subcommand whose --help names it${bad:+ (not:$bad)}" \
    '[ "$(echo $subs | wc -w)" -ge 10 ] && [ -z "$bad" ]'
check "'headsweep ru<TAB>' completes to run, 'headsweep qu<TAB>' to query" \
    '[ "$(complete_words "$HS" ru)" = run ] && [ "$(complete_words "$HS" qu)" = query ]'
check "'headsweep --ver<TAB>' completes to --version" '[ "$(complete_words "$HS" --ver)" = --version ]'

# --- flags: each offered flag is one the subcommand accepts ----------------------
# (each given the value x, so a known flag is never "incomplete": it may still fail
# on x as a value or a file, which is fine here; nothing runs on a file named x)
bad=""
nflags=0
for s in $subs; do
    for f in $(complete_words "$HS" "$s" --); do
        nflags=$((nflags + 1))
        (cd "$tmp" && "$HS" "$s" "$f" x </dev/null >/dev/null 2>"$tmp/err")
        grep -q "unknown or incomplete option '$f'" "$tmp/err" && bad="$bad $s:$f"
    done
done
check "flags offered: $nflags over all subcommands, none refused as unknown${bad:+ (refused:$bad)}" \
    '[ "$nflags" -ge 60 ] && [ -z "$bad" ]'
check "'headsweep run --re<TAB>' completes to --restart" '[ "$(complete_words "$HS" run --re)" = --restart ]'
check "'headsweep query x.h5 --gr<TAB>' completes to --group-by" \
    '[ "$(complete_words "$HS" query x.h5 --gr)" = --group-by ]'

# --- query's columns and choices: each one query accepts on a real file -----------------
cols=$(complete_words "$HS" query "$TINY" --columns "" | grep -v '^all$')
bad=""
for c in $cols; do "$HS" query "$TINY" --columns "$c" >/dev/null 2>&1 || bad="$bad $c"; done
check "columns offered after --columns: $(echo $cols | wc -w), each accepted by query --columns${bad:+ (refused:$bad)}" \
    '[ "$(echo $cols | wc -w)" -ge 20 ] && [ -z "$bad" ] && echo "$cols" | grep -qx metric_pruned'
check "'--group-by task,me<TAB>' keeps the list head: task,method among the offers" \
    'complete_words "$HS" query "$TINY" --group-by task,me | grep -qx task,method'
check "'--sort -wall<TAB>' keeps the descending sign: -wall_seconds" \
    '[ "$(complete_words "$HS" query "$TINY" --sort -wall)" = -wall_seconds ]'
fmts=$(complete_words "$HS" query "$TINY" --format "")
bad=""
# markdown and latex are formats of the --pivot table only
for f in $fmts; do "$HS" query "$TINY" --format "$f" >/dev/null 2>&1 || "$HS" query "$TINY" --pivot ratio --format "$f" >/dev/null 2>&1 || bad="$bad $f"; done
check "choices after query --format: $(echo $fmts), each accepted${bad:+ (refused:$bad)}" \
    '[ "$(echo $fmts | wc -w)" -ge 3 ] && [ -z "$bad" ]'

# --- files: run takes sweep files, status results files -----------------------------------
mkdir -p "$tmp/d" && : >"$tmp/d/a.cfg" && : >"$tmp/d/b.h5"
check "'headsweep run DIR/<TAB>' offers a.cfg, not b.h5; status offers b.h5, not a.cfg" \
    'complete_words "$HS" run "$tmp/d/" | grep -qx "$tmp/d/a.cfg" && ! complete_words "$HS" run "$tmp/d/" | grep -q b.h5 &&
     complete_words "$HS" status "$tmp/d/" | grep -qx "$tmp/d/b.h5" && ! complete_words "$HS" status "$tmp/d/" | grep -q a.cfg'

# --- --version: the revision where the sources are a git checkout -------------------------
if [ -e "$top/.git" ] && command -v git >/dev/null 2>&1; then
    rev=$(cd "$top" && git rev-parse --short HEAD)
    v=$("$HS" --version)
    check "--version names the git revision ($v; HEAD is $rev)" \
        'echo "$v" | grep -q "^headsweep [0-9][0-9.]* (git .*$rev"'
else
    v=$("$HS" --version)
    check "--version outside git: the package version ($v)" 'echo "$v" | grep -q "^headsweep [0-9]"'
fi
tap_done
