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

/// Batch send: `count` datagrams, `bufs[i]` of `lens[i]` bytes to `tos[i]` (`tolens[i]` bytes), with one
/// sendmmsg (MSG_DONTWAIT). Returns how many the kernel took (they are the first ones) or -errno when it took
/// none; EINTR is returned as is, for the caller to retry.
int mlink_send_batch(int fd, const void *const *bufs, const size_t *lens, const struct sockaddr_storage *tos,
                     const socklen_t *tolens, int count, struct mlink_batch_headers *h);

/// UDP GSO: sends `count` buffers as one super-datagram to `to`, which the kernel (or the NIC) cuts into datagrams of
/// `segment` bytes (the last may be shorter): one sendmsg with a UDP_SEGMENT control message. Returns the bytes
/// sent or -errno (EIO or EINVAL: the kernel or driver cannot segment; the caller falls back to sendmmsg).
long mlink_send_segmented(int fd, const void *const *bufs, const size_t *lens, int count,
                          const struct sockaddr_storage *to, socklen_t tolen, uint16_t segment);

/// True when the kernel knows UDP_SEGMENT (Linux 4.18+) on this socket.
int mlink_udp_segment_supported(int fd);

#endif
