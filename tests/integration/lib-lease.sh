# Helpers of the lease tests (7x-lease-*.sh): a router namespace and host namespaces joined by veth pairs, each
# host on its own /30 (10.9.N.0/30: the router .1, the host .2), profiles with `address: auto` and an
# address-pool. Sources lib-rt.sh (veth, addr) and lib.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib-rt.sh"

# lease_router NS POOL_LINE [LEASE_TIME]: writes $TMP/lr.yaml (router ml-lr, 10.77.0.1/24, every link) with
# the address-pool mapping POOL_LINE; peers are appended by lease_host. Sets RKEY_PUB.
lease_router() {
    LR_NS=$1
    local rkey
    rkey=$("$MLINK" genkey); RKEY_PUB=$(echo "$rkey" | "$MLINK" pubkey)
    (umask 077
     printf '%s\n' "name: lr" "role: router" "private-key: $rkey" "listen-port: 7000" \
         "interface: {name: ml-lr, address: 10.77.0.1/24}" "address-pool: $2" "peers:" >"$TMP/lr.yaml")
}

# lease_host N [ALLOWED]: namespace lh<N>$$ with link h0 (10.9.N.2/30) to the router's r<N> (10.9.N.1/30),
# profile $TMP/lh<N>.yaml with address: auto, and its peer entry in the router profile (with allowed-ips
# ALLOWED when given: a reservation).
lease_host() {
    local n=$1 ns="lh$1$$" hkey hpub
    new_ns "$ns"
    veth "$ns" h0 "$LR_NS" "r$n"
    addr "$ns" h0 "10.9.$n.2/30"; addr "$LR_NS" "r$n" "10.9.$n.1/30"
    hkey=$("$MLINK" genkey); hpub=$(echo "$hkey" | "$MLINK" pubkey)
    (umask 077
     printf '%s\n' "name: lh$n" "private-key: $hkey" "interface: {name: ml-lh, address: auto}" "links: [h0]" \
         "router:" "  public-key: $RKEY_PUB" "  endpoints: [10.9.$n.1:7000]" "  virtual-ip: 10.77.0.1" \
         "keepalive: 25" >"$TMP/lh$n.yaml"
     if [ $# -ge 2 ]; then echo "  - {name: lh$n, public-key: $hpub, allowed-ips: [$2]}"
     else echo "  - {name: lh$n, public-key: $hpub}"; fi >>"$TMP/lr.yaml")
}

# on_router|on_host N COMMAND...: COMMAND in that namespace with its own run and state directories.
on_router() { ip netns exec "$LR_NS" env MLINK_RUN_DIR="$TMP/run-r" MLINK_STATE_DIR="$TMP/state-r" "$@"; }
on_host() {
    local n=$1
    shift
    ip netns exec "lh$n$$" env MLINK_RUN_DIR="$TMP/run-h$n" MLINK_STATE_DIR="$TMP/state-h$n" "$@"
}

# leased N: the IPv4 address (with prefix) on host N's ml-lh, or nothing.
leased() { ip -n "lh$1$$" -4 -o addr show dev ml-lh 2>/dev/null | awk '{print $4}' | head -1; }

# wait_lease N TIMEOUT_MS: waits until host N has an address; prints the milliseconds it took; fails after.
wait_lease() {
    local start now
    start=$(now_ms)
    while :; do
        [ -n "$(leased "$1")" ] && { echo $(($(now_ms) - start)); return 0; }
        now=$(now_ms)
        [ $((now - start)) -gt "$2" ] && return 1
        sleep 0.01
    done
}
