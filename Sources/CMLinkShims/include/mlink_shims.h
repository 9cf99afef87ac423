#ifndef MLINK_SHIMS_H
#define MLINK_SHIMS_H
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <spawn.h>

/// Kernel headers for batched socket calls, owned by C so Swift needs no GNU-only types.
struct mlink_batch_headers;

/// Allocates headers for batches of up to `count` datagrams; NULL when out of memory.
struct mlink_batch_headers *mlink_batch_headers_new(int count);

/// Frees what mlink_batch_headers_new allocated.
void mlink_batch_headers_free(struct mlink_batch_headers *h);

/// Opens /dev/net/tun and attaches a TUN device named `name` (IFF_TUN | IFF_NO_PI, plus IFF_VNET_HDR when
/// `vnet_hdr` is set). Returns the descriptor or -errno. On success the kernel's chosen name is copied back.
int mlink_tun_open(char name[16], int vnet_hdr);

/// Batch receive: up to `count` datagrams into `bufs[i]` of `cap` bytes each; `lens[i]` and `froms[i]` filled.
/// Uses recvmmsg with MSG_DONTWAIT, once. Returns the number of datagrams or -errno (-EINTR included: the Swift
/// caller retries it through Syscall); `h` holds the kernel headers.
int mlink_recv_batch(int fd, unsigned char **bufs, size_t cap, size_t *lens,
                     struct sockaddr_storage *froms, int count, struct mlink_batch_headers *h);

/// pipe2(O_CLOEXEC): both ends close on exec. Returns 0 or -errno.
int mlink_pipe_cloexec(int fds[2]);

/// eventfd(initval, EFD_NONBLOCK | EFD_CLOEXEC) (Glibc's module map lacks sys/eventfd.h). Returns the
/// descriptor or -errno.
int mlink_eventfd(unsigned int initval);

/// posix_spawnattr flag that starts the child in a new session (glibc's POSIX_SPAWN_SETSID).
int mlink_spawn_setsid_flag(void);

/// libFuzzer's driver (compiler-rt), declared for the fuzz targets only: they call it from their own entry point
/// when built by scripts/fuzz.sh, because SwiftPM names an executable's entry point itself. Nothing else calls it,
/// so normal builds never need the symbol.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

/// Batch send: `count` datagrams of `lens[i]` bytes to `tos[i]` (`tolens[i]` bytes), with one sendmmsg
/// (MSG_DONTWAIT). Datagram i is `heads[i]` when `bodies[i]` is NULL, else the `head_lens[i]` bytes at `heads[i]`
/// followed by the rest at `bodies[i]` (two iovec entries: copies of one packet share its sealed body). Returns how
/// many the kernel took (they are the first ones) or -errno when it took none; EINTR is returned as is, for the
/// caller to retry.
int mlink_send_batch(int fd, const void *const *heads, const size_t *head_lens, const void *const *bodies,
                     const size_t *lens, const struct sockaddr_storage *tos, const socklen_t *tolens, int count,
                     struct mlink_batch_headers *h);

/// TUN offload flags for TUNSETOFFLOAD (linux/if_tun.h; USO4/6 are missing from Debian 12's 6.1 headers).
#define MLINK_TUN_F_CSUM 0x01
#define MLINK_TUN_F_TSO4 0x02
#define MLINK_TUN_F_TSO6 0x04
#define MLINK_TUN_F_USO4 0x20
#define MLINK_TUN_F_USO6 0x40

/// Asks the kernel to hand the TUN device `fd` packets with these offloads (checksum left partial, TCP super-
/// packets up to 64 KiB); needs IFF_VNET_HDR. Returns 0 or -errno (EINVAL: the kernel lacks one of them).
int mlink_tun_set_offload(int fd, unsigned int flags);

/// The IFF_* flags of the TUN device `fd` (TUNGETIFF), or -errno.
int mlink_tun_flags(int fd);

/// IFF_VNET_HDR, for testing `mlink_tun_flags`.
int mlink_tun_vnet_hdr_flag(void);

/// UDP GSO: sends `count` buffers as one super-datagram to `to`, which the kernel (or the NIC) cuts into datagrams of
/// `segment` bytes (the last may be shorter): one sendmsg with a UDP_SEGMENT control message. Returns the bytes
/// sent or -errno (EIO or EINVAL: the kernel or driver cannot segment; the caller falls back to sendmmsg).
/// Datagram i is given as in mlink_send_batch (head, optional shared body); at most 128 datagrams.
long mlink_send_segmented(int fd, const void *const *heads, const size_t *head_lens, const void *const *bodies,
                          const size_t *lens, int count, const struct sockaddr_storage *to, socklen_t tolen,
                          uint16_t segment);

/// Like mlink_recv_batch, and with UDP GRO on the socket: `segments[i]` is the size of the datagrams the kernel
/// coalesced into buffer i (every one that size but the last, which may be shorter), 0 when it holds one datagram.
int mlink_recv_batch_segments(int fd, unsigned char **bufs, size_t cap, size_t *lens,
                              struct sockaddr_storage *froms, uint16_t *segments, int count,
                              struct mlink_batch_headers *h);

/// Turns UDP GRO on (Linux 5.0+): reads may return several datagrams from one sender coalesced. 0 or -errno.
int mlink_udp_enable_gro(int fd);

/// True when the kernel knows UDP_SEGMENT (Linux 4.18+) on this socket.
int mlink_udp_segment_supported(int fd);

/// The link emulator's calls (mlink-lab _relay, through MLinkSystem's PacketSocket and TimerDescriptor): AF_PACKET,
/// timerfd and timer slack, which Swift's Glibc module does not expose. Each returns a value or -errno.

/// Size of the virtio_net_hdr in front of every frame read or written on a packet socket opened below.
#define MLINK_PACKET_VNET_HDR_LEN 10

/// Opens a non-blocking, close-on-exec AF_PACKET SOCK_RAW socket bound to interface `name` for every
/// protocol, with PACKET_VNET_HDR (checksum-offloaded frames keep their offload state across the relay),
/// PACKET_IGNORE_OUTGOING (we never read what we send) and PACKET_QDISC_BYPASS, and a `rcvbuf`-byte receive
/// buffer. Returns the descriptor or -errno.
int mlink_packet_open(const char *name, int rcvbuf);

/// A non-blocking, close-on-exec CLOCK_MONOTONIC timerfd. Returns the descriptor or -errno.
int mlink_timer_open(void);

/// Arms the timer to fire once at absolute CLOCK_MONOTONIC time `at_ns` (at least 1), or disarms it for 0.
/// Returns 0 or -errno.
int mlink_timer_arm(int fd, int64_t at_ns);

/// Sets this thread's timer slack to 1 ns so that timerfd wake-ups are not coalesced (default 50 us).
void mlink_set_precise_timer_slack(void);

#endif
