#!/bin/sh
# test_diskfull.sh — the disk fills up while `headsweep run` writes (issue 9), TAP.
#
# The results file lives on a 4 MiB tmpfs (needs root and mount; otherwise an
# explicit SKIP). Twice another "process" fills the disk (a ballast file)
# while the sweep runs: once right after the file is created (the next write
# is a base model's parameters), once after some points are done (the next
# write that needs space: the rows from 64 on live in new chunks). Each time:
#  * run stops with exit status 1 and one message naming the file and saying
#    "No space left on device";
#  * `headsweep status` and h5dump still read the file (h5dump after
#    `h5clear -s --increment=0` on a copy if the close could not clear the
#    "open for writing" mark);
#  * every point done before the disk filled is still done, row unchanged.
# Then the ballast goes, `run` resumes to the end, and the file equals an
# uninterrupted run bit for bit with attempts = 1 everywhere (results_cmp).
set -u
HS=${HEADSWEEP:-./headsweep}
CMP=${RESULTS_CMP:-./tests/results_cmp}
export OPENBLAS_NUM_THREADS=1
# `run` calls MPI_Init even alone, and Open MPI's plugins keep allocations
# LeakSanitizer cannot name: as in test_run.sh, no leak checks in the
# sanitizer build (ASan and UBSan stay on)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
tmp=$(mktemp -d)
mnt=$tmp/mnt
mkdir -p "$mnt"
mounted=0
cleanup() {
    [ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
    [ $mounted -eq 1 ] && umount "$mnt" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/small_sweep.sh"

if [ "$(id -u)" -ne 0 ]; then
    echo "ok 1 # SKIP mounting a small tmpfs needs root"
    echo "1..1"
    exit 0
fi
if ! mount -t tmpfs -o size=4m tmpfs "$mnt" 2>"$tmp/mount.err"; then
    echo "ok 1 # SKIP cannot mount a tmpfs here: $(head -1 "$tmp/mount.err")"
    echo "1..1"
    exit 0
fi
mounted=1

# sweep NAME DIR: 2 base jobs, 80 points, results in DIR/NAME.h5
sweep() { small_sweep "$1" "$2/$1.h5"; }
# wait_for FILE N: until N points are done in FILE (N = 0: until status reads it); 60 s
wait_for() {
    w=0
    while [ $w -lt 600 ]; do
        d=$(done_count "$1")
        [ -n "$d" ] && [ "$d" -ge "$2" ] && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
        w=$((w + 1))
    done
    return 1
}
fill() { dd if=/dev/zero of="$mnt/ballast" bs=4k 2>/dev/null; }
F=$mnt/full.h5

sweep ref "$tmp"
$HS run "$tmp/ref.cfg" --progress-every 100 >"$tmp/ref.log" 2>&1
check "uninterrupted reference run" "[ $? -eq 0 ]"
sweep full "$mnt"

# round WHEN LABEL: start (or resume) the sweep, wait for WHEN points done,
# record the done rows, fill the disk, expect a clean failure
round() {
    $HS run "$tmp/full.cfg" --progress-every 100 >"$tmp/run.log" 2>&1 &
    pid=$!
    wait_for "$F" "$1"
    $HS query "$F" --where status=done --format csv --columns all >"$tmp/before.csv" 2>/dev/null
    before=$(($(wc -l <"$tmp/before.csv") - 1))
    fill
    wait $pid
    rc=$?
    pid=""
    msg=$(grep 'headsweep: error:' "$tmp/run.log" | head -1)
    echo "# $2: exit $rc, $msg"
    check "$2: run stops with exit status 1 (got $rc)" "[ $rc -eq 1 ]"
    check "$2: one message names the file and says the disk is full" \
        "echo \"\$msg\" | grep -q \"$F: cannot .*: No space left on device\""
    d=$(done_count "$F")
    check "$2: status still reads the file (${d:-?} points done, $before before the disk filled)" "[ -n '$d' ]"
    if h5dump "$F" >/dev/null 2>&1; then
        ok "$2: h5dump reads the file as it is"
    else
        cp "$F" "$tmp/copy.h5" 2>/dev/null || { rm -f "$mnt/ballast"; cp "$F" "$tmp/copy.h5"; fill; }
        check "$2: h5dump reads a copy after h5clear -s --increment=0 (the close left it marked open)" \
            "h5clear -s --increment=0 $tmp/copy.h5 >/dev/null 2>&1 && h5dump $tmp/copy.h5 >/dev/null 2>&1"
        rm -f "$tmp/copy.h5"
    fi
    $HS query "$F" --where status=done --format csv --columns all >"$tmp/after.csv" 2>/dev/null
    sort "$tmp/before.csv" >"$tmp/b.sorted"
    sort "$tmp/after.csv" >"$tmp/a.sorted"
    check "$2: the $before points done before the disk filled are still done, rows unchanged" \
        "[ -s $tmp/a.sorted ] && [ -z \"\$(comm -23 $tmp/b.sorted $tmp/a.sorted)\" ]"
    rm -f "$mnt/ballast"
}

round 0 "full during the base jobs"
round 5 "full during the points"

$HS run "$tmp/full.cfg" --progress-every 100 >"$tmp/resume.log" 2>&1
rc=$?
check "with space again, run resumes to the end (exit $rc)" "[ $rc -eq 0 ]"
$CMP "$F" "$tmp/ref.h5" --attempts-one >"$tmp/cmp" 2>&1
rc=$?
check "the file equals the uninterrupted run, attempts = 1 everywhere ($(head -1 "$tmp/cmp"))" "[ $rc -eq 0 ]"
tap_done
