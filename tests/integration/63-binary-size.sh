#!/usr/bin/env bash
# The shipped binary (issue 12): /usr/bin/mlink is built as the package builds it (release, static Swift runtime,
# debian/rules' flags) and must stay under 20 MB and carry no ICU, which full Foundation would bring (37 MB of
# data) and FoundationEssentials does not. Needs no root; takes a few minutes (a release build of its own).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
scratch=.build-size
swift build --configuration release --product mlink --scratch-path "$scratch" --static-swift-stdlib \
    -Xlinker -z -Xlinker now -Xlinker -z -Xlinker relro >"$TMP/build.txt" 2>&1 || { tail -20 "$TMP/build.txt"; fail "release build failed"; }
bin="$scratch/release/mlink"
bytes=$(stat -c %s "$bin")
note "mlink: $bytes bytes ($((bytes / 1048576)) MiB), linked: $(ldd "$bin" | awk '{print $1}' | tr '\n' ' ')"
icu=$(nm "$bin" 2>/dev/null | grep -ciE '_FoundationICU|\bu_(init|getVersion)|\bucol_open|icudt' || true)
ldd "$bin" | grep -qi icu && fail "mlink links a shared ICU library"
[ "$icu" = 0 ] || fail "mlink carries $icu ICU symbols (full Foundation or FoundationInternationalization crept in)"
nm "$bin" 2>/dev/null | grep -q 'Foundation.*JSONSerialization' && fail "mlink links full Foundation (JSONSerialization)"
[ "$bytes" -lt 20000000 ] || fail "mlink is $bytes bytes, over the 20 MB budget"
"$bin" --version >/dev/null 2>&1 || "$bin" --help >/dev/null 2>&1 || fail "the release binary does not run"
pass "release mlink (static Swift runtime) is $((bytes / 1000)) kB, under 20 MB, no ICU"
