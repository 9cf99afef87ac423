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
