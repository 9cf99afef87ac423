#!/usr/bin/env bash
# Receiver feedback and cross-link repair (issue 14 item 3, issue 15's retransmission step) on real namespaces:
# vm0's two links to the router are 15 ms and 25 ms one way and lose 2% at random each way; both ends run
# `mode: adaptive` (target-loss 0.1%). Each end's FEEDBACK NACKs what the other's primary lost and the sender
# repairs it on the other link, so an echo stream of 2000 echoes at 100/s must lose at most 0.5% of its echoes
# (one unprotected link: 1-0.98^2 = 4%; duplication's ideal both ways is about 0.08%, 2000 echoes measure it to
# a few tenths of a percent) at no more than 10% extra data bytes (further copies + repairs + parity over first
# copies, by both ends' own per-purpose counters; duplication costs 100%), with feedback's own control bytes
# reported beside them. Prints the plans, the repairs and the bytes.
source "$(dirname "$0")/lib-rt.sh"
need_root
count=${FEEDBACK_ECHOES:-2000}
sed -E -e 's/^(  net0: \{ends: \[.*\])\}$/\1, emulate: {delay: 15ms}}/' \
       -e 's/^(  net1: \{ends: \[.*\])\}$/\1, emulate: {delay: 25ms}}/' "$ROOT/examples/lab/seed.yaml" >"$TMP/seed.yaml"
[ "$(grep -cE 'emulate: \{delay: (15|25)ms\}\}$' "$TMP/seed.yaml")" = 2 ] || fail "could not emulate net0 and net1"
seed_lab fb$$ "$TMP/seed.yaml"
for host in vm0 vm1; do printf 'mode: adaptive\ntarget-loss: 0.1%%\n' >>"$LABDIR/$host.yaml"; done
start_mlink vm1 vm0
in_host vm0 ping -c 20 -i 0.05 -w 10 10.77.0.1 >/dev/null || fail "tunnel did not come up"
"$LAB" set net0 loss=2% --lab "$L" >/dev/null 2>&1 || fail "mlink-lab set net0 loss"
"$LAB" set net1 loss=2% --lab "$L" >/dev/null 2>&1 || fail "mlink-lab set net1 loss"
# Adaptive starts at duplication and steps down one level per 2 s hold (duplicate, parity, retransmit).
in_host vm0 ping -c 700 -i 0.01 -W 1 -q 10.77.0.1 >/dev/null 2>&1
show_json vm0 >"$TMP/vm0-before.json"; show_json vm1 >"$TMP/vm1-before.json"
in_host vm0 ping -c "$count" -i 0.01 -W 1 -q 10.77.0.1 >"$TMP/ping.txt" 2>&1
show_json vm0 >"$TMP/vm0-after.json"; show_json vm1 >"$TMP/vm1-after.json"
read -r tx rx dup < <(ping_stats "$TMP/ping.txt")
python3 - "$TMP" "$tx" "$rx" >"$TMP/figures.txt" <<'PY' || fail "could not read the show output"
import json, sys
tmp, tx, rx = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def load(host, when): return json.load(open(f"{tmp}/{host}-{when}.json"))
def total(d, key): return sum(c[key] for p in d["peers"] for c in p["connections"])
data = extra = control = 0
plans, repaired, misses, feedback = [], 0, 0, 0
for host in ("vm0", "vm1"):
    a, b = load(host, "before"), load(host, "after")
    data += total(b, "tx_data_bytes") - total(a, "tx_data_bytes")
    extra += sum(total(b, k) - total(a, k) for k in ("tx_duplicate_bytes", "tx_replay_bytes", "tx_parity_bytes"))
    control += total(b, "tx_control_bytes") - total(a, "tx_control_bytes")
    plans += [f"{host}->{p['peer']}: {p['level']}" for p in b["policies"]["adaptive"]]
    repaired += sum(p["repaired"] - q["repaired"] for p, q in zip(b["peers"], a["peers"]))
    misses += sum(p["repair_misses"] - q["repair_misses"] for p, q in zip(b["peers"], a["peers"]))
    feedback += sum(p["feedback_sent"] - q["feedback_sent"] for p, q in zip(b["peers"], a["peers"]))
lost = 100 * (1 - rx / tx)
print(f"{lost:.2f} {100 * extra / data:.2f} {100 * control / data:.2f} {repaired} {misses} {feedback} {'; '.join(plans)}")
PY
read -r lost extra control repaired misses feedback plans <"$TMP/figures.txt"
note "$count echoes: ${lost}% lost; extra data bytes ${extra}% (copies + repairs + parity), control bytes ${control}%"
note "repaired $repaired, not repairable $misses, $feedback FEEDBACK messages; plans: $plans"
python3 -c "import sys; sys.exit(0 if $lost <= 0.5 else 1)" || fail "lost ${lost}% of echoes (limit 0.5%)"
python3 -c "import sys; sys.exit(0 if $extra <= 10 else 1)" || fail "extra data bytes ${extra}% (limit 10%)"
[ "$repaired" -gt 0 ] || fail "nothing was repaired"
pass "2% loss on 15/25 ms links, adaptive both ways: ${lost}% of echoes lost at ${extra}% extra data bytes (+${control}% control), $repaired repairs"
