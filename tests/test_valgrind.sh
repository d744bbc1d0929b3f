#!/bin/sh
# test_valgrind.sh — a small sweep under valgrind memcheck, zero errors (issue 9), TAP.
#
# `headsweep run` alone (one rank: it trains the base model, prunes with two
# methods, fine-tunes, writes the results file), then `status` and `query` on
# the file, each under memcheck with --leak-check=full. Suppressed: Debian's
# /usr/share/openmpi/openmpi-valgrind.supp and tests/valgrind.supp (Open MPI's
# allocations inside MPI_Init/MPI_Finalize only, each entry explained there);
# any error or definite/possible leak elsewhere fails the test.
# SKIPs without valgrind, and in the sanitizer pass (HS_SANITIZER_RUN=1:
# valgrind cannot run AddressSanitizer binaries).
set -u
HS=${HEADSWEEP:-./headsweep}
SRC=$(cd "$(dirname "$0")/.." && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
if [ "${HS_SANITIZER_RUN:-0}" = 1 ]; then
    echo "1..0 # SKIP sanitizer build: valgrind cannot run AddressSanitizer binaries"
    exit 0
fi
if ! command -v valgrind >/dev/null 2>&1; then
    echo "1..0 # SKIP valgrind is not installed (apt-get install valgrind)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"

supp="--suppressions=$SRC/tests/valgrind.supp"
[ -f /usr/share/openmpi/openmpi-valgrind.supp ] && supp="$supp --suppressions=/usr/share/openmpi/openmpi-valgrind.supp"
VG="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,possible --num-callers=50 $supp"

cat >"$tmp/vg.cfg" <<CFG
name = "vg";
output = "$tmp/vg.h5";
seeds = [1];
model = { d_model = 16; heads = 2; layers = 2; d_ff = 32; };
train = { steps = 10; batch = 16; lr = 3e-3; };
tasks = ( { name = "maj"; kind = "synthetic"; generator = "majority"; seq_len = 8; symbols = 3;
            n_train = 256; n_prune = 64; n_test = 64; } );
methods = ( { name = "random"; }, { name = "michel"; } );
ratios = [0.0, 0.5];
finetune = { steps = 3; };
run = { latency_repeats = 1; };
CFG

# vg NAME CMD...: runs CMD under memcheck, log in $tmp/NAME.vg
vg() {
    name=$1
    shift
    t0=$(date +%s)
    $VG --log-file="$tmp/$name.vg" "$@" >"$tmp/$name.out" 2>&1
    rc=$?
    errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$tmp/$name.vg" | head -1)
    check "$name under memcheck: exit $rc, ${errs:-?} errors ($(($(date +%s) - t0)) s)" \
        "[ $rc -eq 0 ] && [ '${errs:-x}' = 0 ]"
    if [ $rc -ne 0 ] || [ "${errs:-x}" != 0 ]; then
        grep -v '^==[0-9]*== *$' "$tmp/$name.vg" | head -n 80 | sed 's/^/# /'
        tail -n 5 "$tmp/$name.out" | sed 's/^/# /'
    fi
}

vg run $HS run "$tmp/vg.cfg" --progress-every 100
check "the sweep finished: 4 points done" "$HS status $tmp/vg.h5 | grep -q 'points: *4 done, 0 failed, 0 pending'"
vg status $HS status "$tmp/vg.h5"
vg query $HS query "$tmp/vg.h5" --group-by method,ratio --masks
tap_done
