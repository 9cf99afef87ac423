#!/usr/bin/env bash
# `mlink show` on the seed lab: the wg-show shape (interface block, peer blocks, one line per connection), the
# JSON keys scripts rely on, `show` without a name listing every interface, `--watch` redrawing in place and
# ending cleanly (exit 0, cursor restored) on SIGINT, and the private key never printed.
source "$(dirname "$0")/lib-rt.sh"
need_root
seed_lab rtw$$
start_mlink vm1 vm0
in_host vm0 ping -c 20 -i 0.05 -w 10 10.77.0.1 >/dev/null || fail "tunnel did not come up"
sleep 0.5

in_host vm0 "$MLINK" show ml-vm0 >"$TMP/show.txt" || fail "show exited $?"
sed 's/^/  | /' "$TMP/show.txt"
for pattern in '^interface: ml-vm0$' '^  virtual address: 10.77.0.10/24$' '^  public key: ' '^  mode: redundant$' \
               '^peer: router$' '^  latest handshake: ' '^  transfer: .* received, .* sent$' 'duplicates dropped' \
               '^    enp0s3  +192.168.0.2:[0-9]+ -> 192.168.0.3:7000  +(up|degraded) +rtt [0-9.]+ ms +jitter .* loss .* sent .* received .* first [0-9.]+%$'; do
    grep -qE -- "$pattern" "$TMP/show.txt" || fail "show lacks /$pattern/"
done
private=$(sed -nE 's/^private-key: (.*)/\1/p' "$LABDIR/vm0.yaml")
[ -n "$private" ] || fail "no private key in the lab profile"
in_host vm0 "$MLINK" show ml-vm0 --json >"$TMP/show.json" || fail "show --json exited $?"
grep -qF -- "$private" "$TMP/show.txt" "$TMP/show.json" && fail "show printed the private key"
json_query "all(k in d for k in ('interface','public_key','address','mode','peers')) and \
all(all(k in c for k in ('link','local','remote','state','rtt_ms','jitter_ms','loss','tx_bytes','rx_bytes','first_share')) \
    for p in d['peers'] for c in p['connections']) and all(k in d['peers'][0] for k in ('name','public_key','connections'))" \
    <"$TMP/show.json" | grep -qx True || fail "show --json lacks keys: $(cat "$TMP/show.json")"

# Without a name: every running interface in the run directory (vm1's core also lives in it for this check).
MLINK_RUN_DIR=$LABDIR/run/vm1 "$MLINK" show --json | json_query "[d[0]['interface']]" | grep -q ml-vm1 || fail "show (all) on vm1"
in_host vm0 "$MLINK" show | grep -c '^interface: ' | grep -qx 1 || fail "show (all) on vm0"

# --watch: at least two frames in 1.3 s at 0.5 s, each homing the cursor; SIGINT ends it with 0.
# (started directly, not through the in_host function, so that the signal reaches mlink and not a subshell)
ip netns exec "$L-vm0" env MLINK_RUN_DIR="$LABDIR/run/vm0" "$MLINK" show ml-vm0 --watch --interval 0.5 >"$TMP/watch.out" &
watch=$!
sleep 1.3
kill -INT $watch
wait $watch
status=$?
[ $status = 0 ] || fail "show --watch exited $status on SIGINT"
frames=$(grep -o $'\e\\[H' "$TMP/watch.out" | wc -l)
[ "$frames" -ge 3 ] || fail "show --watch drew $frames frames"
tail -c 16 "$TMP/watch.out" | grep -q $'\e\\[?25h' || fail "show --watch did not restore the cursor"
in_host vm0 "$MLINK" show ml-vm0 --watch --interval 0.01 2>/dev/null; [ $? = 64 ] || fail "--interval 0.01 accepted"
note "show --watch: $((frames - 1)) frames in 1.3 s, exit 0 on SIGINT"
pass "show: wg-show shape, JSON keys, all interfaces, --watch in place and clean on SIGINT, no private key"
