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

struct mlink_batch_headers {
    int count;
    struct mmsghdr *msgs;
    struct iovec *iovs;
};

struct mlink_batch_headers *mlink_batch_headers_new(int count) {
    struct mlink_batch_headers *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->count = count;
    h->msgs = calloc((size_t)count, sizeof *h->msgs);
    h->iovs = calloc((size_t)count, sizeof *h->iovs);
    if (!h->msgs || !h->iovs) { mlink_batch_headers_free(h); return NULL; }
    return h;
}

void mlink_batch_headers_free(struct mlink_batch_headers *h) {
    if (!h) return;
    free(h->msgs);
    free(h->iovs);
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

int mlink_fionread(int fd) {
    int n = 0;
    if (ioctl(fd, FIONREAD, &n) < 0) return -errno;
    return n;
}

ssize_t mlink_recv_pktinfo(int fd, void *buf, size_t len, struct sockaddr_storage *from,
                           struct sockaddr_storage *local, int *ifindex) {
    struct iovec iov = { buf, len };
    char control[256];
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_name = from;
    msg.msg_namelen = sizeof *from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n < 0) return -errno;
    *ifindex = 0;
    memset(local, 0, sizeof *local);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo *pi = (struct in_pktinfo *)CMSG_DATA(c);
            struct sockaddr_in *sin = (struct sockaddr_in *)local;
            sin->sin_family = AF_INET;
            sin->sin_addr = pi->ipi_addr;
            *ifindex = pi->ipi_ifindex;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo *pi = (struct in6_pktinfo *)CMSG_DATA(c);
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)local;
            sin6->sin6_family = AF_INET6;
            sin6->sin6_addr = pi->ipi6_addr;
            *ifindex = (int)pi->ipi6_ifindex;
        }
    }
    return n;
}

int mlink_recv_batch(int fd, unsigned char **bufs, size_t cap, size_t *lens,
                     struct sockaddr_storage *froms, int count, struct mlink_batch_headers *h) {
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
        msgs[i].msg_len = 0;
    }
    int n;
    do { n = recvmmsg(fd, msgs, (unsigned)count, MSG_DONTWAIT, NULL); } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    for (int i = 0; i < n; i++) {
        lens[i] = msgs[i].msg_len;
        if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) lens[i] = cap + 1; /* caller drops oversized */
    }
    return n;
}

int mlink_send_batch(int fd, unsigned char **bufs, size_t *lens, struct sockaddr_storage *tos, int count,
                     struct mlink_batch_headers *h) {
    struct mmsghdr *msgs = h->msgs;
    struct iovec *iovs = h->iovs;
    if (count > h->count) count = h->count;
    for (int i = 0; i < count; i++) {
        iovs[i].iov_base = bufs[i];
        iovs[i].iov_len = lens[i];
        memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
        msgs[i].msg_hdr.msg_name = &tos[i];
        msgs[i].msg_hdr.msg_namelen = tos[i].ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                                   : sizeof(struct sockaddr_in);
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n;
    do { n = sendmmsg(fd, msgs, (unsigned)count, MSG_DONTWAIT); } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    return n;
}

int mlink_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno;
}

int mlink_spawn_setsid_flag(void) {
    return POSIX_SPAWN_SETSID;
}
