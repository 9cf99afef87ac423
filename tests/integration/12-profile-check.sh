#!/usr/bin/env bash
# `mlink check` accepts the examples and rejects a bad profile with FILE:LINE:COL: KEY and exit 78 (no root needed).
source "$(dirname "$0")/lib.sh"
for p in vm0 vm1 vm2; do
    "$MLINK" check "$ROOT/examples/$p.yaml" >"$TMP/$p.out" 2>&1 || { cat "$TMP/$p.out"; fail "check $p.yaml"; }
done
printf 'name: vm0\nrole: host\nprivate-key: AAAA\nlisten-prot: 7000\n' > "$TMP/bad.yaml"
"$MLINK" check "$TMP/bad.yaml" 2>"$TMP/bad.err"
status=$?
[ $status = 78 ] || fail "bad profile exit $status, want 78"
grep -qE "^$TMP/bad.yaml:4:1: listen-prot: unknown key; did you mean 'listen-port'\?" "$TMP/bad.err" || { cat "$TMP/bad.err"; fail "message shape"; }
MLINK_CONFIG_DIR=$ROOT/examples "$MLINK" check vm1 >/dev/null 2>&1 || fail "NAME resolution through MLINK_CONFIG_DIR"
key=$("$MLINK" genkey) && pub=$(echo "$key" | "$MLINK" pubkey) || fail "genkey|pubkey"
[ ${#pub} = 44 ] || fail "public key length ${#pub}"
pass "examples pass check; bad profile -> 78 with FILE:LINE:COL: KEY; genkey|pubkey"
