#!/usr/bin/env bash
# Zero heap allocations per packet (issue 11): an optimized build of the engine benchmark streams 100,000 packets
# over two links through the daemon's own outbound call (encapsulate into an OutboundBatch, every copy received by
# the router, completeTransmission) with the timers running, and counts malloc/calloc/realloc/memalign calls on
# its thread. It first checks that the counter sees an ordinary array allocation. Needs no root.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
swift build -c release --scratch-path .build-release --static-swift-stdlib --product mlink-bench-engine >"$TMP/build.txt" 2>&1 \
    || { tail -20 "$TMP/build.txt"; fail "release build failed"; }
out=$(.build-release/release/mlink-bench-engine --check-allocations); status=$?
echo "  $out"
[ "$status" = 0 ] || fail "steady state allocates: $out"
out=$(.build-release/release/mlink-bench-engine --check-adaptive-allocations) && echo "  $out" || fail "adaptive mode allocates: $out"
pass "0 heap allocations for 100000 packets x 2 links (release build)"
