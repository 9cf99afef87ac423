# Helpers of the mesh tests (100-104, issue 16): namespaces joined by veth pairs, profiles written by the test,
# one mlink run directory per namespace. Sources lib-rt.sh (and so lib.sh).
source "$(dirname "${BASH_SOURCE[0]}")/lib-rt.sh"

# key NAME: makes NAME's private key ($TMP/NAME.key, 0600) and prints its public key.
key() {
    (umask 077; "$MLINK" genkey >"$TMP/$1.key")
    "$MLINK" pubkey <"$TMP/$1.key"
}

# in_ns NAME COMMAND...: runs COMMAND in namespace $P-NAME with NAME's mlink run directory.
in_ns() {
    local name=$1
    shift
    mkdir -p "$TMP/run-$name"
    ip netns exec "$P-$name" env MLINK_RUN_DIR="$TMP/run-$name" "$@"
}

# up NAME...: `mlink up $TMP/NAME.yaml` in NAME's namespace, in the order given.
up() {
    local name
    for name in "$@"; do
        in_ns "$name" "$MLINK" up "$TMP/$name.yaml" 2>"$TMP/up-$name.err" || { cat "$TMP/up-$name.err"; fail "mlink up $name"; }
    done
}

# status NAME EXPR: evaluates EXPR over NAME's `show --json` (bound to `d`); peers by name in `p`.
status() {
    in_ns "$1" "$MLINK" show "ml-$1" --json 2>/dev/null \
        | python3 -c "import json,sys; d=json.load(sys.stdin); p={x['name']: x for x in d['peers']}; print($2)"
}

# wait_for NAME EXPR SECONDS: polls `status NAME EXPR` every 50 ms until it prints True.
wait_for() {
    local i
    for i in $(seq $(( $3 * 20 ))); do [ "$(status "$1" "$2" 2>/dev/null)" = True ] && return 0; sleep 0.05; done
    return 1
}

# The lab stops only what it started: the cores a test starts in the lab's namespaces are killed here first.
mesh_cleanup() {
    local ns pid
    if [ -n "${P:-}" ]; then
        for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$P-"); do
            for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        done
    fi
    cleanup
}
trap mesh_cleanup EXIT

# mesh_lab TOPOLOGY NAME: builds the lab's namespaces ($NAME-HOST) and wires without profiles or mlink; sets P.
mesh_lab() {
    P=$2
    LABS+=("$P")
    "$LAB" up "$1" --name "$P" --no-start >"$TMP/lab-$P.log" 2>&1 || { cat "$TMP/lab-$P.log"; fail "mlink-lab up --no-start"; }
}
