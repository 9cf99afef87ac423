#!/usr/bin/env bash
# Regenerates the availability benchmark of docs/BENCHMARKS.md: every scenario in examples/lab/scenarios for its
# full length, release builds of mlink and mlink-lab, figures in docs/bench/ (SCENARIO.json, SCENARIO.svg and
# tables.txt). Extra arguments go to `mlink-lab bench` (for example --seconds 10, --no-wireguard).
#   sudo scripts/bench-availability.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)"; exit 77; }
scripts/install-deps.sh
export PATH=$PATH:/opt/swift/usr/bin
SCRATCH=${SWIFT_SCRATCH_PATH:-.build}
swift build -c release --scratch-path "$SCRATCH" --product mlink
swift build -c release --scratch-path "$SCRATCH" --product mlink-lab
mkdir -p docs/bench
"$SCRATCH/release/mlink-lab" bench examples/lab/scenarios/*.yaml --out docs/bench "$@" 2>docs/bench/lab.log \
    | tee docs/bench/tables.txt
rm -f docs/bench/lab.log
