#!/usr/bin/env bash
# A short libFuzzer run (10 s per target, AddressSanitizer) over the packet parser/decryptor and the profile
# loader. The long run is documented in docs/PROTOCOL.md ("Fuzzing"): scripts/fuzz.sh 3600.
source "$(dirname "$0")/lib.sh"
ls /opt/swift/usr/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 \
    || ls "$(dirname "$(readlink -f "$(command -v swiftc)")")"/../lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 \
    || skip "the Swift toolchain has no libFuzzer runtime"
"$ROOT/scripts/fuzz.sh" 10 packet profile >"$TMP/fuzz.log" 2>&1 || { cat "$TMP/fuzz.log"; fail "fuzzing found a crash"; }
grep "no crash" "$TMP/fuzz.log" | sed 's/^/  /'
pass "libFuzzer: packet and profile targets, 10 s each, no crash"
