#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages mlink needs to build, test and run its lab (idempotent; needs root).
set -euo pipefail
packages=(libyaml-dev libmnl-dev libsodium-dev libisal-dev pkg-config iproute2 nftables iperf3 iputils-ping
          wireguard-go wireguard-tools python3 python3-prometheus-client tcpdump procps mandoc
          gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good valgrind linux-perf bird2)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    echo "installing: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { [ -x /opt/swift/usr/bin/swift ] && echo "add /opt/swift/usr/bin to PATH"; echo "mlink needs a Swift 6 toolchain on PATH (swift.org)"; exit 1; }
