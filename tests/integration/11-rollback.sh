#!/usr/bin/env bash
# A failure half way through `up` (a route that already exists) rolls back everything; an existing interface is refused.
source "$(dirname "$0")/lib.sh"
need_root
NS=mlt-rollback-$$
new_ns "$NS"
export MLINK_RUN_DIR=$TMP/run
ip -n "$NS" link add enp0s3 type veth peer name enp0s3p && ip -n "$NS" link set enp0s3p up && ip -n "$NS" addr add 192.168.0.2/24 dev enp0s3 && ip -n "$NS" link set enp0s3 up
# The host profile gets an extra router route that collides with one the namespace already has.
sed -e 's/links: .*/links: [enp0s3]/' -e 's#^  virtual-ip: \(.*\)#  virtual-ip: \1\n  routes: [10.99.0.0/24]#' \
    "$ROOT/examples/vm0.yaml" > "$TMP/vm0.yaml"
chmod 600 "$TMP/vm0.yaml"
grep -q "routes: \[10.99.0.0/24\]" "$TMP/vm0.yaml" || fail "could not add routes to the test profile"
ip -n "$NS" route add 10.99.0.0/24 dev lo
links_before=$(ip -n "$NS" -j link | json_query "sorted(l['ifname'] for l in d)")

ip netns exec "$NS" "$MLINK" up "$TMP/vm0.yaml" 2>"$TMP/up.err"
status=$?
[ $status = 71 ] || { cat "$TMP/up.err"; fail "up should fail with 71, got $status"; }
grep -q "File exists" "$TMP/up.err" || { cat "$TMP/up.err"; fail "error does not say why"; }
grep -q '^\[#\] ip link delete dev ml-vm0' "$TMP/up.err" || { cat "$TMP/up.err"; fail "rollback not echoed"; }
[ "$(ip -n "$NS" -j link | json_query "sorted(l['ifname'] for l in d)")" = "$links_before" ] || fail "interface left behind"
[ -z "$(ip -n "$NS" route show proto 109)" ] || fail "routes left behind"
[ -z "$(ls -A "$MLINK_RUN_DIR" 2>/dev/null)" ] || fail "files left behind: $(ls "$MLINK_RUN_DIR")"
ip -n "$NS" route show 10.99.0.0/24 | grep -q "dev lo" || fail "the pre-existing route was touched"

# An interface that already exists is refused and left alone.
ip -n "$NS" route del 10.99.0.0/24 dev lo
ip -n "$NS" link add ml-vm0 type veth peer name ml-vm0p
ip netns exec "$NS" "$MLINK" up "$TMP/vm0.yaml" 2>"$TMP/up2.err" && fail "up over an existing interface succeeded"
grep -q "already exists" "$TMP/up2.err" || { cat "$TMP/up2.err"; fail "no clear message for an existing interface"; }
ip -n "$NS" link show ml-vm0 | grep -q ml-vm0 || fail "the existing interface was removed"
pass "failed up rolled back (interface, routes, files); existing interface refused and kept"
