#!/usr/bin/env bash
# Both of VM0's links drop 20% at random (each direction). A packet is lost only if both copies are: per
# direction 0.2^2 = 4%, per echo (request and reply) 1-(0.96)^2 = 7.8%; one link alone would lose
# 1-(0.8)^2 = 36%. With 2000 echoes the standard deviation of the measured loss is 0.6 points, so we require
# 4.0% <= loss <= 12.0% (about 6 sigma above the ideal, and far below a single link's 36%).
source "$(dirname "$0")/lib.sh"
need_root
L=ll$$
lab_up "$ROOT/examples/lab/seed.yaml" "$L"
"$LAB" exec vm0 --lab "$L" -- ping -c 20 -i 0.05 -w 10 10.77.0.20 >/dev/null || fail "tunnel did not come up"
"$LAB" loss net0 20 --lab "$L" >/dev/null 2>&1 || fail "loss net0"
"$LAB" loss net1 20 --lab "$L" >/dev/null 2>&1 || fail "loss net1"
"$LAB" exec vm0 --lab "$L" -- ping -c 2000 -i 0.005 -W 1 10.77.0.20 >"$TMP/ping.txt" 2>&1
read -r tx rx dup < <(ping_stats "$TMP/ping.txt")
loss=$(python3 -c "print(round(100*(1-$rx/$tx),2))")
note "both VM0 links at 20% loss: $tx sent, $rx received ($loss% lost; ideal 7.8%, single link 36%), $dup duplicates"
python3 -c "import sys; sys.exit(0 if 4.0 <= $loss <= 12.0 else 1)" || fail "loss $loss% outside [4, 12]"
[ "$dup" = 0 ] || fail "$dup duplicates reached the application"
pass "loss $loss% with both links at 20% (ideal 7.8%, bound [4,12], single link 36%), 0 duplicates"
