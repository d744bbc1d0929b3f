#!/usr/bin/env bash
# bench/compare.sh — the C core against the same computation in PyTorch,
# side by side in one run, and the ratios.
#
#   bench/compare.sh [BUILD_DIR] [ROUNDS] [WHAT]   (default build/, 3 rounds, "S M B")
#
# WHAT lists configurations: S and M (headsweep's own small models, training
# step, 1 thread) and B (BERT-base fine-tuning, bench_train.c: the training
# step and the importance pass, with 1 and 2 OpenBLAS threads). Each round
# runs the C benchmark, then PyTorch (Debian's python3-torch, /usr/bin/python3,
# whose matrix products are the same OpenBLAS), per thread count; alternating
# spreads the machine's noise over both. Prints every round's lines, then the
# medians over rounds: tokens/s, the C/PyTorch ratio of the same round (of
# wall time, and of CPU time: on a shared machine the CPU-time ratio is the
# steadier one at 1 thread), the C GFLOP/s against cblas_sgemm at 1024³
# measured in the same C process with the same thread count (wall, and
# CPU-time based at 1 thread), and memory (bytes the model, arena and
# optimizer account; peak RSS). Targets (issue 15, B): step >= 1.15x,
# importance >= 1.2x, step >= 0.75 of the sgemm ceiling, fine-tuning <= 2.5 GB.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rounds=${2:-3}
what=${3:-S M B}
py=/usr/bin/python3
[ -x "$build/bench/bench_train" ] || make -C "$build" bench >/dev/null
if ! "$py" -c 'import torch' 2>/dev/null; then
    echo "compare: $py has no torch: apt-get install python3-torch" >&2
    exit 2
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for r in $(seq "$rounds"); do
    for c in $what; do
        case $c in
        S|M)
            OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$build/bench/bench_train" "$c" 4 step 1 | tee -a "$out"
            OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$py" bench/torch_reference.py --config "$c" \
                | sed 's/^torch /torch mode=step threads=1 /' | tee -a "$out" ;;
        B)
            for t in 1 2; do
                OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t "$build/bench/bench_train" B 1 both "$t" | tee -a "$out"
                OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t "$py" bench/torch_reference.py --config B --mode both \
                    --threads "$t" --seconds 1 | tee -a "$out"
            done ;;
        *) echo "compare: unknown configuration $c (expected S, M or B)" >&2; exit 2 ;;
        esac
    done
done
awk '
function median(a, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
    delete v
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    k = v["config"] " " v["mode"] " " v["threads"]
    if (!(k in seen)) { seen[k] = 1; keys[++nk] = k }
    if ($1 == "c") {
        n = ++nc[k]
        ctok[k, n] = v["tokens_per_s"]; cwall[k, n] = v["step_ms"]; ccpu[k, n] = v["cpu_ms"]
        cg[k, n] = v["gflops"]; ceil_[k, n] = v["sgemm_gflops"]
        # CPU-time GFLOP/s: the wall figure scaled by wall/cpu (1 thread only)
        cgc[k, n] = v["gflops"] * v["step_ms"] / v["cpu_ms"]
        mem[k] = v["model_mb"] + v["arena_mb"] + v["optim_mb"]; rss[k, n] = v["maxrss_mb"]
    } else {
        n = ++nt[k]
        ttok[k, n] = v["tokens_per_s"]; tcpu[k, n] = (v["cpu_ms"] != "" ? v["cpu_ms"] : v["step_ms"])
        trss[k, n] = v["maxrss_mb"]
    }
}
END {
    print ""
    print "medians over rounds (ratios: of the same round). tok/s = tokens per second of wall time;"
    print "cpu ratio = torch CPU time / C CPU time; frac = C GFLOP/s / sgemm GFLOP/s (wall; cpu at 1 thread)"
    printf "%-4s %-4s %3s %9s %9s %7s %7s %8s %8s %6s %6s %8s %8s\n", "cfg", "mode", "thr", "C tok/s", "pt tok/s",
        "ratio", "cpu rat", "C GF/s", "sgemm", "frac", "fr cpu", "C MB", "C rss MiB"
    for (q = 1; q <= nk; q++) {
        k = keys[q]; n = nc[k] < nt[k] ? nc[k] : nt[k]
        if (n == 0) continue
        split(k, kk, " ")
        for (i = 1; i <= n; i++) {
            a[i] = ctok[k, i]; b[i] = ttok[k, i]; r[i] = ctok[k, i] / ttok[k, i]
            rc[i] = (ccpu[k, i] != "" && tcpu[k, i] != "") ? tcpu[k, i] / ccpu[k, i] : 0
            g[i] = cg[k, i]; s[i] = ceil_[k, i]; f[i] = cg[k, i] / ceil_[k, i]; fc[i] = cgc[k, i] / ceil_[k, i]
            m[i] = rss[k, i]
        }
        printf "%-4s %-4s %3s %9.1f %9.1f %7.3f %7.3f %8.1f %8.1f %6.3f %6s %8.0f %8.0f\n", kk[1], kk[2], kk[3],
            median(a, n), median(b, n), median(r, n), median(rc, n), median(g, n), median(s, n), median(f, n),
            kk[3] == 1 ? sprintf("%.3f", median(fc, n)) : "-", mem[k], median(m, n)
    }
}' "$out"
