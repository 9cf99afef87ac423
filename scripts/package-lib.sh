# Shared by the scripts/package-*.sh that bootstrap a Debian root: sourced, not run.

# Prints the Debian mirror that apt on this machine uses for $suite's main archive (not -updates or
# -security), read from /etc/apt/sources.list and /etc/apt/sources.list.d/ (one-line and deb822 forms).
mirror_from_apt() {
    local file
    for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$file" ] || continue
        awk -v suite="$suite" '$1 == "deb" {
            n = 2; if ($2 ~ /^\[/) { while ($n !~ /\]$/) n++; n++ }
            if ($(n + 1) == suite) { print $n; exit }
        }' "$file"
    done
    for file in /etc/apt/sources.list.d/*.sources; do
        [ -f "$file" ] || continue
        awk -v suite="$suite" '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && enabled != "no" && (" " suites " ") ~ (" " suite " ") && uris != "") {
                    split(uris, u, " "); print u[1]; found = 1
                }
                types = suites = uris = enabled = ""
            }
            /^[[:space:]]*$/ { flush(); if (found) exit; next }
            /^#/ { next }
            tolower($1) == "types:" { $1 = ""; types = substr($0, 2) }
            tolower($1) == "uris:" { $1 = ""; uris = substr($0, 2) }
            tolower($1) == "suites:" { $1 = ""; suites = substr($0, 2) }
            tolower($1) == "enabled:" { enabled = tolower($2) }
            END { if (!found) flush() }
        ' "$file"
    done
}

say() { printf '==> %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*"; exit 1; }

# Reads the scripts' one option, `--deb PATH`, into $deb (empty: build a package).
parse_deb_option() {
    deb=""
    while [ $# -gt 0 ]; do
        case $1 in
            --deb) deb=$(realpath "$2"); shift 2 ;;
            *) echo "usage: $0 [--deb PATH]" >&2; exit 64 ;;
        esac
    done
}

# Sets $deb to the package under test, building one with scripts/package-deb.sh when none was given.
locate_package() {
    if [ -z "$deb" ]; then
        say "building the package (scripts/package-deb.sh)"
        scripts/package-deb.sh
        deb=$(ls -t out/mlink_*_"$(dpkg --print-architecture)".deb | head -1)
    fi
    [ -f "$deb" ] || fail "no package at '$deb'"
}

# bootstrap_root PREFIX [DEBOOTSTRAP OPTION...]: a fresh minbase $suite root in $target (a new
# /tmp/PREFIX.XXXXXX) from the machine's mirror ($mirror), with /proc, /dev/pts and resolv.conf; removed with
# its mounts when the script exits.
bootstrap_root() {
    local prefix=$1; shift
    mirror=$(mirror_from_apt | head -1)
    [ -n "$mirror" ] || fail "no '$suite' source in /etc/apt/sources.list or /etc/apt/sources.list.d/"
    target=$(mktemp -d "/tmp/$prefix.XXXXXX")
    trap remove_root EXIT
    say "debootstrap --variant=minbase $* $suite $target $mirror"
    debootstrap --variant=minbase "$@" "$suite" "$target" "$mirror" > "$target.debootstrap.log" 2>&1 \
        || { tail -20 "$target.debootstrap.log"; rm -f "$target.debootstrap.log"; fail "debootstrap failed"; }
    rm -f "$target.debootstrap.log"
    chmod 755 "$target"  # apt downloads as _apt, who must reach the root's cache
    mount -t proc proc "$target/proc"
    mount --bind /dev/pts "$target/dev/pts"
    cp /etc/resolv.conf "$target/etc/resolv.conf"
}

remove_root() {
    local mount
    for mount in dev/pts proc; do
        if mountpoint -q "$target/$mount"; then umount "$target/$mount"; fi
    done
    rm -rf "$target"
}

in_root() { chroot "$target" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
