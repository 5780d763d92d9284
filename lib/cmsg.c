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
