#!/usr/bin/env bash
# Boots a fresh Debian 12 (bookworm) root with systemd in systemd-nspawn, with the package installed, and
# checks the units for real: mlink@vm1 starts (Type=notify, READY=1 from the core) under the unit's full
# hardening, `mlink show` answers, two instances share /run/mlink, stopping one leaves the other alone,
# stopping mlink.target stops every instance and removes interfaces and state, restarts work, and a bad
# profile fails with status 78 without restarting.
#
# Usage: scripts/package-systemd-smoke.sh [--deb PATH]
# Needs root, debootstrap and systemd-container; the container gets its own network namespace (no links, so
# no traffic flows: this tests the service, not the data path). Not part of CI: it takes a few minutes.
set -euo pipefail

suite=bookworm
root_dir=$(cd "$(dirname "$0")/.." && pwd)
cd "$root_dir"
. "$root_dir/scripts/package-lib.sh"

parse_deb_option "$@"

[ "$(id -u)" = 0 ] || { echo "SKIP: $0 needs root (debootstrap, systemd-nspawn)"; exit 77; }
for tool in debootstrap systemd-nspawn; do
    command -v $tool >/dev/null || { echo "$0: $tool missing: apt-get install debootstrap systemd-container" >&2; exit 69; }
done
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun on this machine"; exit 77; }
locate_package
bootstrap_root mlink-systemd-smoke --include=systemd,systemd-sysv,dbus,iproute2
cp "$deb" "$target/tmp/"
say "apt-get install ./$(basename "$deb")"
in_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive in_root apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$deb")" \
    > /dev/null
umount "$target/dev/pts" "$target/proc"

# The profiles: the shipped router and host examples, and one with a misspelt key.
install -m 600 "$target/usr/share/doc/mlink/examples/vm1.yaml" "$target/etc/mlink/vm1.yaml"
install -m 600 "$target/usr/share/doc/mlink/examples/vm0.yaml" "$target/etc/mlink/vm0.yaml"
sed 's/^  address:/  adress:/' "$target/etc/mlink/vm0.yaml" > "$target/etc/mlink/bad.yaml"
chmod 600 "$target/etc/mlink/bad.yaml"
in_root systemctl enable mlink@vm1.service

# Runs inside the container once it has booted, writes its findings to /root/smoke.log, and powers off.
cat > "$target/usr/local/sbin/mlink-smoke" <<'EOF'
#!/bin/bash
exec > /root/smoke.log 2>&1
check() { # description, command...
    local what=$1; shift
    if "$@" > /dev/null 2>&1; then echo "ok: $what"; else echo "not ok: $what"; fi
}
property() { systemctl show -P "$2" "$1"; }
run() { echo "\$ $*"; "$@" 2>&1 | sed 's/^/  /'; }

for _ in $(seq 50); do [ "$(property mlink@vm1 ActiveState)" = activating ] || break; sleep 0.1; done
check "mlink@vm1 (enabled) is active after boot" test "$(property mlink@vm1 ActiveState)" = active
check "mlink@vm1 is Type=notify and reported STATUS=forwarding" \
    test "$(property mlink@vm1 Type)/$(property mlink@vm1 StatusText)" = notify/forwarding
check "ml-vm1 exists with 10.77.0.1/24" sh -c 'ip -o address show dev ml-vm1 | grep -q "10.77.0.1/24"'
run systemctl status --no-pager --lines=0 mlink@vm1
run mlink show vm1
check "mlink show --json answers" sh -c 'mlink show --json ml-vm1 | grep -q "\"interface\" : \"ml-vm1\""'

systemctl start mlink@vm0
check "a second instance, mlink@vm0, is active too" test "$(property mlink@vm0 ActiveState)" = active
run ls -l /run/mlink
systemctl stop mlink@vm0
check "stopping mlink@vm0 removes ml-vm0" sh -c '! ip link show ml-vm0'
check "... and leaves mlink@vm1 and its socket alone" \
    sh -c 'test "$(systemctl show -P ActiveState mlink@vm1)" = active && test -S /run/mlink/ml-vm1.sock'

systemctl stop mlink.target
# The target is stopped first (it is ordered after the instances it wants); the instances follow.
for _ in $(seq 100); do [ "$(property mlink@vm1 ActiveState)" = inactive ] && break; sleep 0.1; done
check "stopping mlink.target stops mlink@vm1" test "$(property mlink@vm1 ActiveState)" = inactive
check "... cleanly (Result=success)" test "$(property mlink@vm1 Result)" = success
check "... and removes ml-vm1" sh -c '! ip link show ml-vm1'
check "... and its state (/run/mlink is kept, empty)" sh -c 'test -d /run/mlink && test -z "$(ls -A /run/mlink)"'

systemctl start mlink.target
check "starting mlink.target starts the enabled mlink@vm1" test "$(property mlink@vm1 ActiveState)" = active
systemctl restart mlink@vm1
check "restart works" test "$(property mlink@vm1 ActiveState)" = active

# The starts so far come close to the default start rate limit (5 in 10 s): forget them.
systemctl reset-failed mlink@vm1
pid=$(property mlink@vm1 MainPID)
systemctl kill --signal=KILL mlink@vm1
for _ in $(seq 150); do
    [ "$(property mlink@vm1 NRestarts)/$(property mlink@vm1 ActiveState)" = 1/active ] && break
    sleep 0.1
done
check "after SIGKILL the core is restarted (Restart=on-failure)" \
    test "$(property mlink@vm1 ActiveState)/$(property mlink@vm1 NRestarts)" = active/1
check "... as a new process, with its interface" \
    sh -c "test $pid != \$(systemctl show -P MainPID mlink@vm1) && ip link show ml-vm1"
run journalctl -b --no-pager -o cat -u mlink@vm1 --grep 'SIGKILL|down|Scheduled restart|status=9'


systemctl start mlink@bad
sleep 3
check "a bad profile fails with status 78" test "$(property mlink@bad ExecMainStatus)" = 78
check "... and is not restarted (RestartPreventExitStatus)" test "$(property mlink@bad NRestarts)" = 0
run journalctl -b --no-pager -o cat -u mlink@bad -u mlink@vm1
run systemd-analyze security --no-pager mlink@vm1
systemctl poweroff
EOF
chmod 755 "$target/usr/local/sbin/mlink-smoke"
cat > "$target/etc/systemd/system/mlink-smoke.service" <<'EOF'
[Unit]
Description=mlink package smoke test
After=multi-user.target mlink@vm1.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/mlink-smoke

[Install]
WantedBy=multi-user.target
EOF
in_root systemctl enable mlink-smoke.service 2>/dev/null

say "systemd-nspawn --boot (private network, /dev/net/tun bound in)"
timeout 300 systemd-nspawn --quiet --directory="$target" --boot --private-network --bind=/dev/net/tun \
    --register=no --keep-unit > "$target.console.log" 2>&1 || true
if [ ! -s "$target/root/smoke.log" ]; then
    tail -30 "$target.console.log"
    rm -f "$target.console.log"
    fail "the container did not run the smoke test"
fi
rm -f "$target.console.log"
cat "$target/root/smoke.log"
failed=$(grep -c '^not ok' "$target/root/smoke.log" || true)
passed=$(grep -c '^ok' "$target/root/smoke.log" || true)
[ "$failed" = 0 ] || fail "$failed of $((passed + failed)) checks failed under systemd (above)"
echo "PASS: $(basename "$deb") under systemd $(in_root dpkg-query -W -f '${Version}' systemd): $passed checks"
