#!/usr/bin/env bash
# The whole test suite: unit tests (swift test, which also runs the netlink and lab namespace tests as root),
# then the namespace integration scripts in tests/integration. Ends with one line: N passed, N failed, N skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -d /opt/swift/usr/bin ] && export PATH=/opt/swift/usr/bin:$PATH
scripts/install-deps.sh || exit 1
swift build --product mlink && swift build --product mlink-lab || { echo "0 passed, 1 failed"; exit 1; }

export MLINK_BIN=$PWD/.build/debug/mlink MLINK_LAB_BIN=$PWD/.build/debug/mlink-lab
passed=0; failed=0; skipped=0
swift test 2>&1 | tee /tmp/mlink-swift-test.log | grep -E "error:|failed|Executed|skipped|SKIP" | grep -v "^Test Case.*passed" | tail -40
summary=$(grep -E "Executed [0-9]+ tests?" /tmp/mlink-swift-test.log | tail -1)
if [ -n "$summary" ]; then
    total=$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
    bad=$(echo "$summary" | grep -oE '[0-9]+ failures?' | head -1 | tr -dc 0-9)
    skips=$(echo "$summary" | grep -oE '[0-9]+ tests? skipped' | head -1 | tr -dc 0-9)
    bad=${bad:-0}; skips=${skips:-0}
    passed=$((passed + total - bad - skips)); failed=$((failed + bad)); skipped=$((skipped + skips))
else
    echo "swift test produced no result line"; failed=$((failed + 1))
fi

for t in tests/integration/[0-9]*.sh; do
    start=$(date +%s)
    out=$(bash "$t" 2>&1); status=$?
    took=$(( $(date +%s) - start ))
    case $status in
        0) passed=$((passed + 1)); echo "ok   $t (${took}s): $(echo "$out" | tail -1)";;
        77) skipped=$((skipped + 1)); echo "skip $t: $(echo "$out" | tail -1)";;
        *) failed=$((failed + 1)); echo "FAIL $t (${took}s, exit $status):"; echo "$out" | tail -25 | sed 's/^/     /';;
    esac
done
leftover=$(ip netns list 2>/dev/null | grep -E '^(mlt-|mlnl-|seed|lt-|ml)' || true)
[ -z "$leftover" ] || { echo "FAIL: namespaces left behind: $leftover"; failed=$((failed + 1)); }
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
