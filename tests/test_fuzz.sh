#!/bin/sh
# test_fuzz.sh — a short run (FUZZ_CHECK_SECONDS, default 20 s) of each
# libFuzzer harness (tests/fuzz/) on a copy of its seed corpus: any crash,
# leak, sanitizer report or slow input fails. SKIPs where configure found no
# clang that links -fsanitize=fuzzer (Debian: clang libclang-rt-14-dev), and
# in the sanitizer suite (the harnesses are ASan/UBSan builds already, and
# are not built there). `make fuzz` is the long run.
src=$(cd "$(dirname "$0")" && pwd)/fuzz
secs=${FUZZ_CHECK_SECONDS:-20}
targets="sweep tsv idx checkpoint results where"
targets="$targets safetensors"
targets="$targets wordpiece bpe"

if [ -n "${HS_SANITIZER_RUN:-}" ]; then
    echo "1..0 # SKIP fuzzers run in the normal build's make check (already ASan/UBSan)"
    exit 0
fi
for t in $targets; do
    if [ ! -x tests/fuzz/fuzz_$t ]; then
        echo "1..0 # SKIP libFuzzer harnesses not built (configure found no clang that links -fsanitize=fuzzer; Debian: clang libclang-rt-14-dev)"
        exit 0
    fi
done

echo "1..$(echo $targets | wc -w)"
n=0
work=tests/fuzz/check
rm -rf "$work"
for t in $targets; do
    n=$((n + 1))
    mkdir -p "$work/$t"
    cp "$src/corpus/$t"/* "$work/$t/"
    log=$work/$t.log
    if ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1 \
       LSAN_OPTIONS=suppressions=$src/lsan.supp:print_suppressions=0 \
       tests/fuzz/fuzz_$t -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -close_fd_mask=3 \
           -print_final_stats=1 -artifact_prefix="$work/$t-" "$work/$t" >"$log" 2>&1; then
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
        # the HDF5 harnesses mutate through edits only (see fuzz_h5edit.h); their
        # corpus also holds damaged files, replayed here as they are
        if [ $t = checkpoint ] || [ $t = results ]; then
            if ! HS_FUZZ_H5_RAW=1 ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1 \
                 LSAN_OPTIONS=suppressions=$src/lsan.supp:print_suppressions=0 \
                 tests/fuzz/fuzz_$t -runs=0 -timeout=20 -close_fd_mask=3 "$src/corpus/$t" >"$work/$t-raw.log" 2>&1; then
                echo "not ok $n - fuzz_$t: replaying the damaged files of its corpus failed, log $work/$t-raw.log"
                continue
            fi
        fi
        echo "ok $n - fuzz_$t: ${secs} s, ${execs:-?} executions, $cov, no findings"
    else
        echo "not ok $n - fuzz_$t: a finding (input saved as $work/$t-*), log $log:"
        grep -m 20 -A 20 'ERROR\|runtime error\|fuzz:' "$log" | sed 's/^/# /' | head -n 40
    fi
done
