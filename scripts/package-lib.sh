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
