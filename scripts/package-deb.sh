#!/usr/bin/env bash
# Builds the Debian package (mlink_VERSION_ARCH.deb) into out/ and runs the packaging gates:
# lintian (no error, no warning left unoverridden), mandoc -T lint on both man pages, and
# systemd-analyze verify on the units as installed by the package.
#
# Usage: scripts/package-deb.sh [--no-clean] [--install-build-deps]
#   --no-clean            reuse .build-deb from the previous run (dpkg-buildpackage -nc)
#   --install-build-deps  apt-get install what the build and the gates need (root)
# The Swift toolchain must be on PATH; /opt/swift/usr/bin is tried when it is not.
# Not part of CI: a release build with the static Swift runtime takes minutes.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

clean=yes
install_deps=no
for arg in "$@"; do
    case $arg in
        --no-clean) clean=no ;;
        --install-build-deps) install_deps=yes ;;
        *) echo "usage: $0 [--no-clean] [--install-build-deps]" >&2; exit 64 ;;
    esac
done

say() { printf '==> %s\n' "$*" >&2; }

if ! command -v swift >/dev/null && [ -x /opt/swift/usr/bin/swift ]; then
    PATH=/opt/swift/usr/bin:$PATH
fi
command -v swift >/dev/null || { echo "$0: no swift on PATH" >&2; exit 69; }

# The gates' tools, beside the Build-Depends that dpkg-checkbuilddeps checks.
gate_packages=(dpkg-dev lintian mandoc systemd)
if [ "$install_deps" = yes ]; then
    build_deps=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' debian/control | sed '1s/^Build-Depends://;$d' \
        | tr ',' '\n' | sed 's/([^)]*)//; s/[[:space:]]//g; /^$/d' | sed 's/^debhelper-compat$/debhelper/')
    say "apt-get install ${gate_packages[*]} $(echo $build_deps)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${gate_packages[@]}" $build_deps
fi
for tool in dpkg-buildpackage lintian mandoc systemd-analyze; do
    command -v "$tool" >/dev/null || { echo "$0: $tool missing; run with --install-build-deps" >&2; exit 69; }
done
# Swift is not a Debian package, hence -d below; everything else the build needs is checked here.
dpkg-checkbuilddeps

version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
deb=out/mlink_${version}_${arch}.deb

say "swift $(swift --version 2>/dev/null | head -1)"
say "dpkg-buildpackage -b -us -uc -d $([ $clean = no ] && echo -nc)"
dpkg-buildpackage -b -us -uc -d $([ "$clean" = no ] && echo -nc)

# dpkg-buildpackage writes next to the source tree; collect the results in out/ (ignored by git).
mkdir -p out
for file in "../mlink_${version}_${arch}".{deb,buildinfo,changes} "../mlink-dbgsym_${version}_${arch}.deb"; do
    [ -e "$file" ] && mv -f "$file" out/
done
say "built $deb ($(du -h "$deb" | cut -f1), installed size $(dpkg-deb -f "$deb" Installed-Size) KiB)"

say "lintian"
lintian --info --display-info --pedantic --fail-on error,warning "$deb"

say "mandoc -T lint"
# Unresolvable cross references depend on which manuals this machine has installed; everything else counts.
lint=$(mandoc -T lint -W style man/mlink.8 man/mlink.yaml.5 2>&1 \
    | grep -v -e 'referenced manual not found' -e 'mandoc.db' || true)
if [ -n "$lint" ]; then
    echo "$lint" >&2
    exit 1
fi

say "systemd-analyze verify"
unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
dpkg-deb -x "$deb" "$unpacked"
# verify checks that the ExecStart= binary exists and that the Documentation= pages resolve: point both at
# the unpacked package. It reads the template for the instance named here.
units=$unpacked/lib/systemd/system
sed -i "s|/usr/bin/mlink|$unpacked/usr/bin/mlink|g" "$units/mlink@.service"
# It exits 0 on many problems (unknown keys, bad values) and only prints them: any output fails the gate.
verify=$(MANPATH="$unpacked/usr/share/man:" systemd-analyze verify "$units/mlink@vm0.service" "$units/mlink.target" 2>&1) \
    || { echo "$verify" >&2; exit 1; }
if [ -n "$verify" ]; then
    echo "$verify" >&2
    exit 1
fi

say "ok: $deb"
