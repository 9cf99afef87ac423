#!/usr/bin/env bash
# Seed lab: 2000 echoes at 5 ms from VM0 to VM2's virtual address through VM1, while one of VM0's links and
# then one of VM2's is cut in the middle of the run: 0 lost, 0 duplicates (two runs cover all four links).
source "$(dirname "$0")/lib.sh"
need_root
L=lt$$
lab_up "$ROOT/examples/lab/seed.yaml" "$L"
"$LAB" exec vm0 --lab "$L" -- ping -c 20 -i 0.05 -w 10 10.77.0.20 >/dev/null || fail "tunnel did not come up"
run() {  # run VM0_NET VM2_NET
    "$LAB" exec vm0 --lab "$L" -- ping -c 2000 -i 0.005 -W 1 10.77.0.20 >"$TMP/ping-$1.txt" 2>&1 &
    local ping=$!
    sleep 2; "$LAB" cut "$1" --lab "$L" --for 3 >/dev/null 2>&1
    sleep 0.5; "$LAB" cut "$2" --lab "$L" --for 3 >/dev/null 2>&1
    wait $ping
    read -r tx rx dup < <(ping_stats "$TMP/ping-$1.txt")
    note "cut $1 then $2: $tx sent, $rx received, $dup duplicates"
    [ "$tx" = 2000 ] && [ "$rx" = 2000 ] && [ "$dup" = 0 ] || { tail -3 "$TMP/ping-$1.txt"; fail "cut $1/$2: $tx sent, $rx received, $dup duplicates"; }
}
run net0 net2
run net1 net3
pass "2x2000 echoes at 5 ms, one VM0 link and one VM2 link cut for 3 s each: 0 lost, 0 duplicates"
