#ifndef MLINK_LAB_SHIMS_H
#define MLINK_LAB_SHIMS_H
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <signal.h>

/// The link emulator's (mlink-lab _relay) calls that Swift's Glibc module does not expose: AF_PACKET,
/// recvmmsg, timerfd and CLOCK_MONOTONIC in nanoseconds. Each returns a value or -errno.

/// Size of the virtio_net_hdr in front of every frame read or written on a relay socket.
#define MLINK_LAB_VNET_HDR_LEN 10

/// Opens a non-blocking, close-on-exec AF_PACKET SOCK_RAW socket bound to interface `name` for every
/// protocol, with PACKET_VNET_HDR (checksum-offloaded frames keep their offload state across the relay),
/// PACKET_IGNORE_OUTGOING (we never read what we send) and PACKET_QDISC_BYPASS, and a `rcvbuf`-byte receive
/// buffer. Returns the descriptor or -errno.
int mlink_lab_packet_open(const char *name, int rcvbuf);

/// Reads up to `count` frames (recvmmsg, MSG_DONTWAIT) into `bufs[i]` of `cap` bytes; `lens[i]` is the
/// length, or 0 for a frame that was truncated. Returns the number of frames, 0 when none is waiting, or -errno.
int mlink_lab_recv_batch(int fd, unsigned char *const *bufs, size_t cap, uint32_t *lens, int count);

/// Sends one frame (with its vnet header) on a bound packet socket. Returns 0 or -errno.
int mlink_lab_send(int fd, const unsigned char *buf, size_t len);

/// CLOCK_MONOTONIC in nanoseconds: the clock every lab namespace shares.
int64_t mlink_lab_now_ns(void);

/// A non-blocking CLOCK_MONOTONIC timerfd. Returns the descriptor or -errno.
int mlink_lab_timer_open(void);

/// Arms the timer to fire once at absolute CLOCK_MONOTONIC time `at_ns` (at least 1), or disarms it for 0.
int mlink_lab_timer_arm(int fd, int64_t at_ns);

/// Blocks `signals` (NULL-terminated by 0) and returns a non-blocking signalfd for them, or -errno.
int mlink_lab_signal_open(const int *signals, int count);

/// Sets this thread's timer slack to 1 ns so that timerfd wake-ups are not coalesced (default 50 us).
void mlink_lab_precise_timers(void);

#endif
