#!/usr/bin/env bash
# The real client under the outage scenario (issue 5): scripts/rtp-outage.sh sends 15 s of VP8 video over RTP
# with GStreamer from VM0 to VM2, over net0 alone and through mlink at once, while net0 is cut from 5 s to 10 s.
# Passes when mlink delivers every RTP packet and VM2's decoder outputs every frame (the single link loses a
# third of both). Skips when GStreamer is not installed (scripts/install-deps.sh installs it). About 30 s.
source "$(dirname "$0")/lib.sh"
need_root
L=emrtp$$
LABS+=("$L")
MLINK_LAB_BIN=$LAB RTP_LAB=$L "$ROOT/scripts/rtp-outage.sh" >"$TMP/rtp.txt" 2>&1
status=$?
sed 's/^/  /' "$TMP/rtp.txt"
[ "$status" = 77 ] && skip "$(sed -n "s/^SKIP: //p" "$TMP/rtp.txt")"
[ "$status" = 0 ] || fail "mlink lost RTP packets or frames during the outage"
pass "RTP video through the outage: mlink lost no packet and no frame"
