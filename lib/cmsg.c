// SPDX-License-Identifier: BSD-3-Clause
/*
 * What recvmsg(2) writes besides the data, for backends that receive in
 * user space: the payload into iovecs and control messages, both with the
 * kernel's rules for buffers that are too small.
 */
#include <string.h>

#include "hsk_priv.h"

void hsk_put_cmsg(struct hsk_cmsg_writer *w, int level, int type,
		  const void *data, size_t len)
{
	struct msghdr *m = w->m;
	size_t room = m->msg_controllen - w->used;
	size_t cmlen = CMSG_LEN(len);
	struct cmsghdr h = { .cmsg_level = level, .cmsg_type = type };
	unsigned char *at = (unsigned char *)m->msg_control + w->used;

	/* As the kernel's put_cmsg(): what does not fit is cut and flagged
	 * with MSG_CTRUNC, never an error. */
	if (room < sizeof(h)) {
		m->msg_flags |= MSG_CTRUNC;
		return;
	}
	if (room < cmlen) {
		m->msg_flags |= MSG_CTRUNC;
		cmlen = room;
	}
	h.cmsg_len = cmlen;
	memcpy(at, &h, sizeof(h));
	memcpy(CMSG_DATA((struct cmsghdr *)at), data, cmlen - CMSG_LEN(0));
	w->used += CMSG_SPACE(len) < room ? CMSG_SPACE(len) : room;
}

void hsk_cmsg_done(struct hsk_cmsg_writer *w)
{
	w->m->msg_controllen = w->used;
}

ssize_t hsk_copy_to_iov(const struct msghdr *m, const void *src, size_t len)
{
	const unsigned char *from = src;
	size_t done = 0;

	for (size_t i = 0; i < m->msg_iovlen && done < len; i++) {
		size_t k = m->msg_iov[i].iov_len;

		if (!k)
			continue;
		if (!m->msg_iov[i].iov_base) {
			errno = EFAULT;
			return -1;
		}
		if (k > len - done)
			k = len - done;
		memcpy(m->msg_iov[i].iov_base, from + done, k);
		done += k;
	}
	return (ssize_t)done;
}

/* The kernel's receive timestamp in a message, 0 when it gave none. */
static uint64_t cmsg_ts_ns(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return hsk_ts_ns(&ts);
		}
	return 0;
}

#define RX_CMSG_SPACE 64

int hsk_recvmmsg_bufs(int fd, struct hsk_buf *b, unsigned int n, uint32_t cap,
		      bool kernel_ts)
{
	char ctl[HSK_RECV_BUFS_MAX][RX_CMSG_SPACE] __attribute__((aligned(8)));
	struct mmsghdr mm[HSK_RECV_BUFS_MAX];
	struct iovec iov[HSK_RECV_BUFS_MAX];
	struct timespec now;
	int r;

	if (n > HSK_RECV_BUFS_MAX)
		n = HSK_RECV_BUFS_MAX;
	for (unsigned int i = 0; i < n; i++) {
		iov[i] = (struct iovec){ b[i].data, cap };
		mm[i].msg_hdr = (struct msghdr){
			.msg_name = &b[i].addr,
			.msg_namelen = sizeof(b[i].addr),
			.msg_iov = &iov[i],
			.msg_iovlen = 1,
			.msg_control = kernel_ts ? ctl[i] : NULL,
			.msg_controllen = kernel_ts ? RX_CMSG_SPACE : 0,
		};
	}
	/* MSG_TRUNC: msg_len is the datagram's full length. */
	r = recvmmsg(fd, mm, n, MSG_DONTWAIT | MSG_TRUNC, NULL);
	if (r < 0)
		return errno == EAGAIN ? 0 : -1;
	clock_gettime(CLOCK_REALTIME, &now);
	for (int i = 0; i < r; i++) {
		b[i].orig_len = mm[i].msg_len;
		b[i].len = mm[i].msg_len < cap ? mm[i].msg_len : cap;
		b[i].capacity = b[i].len;
		b[i].flags = b[i].len < b[i].orig_len ? HSK_BUF_TRUNC : 0;
		b[i].addrlen = mm[i].msg_hdr.msg_namelen;
		b[i].ts_ns = kernel_ts ? cmsg_ts_ns(&mm[i].msg_hdr) : 0;
		if (!b[i].ts_ns)
			b[i].ts_ns = hsk_ts_ns(&now);
	}
	return r;
}
