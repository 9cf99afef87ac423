# Helpers of the 85-87 tests: a lab from a topology the test writes, with the profiles written but mlink not
# started. Sourced after nothing else; sources lib-rt.sh (and so lib.sh).
source "$(dirname "${BASH_SOURCE[0]}")/lib-rt.sh"

# lab_profiles NAME TOPOLOGY HOST: builds lab NAME from TOPOLOGY without starting mlink; sets L and LABDIR (where
# HOST's profile and key were written). `mlink-lab down` (at exit) stops what runs.
lab_profiles() {
    L=$1
    LABS+=("$L")
    "$LAB" up "$2" --name "$L" --no-start >"$TMP/lab-$L.log" 2>&1 || { cat "$TMP/lab-$L.log"; fail "mlink-lab up $2"; }
    LABDIR=$(sed -nE "s#.*write (/[^ ]*)/$3\\.key .*#\\1#p" "$TMP/lab-$L.log" | head -1)
    [ -f "$LABDIR/$3.yaml" ] || fail "cannot find the lab's profiles (looked in '$LABDIR')"
}
