// SPDX-License-Identifier: BSD-3-Clause
/*
 * hsk_poll(): poll(2) over a mix of hotsock and other descriptors.
 *
 * A socket whose backend holds data in user space (a TPACKET_V3 ring, a
 * receive batch) says so through ->pending; its descriptor's own
 * readiness is then only a hint, corrected after the kernel answers.
 */
#include <stdlib.h>

#include "hsk_priv.h"

/* Longest sleep while a descriptor keeps reporting readiness that the
 * library knows to be stale (a ring block held by zero-copy buffers). */
#define STALE_RETRY_MS 1

static bool has_user_state(const struct pollfd *p)
{
	struct hsk_sock *s = hsk_sock_get(p->fd);

	return s && s->be->ctl->pending;
}

/* Corrects the kernel's answer for @p with what the library holds. */
static void correct(struct pollfd *p)
{
	struct hsk_sock *s = hsk_sock_get(p->fd);
	short in = p->events & (POLLIN | POLLRDNORM);

	if (!s || !s->be->ctl->pending || !in)
		return;
	p->revents &= ~in;
	p->revents |= s->be->ctl->pending(s, in);
}

static int count_ready(const struct pollfd *fds, nfds_t nfds)
{
	int n = 0;

	for (nfds_t i = 0; i < nfds; i++)
		n += fds[i].revents != 0;
	return n;
}

HSK_EXPORT int hsk_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	bool user_state = false;
	struct timespec start, now;
	int r, left = timeout, elapsed;

	for (nfds_t i = 0; fds && i < nfds && !user_state; i++)
		user_state = has_user_state(&fds[i]);
	if (!user_state)
		return poll(fds, nfds, timeout);

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		/* Data already in user space must not wait for the kernel. */
		bool ready_now = false;

		for (nfds_t i = 0; i < nfds; i++) {
			struct hsk_sock *s = hsk_sock_get(fds[i].fd);

			if (s && s->be->ctl->pending &&
			    s->be->ctl->pending(s, fds[i].events & POLLIN))
				ready_now = true;
		}
		r = poll(fds, nfds, ready_now ? 0 : left);
		if (r < 0)
			return r;
		for (nfds_t i = 0; i < nfds; i++)
			correct(&fds[i]);
		r = count_ready(fds, nfds);
		if (r || left == 0)
			return r;
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (int)((now.tv_sec - start.tv_sec) * 1000 +
				(now.tv_nsec - start.tv_nsec) / 1000000);
		if (timeout >= 0) {
			left = timeout - elapsed;
			if (left <= 0)
				return 0;
		}
		/* The kernel said ready, the library knows better: back off
		 * briefly rather than spin on the stale hint. */
		left = left < 0 || left > STALE_RETRY_MS ? STALE_RETRY_MS
							  : left;
		poll(NULL, 0, left);
		if (timeout >= 0) {
			left = timeout - elapsed - left;
			if (left < 0)
				left = 0;
		} else {
			left = -1;
		}
	}
}
