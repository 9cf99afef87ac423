#!/usr/bin/env bash
# Installs the package on a freshly bootstrapped Debian 12 (bookworm, minbase) and removes it again:
# apt resolves the Depends for real, the installed mlink runs (--version, genkey | pubkey, check of a
# shipped example), and after purge nothing may be left but what policy allows (dpkg's and apt's own
# records, logs and caches). The root is a temporary folder, removed at the end.
#
# Usage: scripts/package-clean-install.sh [--deb PATH]
#   --deb PATH  test this .deb instead of building one with scripts/package-deb.sh
# Needs root and the debootstrap package. The mirror is the one apt on this machine already uses
# (/etc/apt/sources.list, /etc/apt/sources.list.d/). Not part of CI: it takes several minutes.
set -euo pipefail

suite=bookworm
root_dir=$(cd "$(dirname "$0")/.." && pwd)
cd "$root_dir"
. "$root_dir/scripts/package-lib.sh"

parse_deb_option "$@"

[ "$(id -u)" = 0 ] || { echo "SKIP: $0 needs root (debootstrap, chroot)"; exit 77; }
command -v debootstrap >/dev/null || { echo "$0: debootstrap missing: apt-get install debootstrap" >&2; exit 69; }

locate_package
bootstrap_root mlink-clean-install
in_root apt-get update -qq

# Everything but the kernel's file systems and what is meant to change (dpkg's and apt's records, logs, caches).
snapshot() {
    (cd "$target" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./sys -o -path ./run -o -path ./tmp \) -prune \
        -o -print | sort)
}
snapshot > "$target/tmp/before.files"
in_root dpkg-query -W -f '${Package} ${Version}\n' | sort > "$target/tmp/before.packages"

say "apt-get install ./$(basename "$deb")"
cp "$deb" "$target/tmp/"
DEBIAN_FRONTEND=noninteractive in_root apt-get install -y --no-install-recommends "/tmp/$(basename "$deb")" \
    | grep -E '^(Setting up|The following|  )' || true
in_root dpkg-query -W -f '${Package} ${Version} ${Status}\n' mlink

say "mlink --version"
in_root mlink --version
say "mlink genkey | mlink pubkey"
in_root sh -c 'umask 077; mlink genkey > /tmp/key && mlink pubkey < /tmp/key'
say "mlink check /usr/share/doc/mlink/examples/vm0.yaml"
in_root mlink check /usr/share/doc/mlink/examples/vm0.yaml 2>&1
say "installed files"
in_root stat -c '%A %U:%G %n' /etc/mlink /usr/bin/mlink /lib/systemd/system/mlink@.service \
    /lib/systemd/system/mlink.target /usr/share/bash-completion/completions/mlink
[ "$(in_root stat -c %a /etc/mlink)" = 700 ] || fail "/etc/mlink is not mode 0700"
echo "enabled by the package: $(in_root ls /etc/systemd/system/multi-user.target.wants/ | grep mlink | tr '\n' ' ')"

say "apt-get purge mlink; apt-get autoremove --purge"
DEBIAN_FRONTEND=noninteractive in_root apt-get purge -y mlink | grep -E '^(Removing|Purging)' || true
DEBIAN_FRONTEND=noninteractive in_root apt-get autoremove --purge -y | grep -E '^(Removing|Purging)' || true

say "what is left"
in_root dpkg-query -W -f '${Package} ${Version}\n' | sort > "$target/tmp/after.packages"
if ! diff -u "$target/tmp/before.packages" "$target/tmp/after.packages"; then
    fail "the set of installed packages changed"
fi
snapshot > "$target/tmp/after.files"
left=$(comm -13 "$target/tmp/before.files" "$target/tmp/after.files" \
    | grep -vE '^\./(var/lib/dpkg|var/lib/apt|var/cache|var/log)(/|$)' || true)
if [ -n "$left" ]; then
    echo "$left"
    fail "files left after purge (above)"
fi
echo "new paths after purge, all allowed (apt's cache, records and logs):"
comm -13 "$target/tmp/before.files" "$target/tmp/after.files" | sed 's/^/  /'
gone=$(comm -23 "$target/tmp/before.files" "$target/tmp/after.files" \
    | grep -vE '^\./(var/lib/dpkg|var/lib/apt|var/cache|var/log)(/|$)' || true)
[ -z "$gone" ] || { echo "$gone"; fail "files that were there before the install are gone (above)"; }

echo "PASS: clean install of $(basename "$deb") on $suite minbase ($mirror): installed, ran, purged, nothing left"
