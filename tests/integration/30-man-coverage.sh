#!/usr/bin/env bash
# The man pages document the whole interface: every subcommand and option that `mlink --help` lists, every
# profile key the loader knows, every exit status and environment variable the code uses, and the version.
# Also runs `mandoc -T lint` on both pages when mandoc is installed. Needs no root.
#
# MLINK_BIN: the binary whose help is read (default .build/debug/mlink).
# Exit status: 0 pass, 1 fail, 77 skip (no binary). Prints one line, PASS: or FAIL: (details on stderr).
set -uo pipefail

name=30-man-coverage
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
bin=${MLINK_BIN:-.build/debug/mlink}
page8=man/mlink.8
page5=man/mlink.yaml.5
sources=Sources/MLinkConfig

if [ ! -x "$bin" ]; then
    echo "SKIP: $name: no mlink binary at $bin (build it, or set MLINK_BIN)"
    exit 77
fi

problems=()
missing() { problems+=("$1"); echo "$name: $1" >&2; }

for page in "$page8" "$page5"; do
    [ -f "$page" ] || { echo "FAIL: $name: $page does not exist"; exit 1; }
done

# True when the man page source has an mdoc macro line `MACRO WORD` (or `MACRO \-WORD` for flags).
documents() { # page macro word
    grep -qE "(^\.|[[:space:]])$2 $(sed 's/[.[\*^$]/\\&/g; s/^-/\\\\?-/' <<<"$3")([[:space:]]|$)" "$1"
}

# Subcommands: the SUBCOMMANDS block of `mlink --help`, two-space indented names up to the blank line.
help=$("$bin" --help 2>&1) || { echo "FAIL: $name: $bin --help failed"; exit 1; }
subcommands=$(awk '/^SUBCOMMANDS:/ { inside = 1; next } inside && /^$/ { exit }
                   inside && /^  [a-z][a-z0-9-]*( |$)/ { print $1 }' <<<"$help")
[ -n "$subcommands" ] || missing "no SUBCOMMANDS found in '$bin --help'"
options=$(grep -oE '^  (-[a-zA-Z], )?--[a-z0-9-]+' <<<"$help" | grep -oE -- '--[a-z0-9-]+')
for subcommand in $subcommands; do
    documents "$page8" Cm "$subcommand" || missing "$page8: subcommand '$subcommand' (.Cm $subcommand)"
    sub_help=$("$bin" help "$subcommand" 2>&1)
    options+=$'\n'$(grep -oE '^  (-[a-zA-Z], )?--[a-z0-9-]+' <<<"$sub_help" | grep -oE -- '--[a-z0-9-]+')
done
for option in $(sort -u <<<"$options"); do
    # Fl adds one dash: `.Fl \-json` is --json.
    documents "$page8" Fl "${option#-}" || missing "$page8: option '$option' (.Fl ${option#-})"
done

# Profile keys: the known-key arrays the loader checks unknown keys against (`static let ...Keys = [...]`).
# A key listed in several blocks (`name`) needs an item in each.
keys=$(awk '/static let [a-zA-Z]*Keys *= *\[/ { inside = 1 } inside { print } inside && /\]/ { inside = 0 }' \
    "$sources"/*.swift | grep -oE '"[a-z][a-z0-9-]*"' | tr -d '"')
[ "$(wc -w <<<"$keys")" -ge 10 ] || missing "found only $(wc -w <<<"$keys") profile keys in $sources (expected the known-key arrays)"
while read -r count key; do
    documented=$(grep -cE "^\.It Ic $key([[:space:]]|$)" "$page5")
    [ "$documented" -ge "$count" ] || missing "$page5: key '$key' has $documented of $count items (.It Ic $key)"
done < <(sort <<<"$keys" | uniq -c)

# Exit statuses: the ExitStatus constants of the CLI.
codes=$(grep -hoE 'static let [a-zA-Z]+: Int32 = [0-9]+' Sources/MLinkCLI/*.swift | awk '{ print $NF }')
[ -n "$codes" ] || missing "no ExitStatus constants found in Sources/MLinkCLI"
for code in 0 $codes; do
    sed -n '/^\.Sh EXIT STATUS/,/^\.Sh /p' "$page8" | grep -qE "^\.It $code$" || missing "$page8: EXIT STATUS $code"
done

# Environment variables the packaged code reads (the lab is not packaged and has its own).
for variable in $(grep -rhoE '"MLINK_[A-Z_]+"' Sources --include=*.swift --exclude-dir=MLinkLab --exclude-dir=mlink-lab \
                  | tr -d '"' | sort -u); do
    documents "$page8" Ev "$variable" || missing "$page8: environment variable $variable (.Ev $variable)"
done

# The pages name the version they describe.
version=$("$bin" --version 2>&1)
for page in "$page8" "$page5"; do
    grep -qxF ".Os mlink $version" "$page" || missing "$page: .Os mlink $version (the version of $bin)"
done

# mandoc: everything but cross references to manuals this machine happens not to have.
linted=""
if command -v mandoc >/dev/null; then
    lint=$(mandoc -T lint -W style "$page8" "$page5" 2>&1 | grep -v -e 'referenced manual not found' -e 'mandoc.db')
    if [ -n "$lint" ]; then
        while IFS= read -r line; do missing "$line"; done <<<"$lint"
    fi
    linted=", mandoc -T lint clean"
fi

if [ ${#problems[@]} -gt 0 ]; then
    echo "FAIL: $name: ${#problems[@]} problem(s): ${problems[0]}$([ ${#problems[@]} -gt 1 ] && echo '; ...')"
    exit 1
fi
echo "PASS: $name: $(wc -w <<<"$subcommands") subcommands, $(sort -u <<<"$options" | grep -c .) options," \
     "$(sort -u <<<"$keys" | wc -l) profile keys, exit statuses and environment documented$linted"
exit 0
