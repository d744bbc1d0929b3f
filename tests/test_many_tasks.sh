#!/bin/sh
# test_many_tasks.sh — a sweep of 70 tiny tasks (more than 64: the runner once
# kept /tasks/<name> attributes in a table indexed by task % 64, so task 64
# overwrote task 0's), one method, one ratio, one training step; every
# /tasks/<name> group read back with h5dump must hold its own task's kind,
# metric, higher_is_better, description and seq_len (TAP). Three generators in
# turn and five seq_lens in turn, so tasks i and i + 64 differ in both.
set -u
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" # Open MPI's singleton (see test_run.sh)
HS=$(cd "$(dirname "${HEADSWEEP:-./headsweep}")" && pwd)/$(basename "${HEADSWEEP:-./headsweep}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"
export OPENBLAS_NUM_THREADS=1
N=70

gen() { case $(($1 % 3)) in 0) echo majority ;; 1) echo dyck ;; 2) echo copy ;; esac; }
metric() { case $(($1 % 3)) in 2) echo exact_match ;; *) echo accuracy ;; esac; }
{
    echo 'name = "many"; seeds = [1]; output = "many.h5";'
    echo 'model = { d_model = 8; heads = 2; layers = 1; d_ff = 16; };'
    echo 'train = { steps = 1; batch = 4; };'
    echo 'tasks = ('
    i=0
    while [ $i -lt $N ]; do
        sep=,
        [ $i -eq $((N - 1)) ] && sep=
        echo "  { name = \"t$i\"; kind = \"synthetic\"; generator = \"$(gen $i)\"; seq_len = $((8 + i % 5));" \
            "n_train = 8; n_prune = 4; n_test = 4; }$sep"
        i=$((i + 1))
    done
    echo ');'
    echo 'methods = ( { name = "random"; } ); ratios = [0.0]; run = { latency_repeats = 1; };'
} >"$tmp/many.cfg"

check "a sweep of $N tasks runs: $N points done" \
    "(cd $tmp && $HS run many.cfg >run.out 2>&1) && grep -q 'finished: $N done, 0 failed' $tmp/run.out"
# "task attribute value" lines of every /tasks/<name> group
h5dump -A -g /tasks "$tmp/many.h5" 2>/dev/null | awk '
    /^ *GROUP "/ { g = $2; gsub(/"/, "", g); sub(/^\/tasks\//, "", g) }
    /ATTRIBUTE "/ { a = $2; gsub(/"/, "", a) }
    /^ *\(0\): / { v = $0; sub(/^ *\(0\): /, "", v); gsub(/^"|"$/, "", v); print g "\t" a "\t" v }' >"$tmp/attrs"
attr() { awk -F'\t' -v g="$1" -v a="$2" '$1 == g && $2 == a { print $3 }' "$tmp/attrs"; }
bad=0
i=0
while [ $i -lt $N ]; do
    t=t$i
    got="$(attr $t kind) $(attr $t metric) $(attr $t higher_is_better) $(attr $t seq_len) $(attr $t description | cut -d: -f1)"
    want="synthetic $(metric $i) 1 $((8 + i % 5)) $(gen $i)"
    if [ "$got" != "$want" ]; then
        [ $bad -lt 5 ] && echo "# /tasks/$t: kind metric higher_is_better seq_len generator = '$got', expected '$want'"
        bad=$((bad + 1))
    fi
    i=$((i + 1))
done
check "each of the $N /tasks/<name> groups holds its own task's attributes ($bad wrong)" \
    "[ $bad -eq 0 ] && [ \$(cut -f1 $tmp/attrs | sort -u | wc -l) -eq $N ]"
tap_done
