#define _GNU_SOURCE
#include "mlink_lab_shims.h"
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>

int mlink_lab_packet_open(const char *name, int rcvbuf) {
    unsigned int index = if_nametoindex(name);
    if (index == 0) return -errno;
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) return -errno;
    int on = 1;
    if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &on, sizeof on) < 0) goto fail;
    if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &on, sizeof on) < 0) goto fail;
    (void)setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &on, sizeof on);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_ll address;
    memset(&address, 0, sizeof address);
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(ETH_P_ALL);
    address.sll_ifindex = (int)index;
    if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) goto fail;
    return fd;
fail:;
    int saved = errno;
    close(fd);
    return -saved;
}

int mlink_lab_recv_batch(int fd, unsigned char *const *bufs, size_t cap, uint32_t *lens, int count) {
    if (count <= 0) return 0;
    if (count > 64) count = 64;
    struct mmsghdr headers[64];
    struct iovec vectors[64];
    memset(headers, 0, sizeof(struct mmsghdr) * (size_t)count);
    for (int i = 0; i < count; i++) {
        vectors[i].iov_base = bufs[i];
        vectors[i].iov_len = cap;
        headers[i].msg_hdr.msg_iov = &vectors[i];
        headers[i].msg_hdr.msg_iovlen = 1;
    }
    int n;
    do { n = recvmmsg(fd, headers, (unsigned int)count, MSG_DONTWAIT, NULL); } while (n < 0 && errno == EINTR);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
    for (int i = 0; i < n; i++)
        lens[i] = (headers[i].msg_hdr.msg_flags & MSG_TRUNC) ? 0 : headers[i].msg_len;
    return n;
}

int mlink_lab_send(int fd, const unsigned char *buf, size_t len) {
    ssize_t n;
    do { n = send(fd, buf, len, MSG_DONTWAIT); } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : 0;
}

int64_t mlink_lab_now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

int mlink_lab_timer_open(void) {
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int mlink_lab_timer_arm(int fd, int64_t at_ns) {
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    spec.it_value.tv_sec = at_ns / 1000000000;
    spec.it_value.tv_nsec = at_ns % 1000000000;
    return timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, NULL) < 0 ? -errno : 0;
}

int mlink_lab_signal_open(const int *signals, int count) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < count; i++) sigaddset(&set, signals[i]);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) return -errno;
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

void mlink_lab_precise_timers(void) { (void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); }
