#!/usr/bin/env bash
# The shipped binary (issue 12): /usr/bin/mlink is built as the package builds it (release, static Swift runtime,
# debian/rules' flags, stripped as dh_strip strips it) and must stay under 20 MB and carry no ICU and no full
# Foundation, which would bring 37 MB of ICU data; FoundationEssentials does not. Needs no root; takes a few
# minutes (a release build of its own).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
scratch=.build-release  # shared with 62-allocations.sh: the modules compile once
swift build --configuration release --product mlink --scratch-path "$scratch" --static-swift-stdlib \
    -Xlinker -z -Xlinker now -Xlinker -z -Xlinker relro >"$TMP/build.txt" 2>&1 || { tail -20 "$TMP/build.txt"; fail "release build failed"; }
bin="$scratch/release/mlink"
strip -o "$TMP/mlink" "$bin" || fail "strip failed"
bytes=$(stat -c %s "$TMP/mlink")
note "mlink: $bytes bytes stripped ($(stat -c %s "$bin") unstripped), linked: $(ldd "$bin" | awk '{print $1}' | tr '\n' ' ')"
# ICU's own entry points and data, or the Foundation modules that carry them (FoundationEssentials only names
# ICU keywords in some of its symbols, which is fine).
icu=$(nm "$bin" 2>/dev/null | grep -cE ' (u_init|u_getVersion|ucol_open|ures_open|icudt[0-9]+_dat)|_FoundationICU|s10Foundation[0-9A-Z]|FoundationInternationalization' || true)
ldd "$bin" | grep -qi icu && fail "mlink links a shared ICU library"
[ "$icu" = 0 ] || fail "mlink carries $icu ICU symbols (full Foundation or FoundationInternationalization crept in)"
[ "$bytes" -lt 20000000 ] || fail "mlink is $bytes bytes, over the 20 MB budget"
"$bin" --version >/dev/null 2>&1 || "$bin" --help >/dev/null 2>&1 || fail "the release binary does not run"
pass "release mlink (static Swift runtime, stripped) is $((bytes / 1000)) kB, under 20 MB, no ICU, no full Foundation"
