#!/usr/bin/env bash
# bench/compare.sh — the C training step against the same step in PyTorch,
# side by side in one run, single-threaded, and the ratios.
#
#   bench/compare.sh [BUILD_DIR] [ROUNDS]      (default build/, 3 rounds)
#
# Each round runs the C benchmark then the PyTorch one (Debian's python3-torch,
# /usr/bin/python3) for configurations S and M; alternating rounds spread
# the machine's noise over both. Prints per-round figures and the medians:
# C/PyTorch tokens/s ratio (targets: >= 1.5 at S, >= 1.2 at M) and the C
# step's GFLOP/s as a fraction of single-core sgemm at 1024³ (target >= 0.6 at M).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rounds=${2:-3}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
py=/usr/bin/python3
[ -x "$build/bench/bench_train" ] || make -C "$build" bench >/dev/null
if ! "$py" -c 'import torch' 2>/dev/null; then
    echo "compare: $py has no torch: apt-get install python3-torch" >&2
    exit 2
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for r in $(seq "$rounds"); do
    "$build/bench/bench_train" all 4 | tee -a "$out"
    "$py" bench/torch_reference.py --config all | tee -a "$out"
done
awk '
function median(a, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    c = v["config"]
    if ($1 == "c") { nc[c]++; ctok[c, nc[c]] = v["tokens_per_s"]; cfrac[c, nc[c]] = v["fraction"]; cg[c, nc[c]] = v["gflops"]; ceil_[c, nc[c]] = v["sgemm_gflops"] }
    else { nt[c]++; ttok[c, nt[c]] = v["tokens_per_s"] }
}
END {
    print ""
    print "config  C tokens/s  torch tokens/s  C/torch  C GFLOP/s  sgemm GFLOP/s  fraction  (medians of rounds)"
    split("S M", cs, " ")
    for (k = 1; k <= 2; k++) {
        c = cs[k]; n = nc[c]
        for (i = 1; i <= n; i++) { a[i] = ctok[c, i]; b[i] = ttok[c, i]; r[i] = ctok[c, i] / ttok[c, i]; f[i] = cfrac[c, i]; g[i] = cg[c, i]; s[i] = ceil_[c, i] }
        printf "%-6s  %10.0f  %14.0f  %7.2f  %9.1f  %13.1f  %8.3f\n", c, median(a, n), median(b, n), median(r, n), median(g, n), median(s, n), median(f, n)
    }
}' "$out"
