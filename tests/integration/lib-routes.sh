# Helpers of the route tests (75-79, issue 13): a seed lab whose profiles the test extends with route keys, a LAN
# namespace behind a host, and polling of kernel routes. Sources lib-rt.sh (and so lib.sh).
source "$(dirname "${BASH_SOURCE[0]}")/lib-rt.sh"

# allow_routes HOST LIST: adds `allowed-routes: LIST` to HOST's entry in the router vm1's profile.
allow_routes() {
    sed -i -E "s#^(  - \{name: $1, .*allowed-ips: \[[^]]*\])\}#\1, allowed-routes: $2}#" "$LABDIR/vm1.yaml"
    grep -q "name: $1, .*allowed-routes: " "$LABDIR/vm1.yaml" || fail "could not add allowed-routes for $1: $(cat "$LABDIR/vm1.yaml")"
}

# add_lan HOST LAN-NS GATEWAY/PREFIX ADDRESS/PREFIX: a namespace LAN-NS behind HOST on a veth (HOST side `lan0`,
# GATEWAY; LAN side `eth0`, ADDRESS, default route via GATEWAY); HOST forwards.
add_lan() {
    new_ns "$2"
    veth "$L-$1" lan0 "$2" eth0
    addr "$L-$1" lan0 "$3"
    addr "$2" eth0 "$4"
    ip -n "$2" route add default via "${3%/*}" || fail "default route in $2"
    ip netns exec "$L-$1" sysctl -qw net.ipv4.ip_forward=1
}

# mlink_routes HOST: HOST's proto-109 routes through its TUN, one prefix a line.
mlink_routes() { ip -n "$L-$1" route show proto 109 dev "ml-$1" 2>/dev/null | awk '{print $1}' | sort; }

# wait_route HOST PREFIX present|absent [SECONDS]: polls every 10 ms; prints the milliseconds it took.
wait_route() {
    local host=$1 prefix=$2 want=$3 limit=$(( ${4:-5} * 1000 )) start now
    start=$(now_ms)
    while :; do
        if mlink_routes "$host" | grep -qx "$prefix"; then [ "$want" = present ] && break
        else [ "$want" = absent ] && break; fi
        now=$(now_ms)
        [ $(( now - start )) -ge "$limit" ] && { echo "never"; return 1; }
        sleep 0.01
    done
    echo $(( $(now_ms) - start ))
}

# routes_json HOST EXPR: evaluates EXPR over HOST's `show --json` routes object (bound to `r`).
routes_json() { show_json "$1" | python3 -c "import json,sys; r=json.load(sys.stdin).get('routes') or {}; print($2)"; }
