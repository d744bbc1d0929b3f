#!/usr/bin/env bash
# bench/dispatch.sh — the sweep runner's own costs, measured side by side:
#   1. dispatch throughput with trivial points (--bench-trivial: jobs do no
#      work; every row still written and flushed with H5Dflush, the file
#      fsync'ed once a second): points/s with 1 and 3 workers (-np 2, -np 4)
#      and serially (-np 1), from the results file's first start to last end
#      (startup excluded), three runs each, interleaved;
#   2. the coordinator's CPU share while workers compute (a real sweep,
#      -np 3: utime+stime of rank 0 over its wall time);
#   3. the speed-up of a real sweep with 2 workers (-np 3) over 1 (-np 2).
#
#   bench/dispatch.sh [BUILD_DIR] [REAL_SWEEP]   (default build/, sweeps/quickstart.cfg)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
real=${2:-sweeps/quickstart.cfg}
case "$build" in /*) ;; *) build=$PWD/$build ;; esac
HS=$build/headsweep
[ -x "$HS" ] || { echo "dispatch: $HS not built (scripts/setup)" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
MPIRUN="mpirun --oversubscribe --bind-to none"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 60 000 trivial points: 10 labels x 200 ratios x 30 seeds of one tiny task
ratios=$(awk 'BEGIN { for (i = 0; i < 200; i++) printf "%s%.4f", (i ? ", " : ""), i / 400 }')
methods=$(awk 'BEGIN { for (i = 0; i < 10; i++) printf "%s{ name = \"random\"; label = \"r%d\"; }", (i ? ", " : ""), i }')
cat >"$tmp/trivial.cfg" <<CFG
name = "trivial"; output = "$tmp/trivial.h5"; seeds = [$(seq -s ', ' 1 30)];
model = { d_model = 8; heads = 2; layers = 1; d_ff = 8; }; train = { steps = 1; batch = 4; };
tasks = ( { name = "t"; kind = "synthetic"; generator = "majority"; seq_len = 6; symbols = 2;
            n_train = 16; n_prune = 8; n_test = 8; } );
methods = ( $methods );
ratios = [$ratios];
CFG
echo "== dispatch of 60000 trivial points (rows written and flushed)"
for np in 1 2 4 1 2 4 1 2 4; do
    rm -f "$tmp/trivial.h5"
    if [ "$np" = 1 ]; then
        $HS run "$tmp/trivial.cfg" --bench-trivial --progress-every 1000 2>/dev/null
    else
        $MPIRUN -np "$np" $HS run "$tmp/trivial.cfg" --bench-trivial --progress-every 1000 2>/dev/null
    fi
    rate=$($HS status "$tmp/trivial.h5" | sed -n 's/.*throughput: \([0-9.e+]*\) points\/s.*/\1/p')
    echo "np=$np workers=$((np > 1 ? np - 1 : 1)) points/s=$rate"
done

# rank 0's CPU seconds (utime + stime) from /proc
rank0_cpu() {
    local pid
    for pid in $(pgrep -f "headsweep run $1"); do
        if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -q '^OMPI_COMM_WORLD_RANK=0$'; then
            awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$pid/stat"
            return
        fi
    done
    echo 0
}

echo "== a real sweep: $real"
sed "s|^output *=.*|output = \"$tmp/real.h5\";|" "$real" >"$tmp/real.cfg"
declare -A wall
for np in 2 3; do
    rm -f "$tmp/real.h5"
    t0=$(date +%s.%N)
    $MPIRUN -np "$np" $HS run "$tmp/real.cfg" --progress-every 1000 2>/dev/null &
    pid=$!
    cpu=0
    while kill -0 $pid 2>/dev/null; do
        c=$(rank0_cpu "$tmp/real.cfg")
        [ "$c" != 0 ] && cpu=$c
        sleep 1
    done
    wait $pid
    t1=$(date +%s.%N)
    wall[$np]=$(echo "$t1 - $t0" | bc -l)
    share=$(echo "$cpu / ${wall[$np]}" | bc -l)
    printf "np=%d workers=%d wall=%.1fs coordinator_cpu=%.2fs coordinator_share=%.3f of a core\n" \
        "$np" $((np - 1)) "${wall[$np]}" "$cpu" "$share"
done
printf "speed-up 2 workers over 1: %.2fx\n" "$(echo "${wall[2]} / ${wall[3]}" | bc -l)"
