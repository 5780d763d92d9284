// SPDX-License-Identifier: BSD-3-Clause
/*
 * hsk_poll(): poll(2) over a mix of hotsock and other descriptors.
 *
 * A socket whose backend receives in user space (a TPACKET_V3 ring, AF_XDP
 * rings) knows its readiness better than its descriptor does: ->pending
 * answers for it, and ->extra_fds names the descriptors (rings, wake-up
 * events) that wake a wait for it. Everything else is poll(2) as it is.
 */
#include <stdlib.h>
#include <string.h>

#include "hsk_priv.h"

/* Longest sleep while a descriptor keeps reporting readiness that the
 * library knows to be stale (a ring block held by zero-copy buffers). */
#define STALE_RETRY_MS 1
#define MAX_EXTRA_PER_SOCK 16

static struct hsk_sock *user_state_sock(const struct pollfd *p)
{
	struct hsk_sock *s = p->fd >= 0 ? hsk_sock_get(p->fd) : NULL;

	return s && s->be->ctl->pending ? s : NULL;
}

static short pending_in(struct hsk_sock *s, short events)
{
	short in = events & (POLLIN | POLLRDNORM);

	return in ? s->be->ctl->pending(s, in) : 0;
}

static int elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int)((now.tv_sec - start->tv_sec) * 1000 +
		     (now.tv_nsec - start->tv_nsec) / 1000000);
}

/* The caller's entries, then each user-state socket's extra descriptors. */
static struct pollfd *build_set(const struct pollfd *fds, nfds_t nfds,
				nfds_t *total)
{
	nfds_t extra = 0, n = nfds;
	struct pollfd *set;
	int tmp[MAX_EXTRA_PER_SOCK];

	for (nfds_t i = 0; i < nfds; i++) {
		struct hsk_sock *s = user_state_sock(&fds[i]);

		if (s && s->be->ctl->extra_fds)
			extra += (nfds_t)s->be->ctl->extra_fds(
				s, tmp, MAX_EXTRA_PER_SOCK);
	}
	set = malloc((nfds + extra) * sizeof(*set));
	if (!set)
		return NULL;
	memcpy(set, fds, nfds * sizeof(*set));
	for (nfds_t i = 0; i < nfds; i++) {
		struct hsk_sock *s = user_state_sock(&fds[i]);
		int k;

		if (!s || !s->be->ctl->extra_fds)
			continue;
		k = s->be->ctl->extra_fds(s, tmp, MAX_EXTRA_PER_SOCK);
		for (int j = 0; j < k && n < nfds + extra; j++)
			set[n++] = (struct pollfd){ .fd = tmp[j],
						    .events = POLLIN };
	}
	*total = n;
	return set;
}

/* poll(2), or ppoll(2) with @sigmask while it waits. */
static int poll_masked(struct pollfd *fds, nfds_t nfds, int timeout,
		       const sigset_t *sigmask)
{
	struct timespec ts = { .tv_sec = timeout / 1000,
			       .tv_nsec = timeout % 1000 * 1000000L };

	if (!sigmask)
		return poll(fds, nfds, timeout);
	return ppoll(fds, nfds, timeout < 0 ? NULL : &ts, sigmask);
}

HSK_EXPORT int hsk_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	return hsk_poll_sigmask(fds, nfds, timeout, NULL);
}

int hsk_poll_sigmask(struct pollfd *fds, nfds_t nfds, int timeout,
		     const sigset_t *sigmask)
{
	struct timespec start;
	struct pollfd *set;
	nfds_t total, i;
	int r, left = timeout, ready;
	bool user_state = false, stale;

	for (i = 0; fds && i < nfds && !user_state; i++)
		user_state = user_state_sock(&fds[i]) != NULL;
	if (!user_state)
		return poll_masked(fds, nfds, timeout, sigmask);

	set = build_set(fds, nfds, &total);
	if (!set)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		bool now = false;

		/* Data already in user space must not wait for the kernel. */
		for (i = 0; i < nfds; i++) {
			struct hsk_sock *s = user_state_sock(&fds[i]);

			if (s && pending_in(s, fds[i].events))
				now = true;
		}
		r = poll_masked(set, total, now ? 0 : left, sigmask);
		if (r < 0)
			break;
		ready = 0;
		stale = r > 0;
		for (i = 0; i < nfds; i++) {
			struct hsk_sock *s = user_state_sock(&fds[i]);
			short in = fds[i].events & (POLLIN | POLLRDNORM);

			fds[i].revents = set[i].revents;
			if (s && in)
				fds[i].revents =
					(short)((fds[i].revents & ~in) |
						pending_in(s, in));
			ready += fds[i].revents != 0;
		}
		r = ready;
		if (ready || left == 0)
			break;
		if (timeout >= 0) {
			left = timeout - elapsed_ms(&start);
			if (left <= 0) {
				r = 0;
				break;
			}
		}
		/* The kernel said ready and the library knows better: back
		 * off briefly rather than spin on the stale hint. */
		if (stale) {
			int nap = left < 0 || left > STALE_RETRY_MS ?
					  STALE_RETRY_MS :
					  left;

			poll_masked(NULL, 0, nap, sigmask);
			if (timeout >= 0) {
				left = timeout - elapsed_ms(&start);
				if (left < 0)
					left = 0;
			}
		}
	}
	free(set);
	return r;
}
