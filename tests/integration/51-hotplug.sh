#!/usr/bin/env bash
# Hot-plug in the seed lab: both profiles name a link `hp0` that does not exist when mlink starts. A veth pair
# created at runtime (VM0's end and the router's end, net 192.168.9.0/24) must carry traffic within 2 s of VM0's
# end getting its address; then VM0's original links are cut and echoes keep arriving over hp0 alone. A new
# address on hp0 (a DHCP renew) joins again within 2 s, and deleting hp0 leaves the core running.
source "$(dirname "$0")/lib-rt.sh"
need_root
seed_lab rth$$
sed -i -e 's/^links: \[\(.*\)\]/links: [\1, hp0]/' "$LABDIR/vm0.yaml" "$LABDIR/vm1.yaml"
sed -i -e 's/^  endpoints: \[\(.*\)\]/  endpoints: [\1, 192.168.9.3:7000]/' "$LABDIR/vm0.yaml"
grep -q 'hp0' "$LABDIR/vm0.yaml" && grep -q 'hp0' "$LABDIR/vm1.yaml" && grep -q '192.168.9.3:7000' "$LABDIR/vm0.yaml" \
    || fail "could not add hp0 to the profiles: $(cat "$LABDIR/vm0.yaml")"
start_mlink vm1 vm0
in_host vm0 ping -c 20 -i 0.05 -w 10 10.77.0.1 >/dev/null || fail "tunnel did not come up"

# The time from now until VM0 has an `up` connection on hp0 that has received packets, in ms (or "never").
time_to_join() {  # time_to_join REMOTE_PREFIX
    local start
    start=$(now_ms)
    while [ $(( $(now_ms) - start )) -le 5000 ]; do
        show_json vm0 | json_query "any(c['link']=='hp0' and c['state']=='up' and c['rx_packets']>0 and c['local'].startswith('$1') for c in d['peers'][0]['connections'])" \
            | grep -qx True && { echo $(( $(now_ms) - start )); return; }  # when the answer came: an upper bound
        sleep 0.02
    done
    echo never
}

# The connection on enp0s3: its socket (local port) and counters must survive hp0 coming and going.
net0_connection() {
    show_json vm0 | json_query "[(c['local'], c['tx_bytes'], c['state']) for c in d['peers'][0]['connections'] if c['link']=='enp0s3' and c['remote'].startswith('192.168.0.3:')][0]"
}
before=$(net0_connection)
ip link add hp0 netns "$L-vm0" type veth peer name hp0 netns "$L-vm1" || fail "veth hp0"
ip -n "$L-vm1" address add 192.168.9.3/24 dev hp0 && ip -n "$L-vm1" link set hp0 up || fail "router end of hp0"
ip -n "$L-vm0" link set hp0 up || fail "hp0 up"
ip -n "$L-vm0" address add 192.168.9.2/24 dev hp0 || fail "VM0 address on hp0"
joined=$(time_to_join 192.168.9.2:)
note "hp0 carried traffic ${joined} ms after VM0's address was added (limit 2000)"
[ "$joined" != never ] && [ "$joined" -le 2000 ] || fail "hp0 did not join within 2 s ($joined)"
after=$(net0_connection)
python3 -c "import sys; b, a = eval(sys.argv[1]), eval(sys.argv[2]); sys.exit(0 if a[0] == b[0] and a[1] > b[1] and a[2] in ('up', 'degraded') else 1)" \
    "$before" "$after" || fail "hp0 joining disturbed enp0s3's connection: before $before, after $after"
note "enp0s3's connection undisturbed: $before -> $after"

# Cut VM0's original links while 600 echoes run at 10 ms: hp0 alone carries them.
in_host vm0 ping -c 600 -i 0.01 -W 1 10.77.0.1 >"$TMP/ping.txt" 2>&1 &
ping=$!
sleep 1
"$LAB" cut net0 --lab "$L" >/dev/null 2>&1 || fail "cut net0"
"$LAB" cut net1 --lab "$L" >/dev/null 2>&1 || fail "cut net1"
wait $ping
read -r tx rx dup < <(ping_stats "$TMP/ping.txt")
note "net0 and net1 cut, 600 echoes at 10 ms: $rx received, $dup duplicates"
[ "$tx" = 600 ] && [ "$rx" = 600 ] || fail "echoes lost with only hp0 left: $tx sent, $rx received"
show_json vm1 | json_query "[c['state'] for c in d['peers'][0]['connections'] if c['link']=='hp0']" | grep -q up \
    || fail "the router shows no up connection on hp0"

# A new address on hp0 (DHCP renew): the old one leaves, the new one joins within 2 s.
ip -n "$L-vm0" address del 192.168.9.2/24 dev hp0
ip -n "$L-vm0" address add 192.168.9.4/24 dev hp0 || fail "new address on hp0"
rejoined=$(time_to_join 192.168.9.4:)
note "after a new address on hp0, traffic again after ${rejoined} ms (limit 2000)"
[ "$rejoined" != never ] && [ "$rejoined" -le 2000 ] || fail "hp0 did not rejoin within 2 s ($rejoined)"
in_host vm0 ping -c 10 -i 0.05 -w 5 10.77.0.1 >/dev/null || fail "no echo over the renumbered hp0"

# hp0 goes away: it leaves the bundle; the originals come back and carry the traffic.
"$LAB" restore net0 --lab "$L" >/dev/null 2>&1; "$LAB" restore net1 --lab "$L" >/dev/null 2>&1
ip -n "$L-vm0" link del hp0
sleep 0.5
show_json vm0 | json_query "[c['link'] for c in d['peers'][0]['connections'] if c['link']=='hp0']" | grep -qx '\[\]' \
    || fail "hp0 connections stayed after hp0 was deleted"
in_host vm0 ping -c 20 -i 0.05 -w 10 10.77.0.1 >/dev/null || fail "no echo after hp0 left"
pass "hot-plugged hp0 carried traffic ${joined} ms after its address, alone through a cut of net0+net1, rejoined ${rejoined} ms after a new address, left cleanly"
