# tap.sh — the TAP helpers of the shell tests, sourced (not run) by
# tests/test_*.sh as  . "$(dirname "$0")/tap.sh"  (automake runs a test by its
# path in the source tree, so its folder is this file's, also out of tree).
# POSIX sh; the counters are the caller's globals.
#
#   ok DESC / notok DESC / skip REASON     one TAP line (skip counts as ok)
#   check DESC SHELL-TEXT                  ok when `eval SHELL-TEXT` succeeds
#   expect_fail STATUS PATTERN DESC -- COMMAND...
#                                          ok when COMMAND exits with STATUS and its
#                                          stderr matches PATTERN (grep); uses $tmp
#   tap_done                               the plan line; status 1 if anything failed
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }

expect_fail() {
    want=$1 pat=$2 desc=$3
    shift 4
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -eq "$want" ] && grep -q -- "$pat" "$tmp/err"; then
        ok "$desc (exit $rc: $(head -c 160 "$tmp/err"))"
    else
        notok "$desc: exit $rc, stderr: $(head -c 400 "$tmp/err")"
    fi
}

tap_done() {
    echo "1..$n"
    [ "$fails" -eq 0 ]
}
