#!/usr/bin/env bash
# Budgets (issue 14): vm0's enp0s8 is metered with a daily budget of 300kB and `over-budget: off`, in
# redundant mode. Echoes at 50/s use it up; then net1 carries no more data (the relay's per-type tally), and
# after `mlink down` and `up` (the counts kept in $MLINK_STATE_DIR) it still carries none, while echoes keep
# arriving over net0. show --json reports the budget used up.
source "$(dirname "$0")/lib-rt.sh"
need_root
sed -E 's/^(  net[01]: \{ends: \[.*\])\}$/\1, emulate: {}}/' "$ROOT/examples/lab/seed.yaml" >"$TMP/seed-e.yaml"
[ "$(grep -c '^  net.*emulate: {}' "$TMP/seed-e.yaml")" = 2 ] || fail "could not emulate net0 and net1"
seed_lab bud$$ "$TMP/seed-e.yaml"
sed -i 's/^links: \[enp0s3, enp0s8\]$/links:\n  - enp0s3\n  - {name: enp0s8, metered: true, budget: {daily: 300kB}, over-budget: off}/' "$LABDIR/vm0.yaml"
grep -q 'budget: {daily: 300kB}' "$LABDIR/vm0.yaml" || fail "could not give enp0s8 a budget"
export MLINK_STATE_DIR=$TMP/state
start_mlink vm1 vm0
in_host vm0 ping -c 20 -i 0.05 -w 10 10.77.0.1 >/dev/null || fail "tunnel did not come up"
data() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(sum(v['bytes'][4] for v in d.values()))" \
    "$LABDIR/relay-$1.stats.types"; }
in_host vm0 ping -c 400 -i 0.01 -s 1000 -W 1 10.77.0.1 >"$TMP/use.txt" 2>&1  # ~860 kB on each link: 3x the budget
sleep 1.2
show_json vm0 >"$TMP/show.json"
exhausted=$(json_query "[l['budget']['exhausted'] for l in d['links'] if l['link']=='enp0s8'][0]" <"$TMP/show.json")
used=$(json_query "[l['budget']['used_today'] for l in d['links'] if l['link']=='enp0s8'][0]" <"$TMP/show.json")
note "after 400 echoes of 1000 bytes: enp0s8 used ${used} B today, exhausted: $exhausted"
[ "$exhausted" = True ] || fail "the budget is not used up: $(cat "$TMP/show.json")"
# The budget is applied when the link's byte count crosses it, before the next batch: what passes the limit is
# the batch that crossed it and the copies the router sent before it heard of the new role (about one RTT).
over=$(( used - 300000 ))
note "overshoot ${over} B (limit 32768)"
[ "$over" -le 32768 ] || fail "enp0s8 used ${used} B of a 300000 B budget: ${over} B over (limit 32768)"
[ -s "$MLINK_STATE_DIR/ml-vm0/budgets" ] || fail "no budget state in $MLINK_STATE_DIR/ml-vm0"
d0=$(data net1)
in_host vm0 ping -c 200 -i 0.02 -W 1 10.77.0.1 >"$TMP/after.txt" 2>&1
sleep 1.2
d1=$(data net1)
read -r tx rx dup < <(ping_stats "$TMP/after.txt")
[ "$rx" = "$tx" ] || fail "echoes lost once the budget ran out: $tx sent, $rx received"
[ "$((d1 - d0))" = 0 ] || fail "net1 still carried $((d1 - d0)) data bytes over budget"
in_host vm0 "$MLINK" down ml-vm0 2>/dev/null || fail "mlink down"
start_mlink vm0
in_host vm0 ping -c 20 -i 0.05 -w 10 10.77.0.1 >/dev/null || fail "tunnel did not come back"
d2=$(data net1)
in_host vm0 ping -c 200 -i 0.02 -W 1 10.77.0.1 >"$TMP/restart.txt" 2>&1
sleep 1.2
d3=$(data net1)
read -r tx rx dup < <(ping_stats "$TMP/restart.txt")
[ "$rx" = "$tx" ] || fail "echoes lost after the restart: $tx sent, $rx received"
[ "$((d3 - d2))" = 0 ] || fail "after a restart net1 carried $((d3 - d2)) data bytes: the budget was forgotten"
pass "budget: enp0s8 used up at ${used} B (300kB/day, ${over} B over), then 0 data bytes on net1, also after a restart; no echo lost"
