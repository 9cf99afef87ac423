# Helpers of the 5x tests: a seed lab (examples/lab/seed.yaml) whose profiles a test edits before it starts
# mlink itself. Sourced after nothing else; sources lib.sh. `mlink-lab down` (at exit) stops what runs.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# seed_lab NAME [TOPOLOGY]: builds lab NAME (default topology: the seed) without starting mlink; sets L (the
# lab) and LABDIR (its folder).
seed_lab() {
    L=$1
    LABS+=("$L")
    "$LAB" up "${2:-$ROOT/examples/lab/seed.yaml}" --name "$L" --no-start >"$TMP/lab-$L.log" 2>&1 \
        || { cat "$TMP/lab-$L.log"; fail "mlink-lab up --no-start"; }
    LABDIR=$(sed -nE 's#.*write (/[^ ]*)/vm0\.key .*#\1#p' "$TMP/lab-$L.log" | head -1)
    [ -f "$LABDIR/vm0.yaml" ] || fail "cannot find the lab's profiles (looked in '$LABDIR')"
}

# in_host HOST COMMAND...: runs COMMAND in HOST's namespace with HOST's mlink run directory.
in_host() {
    local host=$1
    shift
    ip netns exec "$L-$host" env MLINK_RUN_DIR="$LABDIR/run/$host" "$@"
}

# start_mlink HOST...: `mlink up` each host's (possibly edited) profile, in the order given.
start_mlink() {
    local host
    for host in "$@"; do
        mkdir -p "$LABDIR/run/$host"
        in_host "$host" "$MLINK" up "$LABDIR/$host.yaml" 2>"$TMP/up-$host.err" \
            || { cat "$TMP/up-$host.err"; fail "mlink up $host"; }
    done
}

# show_json HOST: `mlink show --json` of HOST's interface.
show_json() { in_host "$1" "$MLINK" show "ml-$1" --json; }

# now_ms: milliseconds since the epoch.
now_ms() { date +%s%3N; }

# The routed labs (5x-routed-*.sh): namespaces $H (the host, links h1 and h2) and $R (the router, link r0).

# veth NS1 IF1 NS2 IF2: a veth pair between two namespaces.
veth() { ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || fail "veth $2-$4"; }

# addr NS IF ADDRESS/PREFIX: assigns the address (IPv6 without duplicate detection) and brings IF up.
addr() {
    local nodad=""
    case $3 in *:*) nodad=nodad;; esac
    ip -n "$1" address add "$3" dev "$2" $nodad && ip -n "$1" link set "$2" up || fail "address $3 on $1 $2"
}

# routed_profiles ENDPOINTS: writes $TMP/rth.yaml (links h1 and h2, the router at ENDPOINTS, a YAML list) and
# $TMP/rtr.yaml (link r0), with new keys.
routed_profiles() {
    local hkey rkey hpub rpub
    hkey=$("$MLINK" genkey); rkey=$("$MLINK" genkey)
    hpub=$(echo "$hkey" | "$MLINK" pubkey); rpub=$(echo "$rkey" | "$MLINK" pubkey)
    (umask 077
     printf '%s\n' "name: rth" "private-key: $hkey" "interface: {name: ml-rth, address: 10.77.0.10/24}" \
         "links: [h1, h2]" "router:" "  public-key: $rpub" "  endpoints: $1" "  virtual-ip: 10.77.0.1" >"$TMP/rth.yaml"
     printf '%s\n' "name: rtr" "role: router" "private-key: $rkey" "listen-port: 7000" \
         "interface: {name: ml-rtr, address: 10.77.0.1/24}" "links: [r0]" "peers:" \
         "  - {name: rth, public-key: $hpub, allowed-ips: [10.77.0.10/32]}" >"$TMP/rtr.yaml")
}

# host|router COMMAND...: runs COMMAND in the host's or the router's namespace with its mlink run directory.
host() { ip netns exec "$H" env MLINK_RUN_DIR="$TMP/run-h" "$@"; }
router() { ip netns exec "$R" env MLINK_RUN_DIR="$TMP/run-r" "$@"; }

# seed_lab_10ms NAME: the seed lab with vm0's net0 and net1 through the emulator at 10 ms each way (20 ms RTT);
# not started (edit $LABDIR's profiles, then start_mlink).
seed_lab_10ms() {
    sed -E 's/^(  net[01]: \{ends: \[.*\])\}$/\1, emulate: {delay: 10ms}}/' "$ROOT/examples/lab/seed.yaml" >"$TMP/seed10.yaml"
    [ "$(grep -c 'emulate: {delay: 10ms}' "$TMP/seed10.yaml")" = 2 ] || fail "could not emulate net0 and net1"
    seed_lab "$1" "$TMP/seed10.yaml"
}
