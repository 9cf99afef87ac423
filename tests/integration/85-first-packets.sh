#!/usr/bin/env bash
# The first packets after `up` are kept (staging): over two 40 ms one-way links (the lab's emulator, an LTE-like
# 80 ms round trip) the first echo sent right after `mlink up` returns must arrive, 10 times out of 10. Before
# staging it was lost every time: it left before the handshake completed. Each round restarts the host (a new
# handshake); the router keeps running. Prints the count and the host's staged counter.
source "$(dirname "$0")/lib-lab.sh"
need_root
cat >"$TMP/first.yaml" <<'TOPOLOGY'
virtual-network: 10.77.0.0/24
hosts:
  b: {role: router, virtual-ip: 10.77.0.1, listen-port: 7000}
  a: {virtual-ip: 10.77.0.2}
nets:
  net0: {ends: [a eth0 192.168.100.1/24, b eth0 192.168.100.2/24], emulate: {delay: 40ms}}
  net1: {ends: [a eth1 192.168.101.1/24, b eth1 192.168.101.2/24], emulate: {delay: 40ms}}
TOPOLOGY
lab_profiles fp$$ "$TMP/first.yaml" a
start_mlink b
rounds=10 arrived=0 staged=0
for round in $(seq 1 $rounds); do
    start_mlink a
    # The echo leaves at once: -W 3 waits for its reply, -c 1 sends no second one.
    if in_host a ping -c 1 -W 3 10.77.0.1 >"$TMP/ping-$round.txt" 2>&1; then
        arrived=$((arrived + 1))
    else
        note "round $round: the first echo was lost: $(tail -2 "$TMP/ping-$round.txt" | head -1)"
    fi
    n=$(show_json a | json_query "d['peers'][0]['staged']")
    staged=$((staged + n))
    in_host a "$MLINK" down ml-a 2>"$TMP/down-$round.err" || { cat "$TMP/down-$round.err"; fail "mlink down (round $round)"; }
done
note "first echo after up arrived $arrived of $rounds times; $staged packets staged in all"
[ "$arrived" = "$rounds" ] || fail "the first echo after up arrived $arrived of $rounds times (40 ms links)"
[ "$staged" -ge "$rounds" ] || fail "only $staged packets went out of staging in $rounds rounds: did the echo wait at all?"
pass "first echo after up over 40 ms links: $arrived of $rounds arrived ($staged packets staged)"
