#!/usr/bin/env bash
# Fuzzes the packet path (mlink-fuzz-packet) and the profile loader (mlink-fuzz-profile) with libFuzzer and
# AddressSanitizer.   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 60 s, both targets)
# Corpora grow in .build-fuzz/corpus-TARGET (seeded from real datagrams and the example and bad profiles);
# a crash or broken invariant leaves its input in .build-fuzz/artifacts and makes the script fail.
# Re-run one input without sanitizers: swift build --product mlink-fuzz-packet && .build/debug/mlink-fuzz-packet FILE
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(packet profile)
scratch=.build-fuzz
mkdir -p "$scratch/artifacts"
for target in "${targets[@]}"; do
    product=mlink-fuzz-$target
    swift build --scratch-path "$scratch" --product "$product" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -D -Xswiftc FUZZING 2>&1 | grep -E "error|warning: unre|Build of" || true
    binary="$scratch/debug/$product"
    [ -x "$binary" ] || { echo "fuzz: $product did not build"; exit 1; }
    corpus="$scratch/corpus-$target"
    mkdir -p "$corpus"
    if [ -z "$(ls -A "$corpus")" ]; then
        case $target in
        packet)
            swift build --product mlink-fuzz-packet 2>&1 | grep -E "error" || true
            .build/debug/mlink-fuzz-packet --write-seeds "$corpus" ;;
        profile)
            cp examples/*.yaml Tests/MLinkConfigTests/Fixtures/bad/*.yaml "$corpus"/ ;;
        esac
    fi
    echo "fuzz: $product for ${seconds}s, corpus $(ls "$corpus" | wc -l) inputs"
    log="$scratch/$target.log"
    if ! "$binary" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$scratch/artifacts/$target-" \
            -rss_limit_mb=4096 "$corpus" >"$log" 2>&1; then
        tail -40 "$log"
        echo "fuzz: $product FAILED; the input is in $scratch/artifacts/"
        exit 1
    fi
    runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
    rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
    echo "fuzz: $product: $runs inputs in ${seconds}s ($rate/s), no crash, corpus now $(ls "$corpus" | wc -l)"
done
