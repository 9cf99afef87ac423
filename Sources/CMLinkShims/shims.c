#define _GNU_SOURCE
#include "mlink_shims.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <stdlib.h>
#include <spawn.h>
#include <sys/eventfd.h>

#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#define MLINK_CONTROL_SPACE CMSG_SPACE(sizeof(int))

struct mlink_batch_headers {
    int count;
    struct mmsghdr *msgs;
    struct iovec *iovs;
    unsigned char *controls; /* count x MLINK_CONTROL_SPACE, for UDP_GRO's segment size */
};

struct mlink_batch_headers *mlink_batch_headers_new(int count) {
    struct mlink_batch_headers *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->count = count;
    h->msgs = calloc((size_t)count, sizeof *h->msgs);
    h->iovs = calloc((size_t)count * 2, sizeof *h->iovs); /* two per datagram on send: its head, a shared body */
    h->controls = calloc((size_t)count, MLINK_CONTROL_SPACE);
    if (!h->msgs || !h->iovs || !h->controls) { mlink_batch_headers_free(h); return NULL; }
    return h;
}

void mlink_batch_headers_free(struct mlink_batch_headers *h) {
    if (!h) return;
    free(h->msgs);
    free(h->iovs);
    free(h->controls);
    free(h);
}

int mlink_tun_open(char name[16], int vnet_hdr) {
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0);
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    memcpy(name, ifr.ifr_name, IFNAMSIZ);
    return fd;
}

int mlink_recv_batch(int fd, unsigned char **bufs, size_t cap, size_t *lens,
                     struct sockaddr_storage *froms, int count, struct mlink_batch_headers *h) {
    return mlink_recv_batch_segments(fd, bufs, cap, lens, froms, NULL, count, h);
}

int mlink_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno;
}

int mlink_eventfd(unsigned int initval) {
    int fd = eventfd(initval, EFD_NONBLOCK | EFD_CLOEXEC);
    return fd >= 0 ? fd : -errno;
}

int mlink_spawn_setsid_flag(void) {
    return POSIX_SPAWN_SETSID;
}

/* One datagram's iovec entries: its head (the whole datagram when `body` is NULL), then the shared body. */
static size_t mlink_datagram_iov(struct iovec *iov, const void *head, size_t head_len, const void *body, size_t len) {
    iov[0].iov_base = (void *)head;
    if (!body) {
        iov[0].iov_len = len;
        return 1;
    }
    iov[0].iov_len = head_len;
    iov[1].iov_base = (void *)body;
    iov[1].iov_len = len - head_len;
    return 2;
}

int mlink_send_batch(int fd, const void *const *heads, const size_t *head_lens, const void *const *bodies,
                     const size_t *lens, const struct sockaddr_storage *tos, const socklen_t *tolens, int count,
                     struct mlink_batch_headers *h) {
    struct mmsghdr *msgs = h->msgs;
    struct iovec *iovs = h->iovs;
    if (count > h->count) count = h->count;
    for (int i = 0; i < count; i++) {
        struct iovec *iov = &iovs[2 * i];
        size_t parts = mlink_datagram_iov(iov, heads[i], head_lens[i], bodies[i], lens[i]);
        memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
        msgs[i].msg_hdr.msg_name = (void *)&tos[i];
        msgs[i].msg_hdr.msg_namelen = tolens[i];
        msgs[i].msg_hdr.msg_iov = iov;
        msgs[i].msg_hdr.msg_iovlen = parts;
        msgs[i].msg_len = 0;
    }
    int n = sendmmsg(fd, msgs, (unsigned)count, MSG_DONTWAIT);
    return n < 0 ? -errno : n;
}

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

long mlink_send_segmented(int fd, const void *const *heads, const size_t *head_lens, const void *const *bodies,
                          const size_t *lens, int count, const struct sockaddr_storage *to, socklen_t tolen,
                          uint16_t segment) {
    /* The kernel copies the iovec's bytes into the super-datagram and cuts it every `segment` bytes, whatever
       the entries' boundaries, so a datagram may be two entries (head, shared body). */
    struct iovec iov[256];
    if (count > 128) count = 128;
    size_t parts = 0;
    for (int i = 0; i < count; i++) parts += mlink_datagram_iov(&iov[parts], heads[i], head_lens[i], bodies[i], lens[i]);
    union { char buf[CMSG_SPACE(sizeof(uint16_t))]; struct cmsghdr align; } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_name = (void *)to;
    msg.msg_namelen = tolen;
    msg.msg_iov = iov;
    msg.msg_iovlen = parts;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_UDP;
    cm->cmsg_type = UDP_SEGMENT;
    cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    memcpy(CMSG_DATA(cm), &segment, sizeof segment);
    ssize_t n = sendmsg(fd, &msg, MSG_DONTWAIT);
    return n < 0 ? -errno : (long)n;
}

int mlink_udp_segment_supported(int fd) {
    int value = 0;
    socklen_t length = sizeof value;
    return getsockopt(fd, SOL_UDP, UDP_SEGMENT, &value, &length) == 0;
}

/* The link emulator's calls (see the header). */

#include <arpa/inet.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>

int mlink_packet_open(const char *name, int rcvbuf) {
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

int mlink_timer_open(void) {
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int mlink_timer_arm(int fd, int64_t at_ns) {
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    spec.it_value.tv_sec = at_ns / 1000000000;
    spec.it_value.tv_nsec = at_ns % 1000000000;
    return timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, NULL) < 0 ? -errno : 0;
}

void mlink_set_precise_timer_slack(void) { (void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); }

int mlink_tun_set_offload(int fd, unsigned int flags) {
    return ioctl(fd, TUNSETOFFLOAD, (unsigned long)flags) == 0 ? 0 : -errno;
}

int mlink_tun_flags(int fd) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if (ioctl(fd, TUNGETIFF, &ifr) < 0) return -errno;
    return ifr.ifr_flags & 0xffff;
}

int mlink_tun_vnet_hdr_flag(void) { return IFF_VNET_HDR; }

int mlink_recv_batch_segments(int fd, unsigned char **bufs, size_t cap, size_t *lens,
                              struct sockaddr_storage *froms, uint16_t *segments, int count,
                              struct mlink_batch_headers *h) {
    struct mmsghdr *msgs = h->msgs;
    struct iovec *iovs = h->iovs;
    if (count > h->count) count = h->count;
    for (int i = 0; i < count; i++) {
        iovs[i].iov_base = bufs[i];
        iovs[i].iov_len = cap;
        memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
        msgs[i].msg_hdr.msg_name = &froms[i];
        msgs[i].msg_hdr.msg_namelen = sizeof froms[i];
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        if (segments) {
            msgs[i].msg_hdr.msg_control = h->controls + (size_t)i * MLINK_CONTROL_SPACE;
            msgs[i].msg_hdr.msg_controllen = MLINK_CONTROL_SPACE;
        }
        msgs[i].msg_len = 0;
    }
    /* One attempt: EINTR comes back as -EINTR and is retried by MLinkSystem's Syscall, like every other call. */
    int n = recvmmsg(fd, msgs, (unsigned)count, MSG_DONTWAIT, NULL);
    if (n < 0) return -errno;
    for (int i = 0; i < n; i++) {
        lens[i] = msgs[i].msg_len;
        if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) lens[i] = cap + 1; /* caller drops oversized */
        if (!segments) continue;
        segments[i] = 0;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msgs[i].msg_hdr); cm; cm = CMSG_NXTHDR(&msgs[i].msg_hdr, cm)) {
            if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO && cm->cmsg_len >= CMSG_LEN(sizeof(uint16_t))) {
                uint16_t size;
                memcpy(&size, CMSG_DATA(cm), sizeof size);
                segments[i] = size;
            }
        }
    }
    return n;
}

int mlink_udp_enable_gro(int fd) {
    int on = 1;
    return setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof on) == 0 ? 0 : -errno;
}
