// SPDX-License-Identifier: BSD-3-Clause
/*
 * poll, select and epoll over hotsock sockets mixed with any descriptor.
 *
 * A fast-path socket's descriptor is its shadow kernel socket: the kernel
 * sees only what arrives there. What arrives on the fast path waits in
 * user space (->pending answers for it), and wakes a sleeper through the
 * socket's extra descriptors (->extra_fds: the port's XSKs, shared by
 * every socket of the port, and an eventfd). poll and select go through
 * hsk_poll(), which knows this; epoll keeps a user-space list of the
 * hotsock sockets in each set (below).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "preload.h"

/* ---- poll and select -------------------------------------------------- */

static bool any_user_state(const struct pollfd *fds, nfds_t n)
{
	for (nfds_t i = 0; fds && i < n; i++)
		if (hskp_user_state(fds[i].fd))
			return true;
	return false;
}

/* Milliseconds for a timespec, rounded up so a wait never ends early. */
static int ts_ms(const struct timespec *ts)
{
	long long ms;

	if (!ts)
		return -1;
	ms = (long long)ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/*
 * <poll.h> declares the array write-only, which a wrapper that reads it
 * first contradicts: the wrappers carry their own names, exported as poll
 * and ppoll.
 */
HSK_EXPORT int hskp_poll(struct pollfd *fds, nfds_t n,
			 int timeout) __asm__("poll");
HSK_EXPORT int hskp_ppoll(struct pollfd *fds, nfds_t n,
			  const struct timespec *ts,
			  const sigset_t *sigmask) __asm__("ppoll");

HSK_EXPORT int hskp_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (!any_user_state(fds, n))
		return LIBC(poll)(fds, n, timeout);
	return IN_LIB(hsk_poll(fds, n, timeout));
}

HSK_EXPORT int hskp_ppoll(struct pollfd *fds, nfds_t n,
			  const struct timespec *ts, const sigset_t *sigmask)
{
	if (!any_user_state(fds, n))
		return LIBC(ppoll)(fds, n, ts, sigmask);
	if (ts &&
	    (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)) {
		errno = EINVAL;
		return -1;
	}
	return IN_LIB(hsk_poll_sigmask(fds, n, ts_ms(ts), sigmask));
}

/* The kernel's mapping of poll events onto select's three sets. */
#define SEL_IN (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define SEL_OUT (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define SEL_EX (POLLPRI)

static bool sets_user_state(int nfds, const fd_set *r)
{
	for (int fd = 0; r && fd < nfds && fd < FD_SETSIZE; fd++)
		if (FD_ISSET(fd, r) && hskp_user_state(fd))
			return true;
	return false;
}

/* select(2) as poll(2): one entry per descriptor in any set. */
static int select_as_poll(int nfds, fd_set *r, fd_set *w, fd_set *e,
			  const struct timespec *ts, const sigset_t *sigmask)
{
	struct pollfd *p;
	nfds_t n = 0;
	int ready, count = 0;

	if (nfds < 0 || nfds > FD_SETSIZE) {
		errno = EINVAL;
		return -1;
	}
	p = calloc((size_t)nfds + 1, sizeof(*p));
	if (!p)
		return -1;
	for (int fd = 0; fd < nfds; fd++) {
		short ev = (short)((r && FD_ISSET(fd, r) ? POLLIN : 0) |
				   (w && FD_ISSET(fd, w) ? POLLOUT : 0) |
				   (e && FD_ISSET(fd, e) ? POLLPRI : 0));

		if (ev)
			p[n++] = (struct pollfd){ .fd = fd, .events = ev };
	}
	ready = IN_LIB(hsk_poll_sigmask(p, n, ts_ms(ts), sigmask));
	if (ready < 0) {
		free(p);
		return -1;
	}
	for (nfds_t i = 0; i < n; i++) {
		if (p[i].revents & POLLNVAL) {
			free(p);
			errno = EBADF;
			return -1;
		}
	}
	for (nfds_t i = 0; i < n; i++) {
		struct {
			fd_set *set;
			short want, mask;
		} m[3] = { { r, POLLIN, SEL_IN },
			   { w, POLLOUT, SEL_OUT },
			   { e, POLLPRI, SEL_EX } };

		for (int k = 0; k < 3; k++) {
			if (!m[k].set || !(p[i].events & m[k].want))
				continue;
			if (p[i].revents & m[k].mask)
				count++;
			else
				FD_CLR(p[i].fd, m[k].set);
		}
	}
	free(p);
	return count;
}

static struct timespec monotonic_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t;
}

HSK_EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *e,
		      struct timeval *tv)
{
	struct timespec ts, start, end;
	long long left_us;
	int ret;

	if (!sets_user_state(nfds, r))
		return LIBC(select)(nfds, r, w, e, tv);
	if (tv &&
	    (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)) {
		errno = EINVAL;
		return -1;
	}
	if (tv)
		ts = (struct timespec){ tv->tv_sec, tv->tv_usec * 1000 };
	start = monotonic_now();
	ret = select_as_poll(nfds, r, w, e, tv ? &ts : NULL, NULL);
	if (tv) {
		/* Linux leaves the time not slept in *tv. */
		end = monotonic_now();
		left_us = (long long)tv->tv_sec * 1000000 + tv->tv_usec -
			  ((end.tv_sec - start.tv_sec) * 1000000LL +
			   (end.tv_nsec - start.tv_nsec) / 1000);
		if (left_us < 0 || ret == 0)
			left_us = 0;
		tv->tv_sec = left_us / 1000000;
		tv->tv_usec = left_us % 1000000;
	}
	return ret;
}

HSK_EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e,
		       const struct timespec *ts, const sigset_t *sigmask)
{
	if (!sets_user_state(nfds, r))
		return LIBC(pselect)(nfds, r, w, e, ts, sigmask);
	if (ts &&
	    (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)) {
		errno = EINVAL;
		return -1;
	}
	return select_as_poll(nfds, r, w, e, ts, sigmask);
}

/* ---- epoll ------------------------------------------------------------ */

/*
 * Each epoll set that holds a hotsock socket gets a struct ep. The
 * kernel set holds the socket's descriptor with the address of its
 * struct ep_reg as data (its events other than readability are the
 * kernel's to report), and each extra descriptor of the socket with the
 * address of the set's wake tag: a wake-up that only says "the port
 * received", re-checked against each socket's ->pending. Those are level
 * triggered: epoll checks readiness again before it reports, and each
 * check of ->pending empties the rings into the sockets' queues, so an
 * edge would be lost; a level is not, and never spins.
 * The caller's data is given back from the ep_reg.
 */
struct ep_reg {
	int fd; /* the number the caller added */
	struct hsk_sock *s;
	uint32_t events; /* as the caller asked */
	epoll_data_t data;
	bool disarmed;	  /* EPOLLONESHOT, reported */
	bool edge;	  /* EPOLLET: readability not yet reported */
	uint64_t rx_seen; /* EPOLLET: datagrams received by that report */
	struct ep_reg *next;
};

#define MAX_EXTRA 17

struct ep {
	int epfd;
	pthread_mutex_t lock;
	struct ep_reg *regs;
	int *wakes; /* extra descriptors in the kernel set */
	size_t nwakes, wakes_cap;
	char wake_tag; /* its address marks a wake-up */
	struct ep *next;
};

static pthread_mutex_t eps_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ep *eps;
/* Set with the first struct ep: until then no call pays for the lock. */
static _Atomic bool eps_made;

static struct ep *ep_find(int epfd, bool create)
{
	struct ep *ep;

	if (!create && !atomic_load_explicit(&eps_made, memory_order_relaxed))
		return NULL;
	pthread_mutex_lock(&eps_lock);
	for (ep = eps; ep && ep->epfd != epfd; ep = ep->next)
		;
	if (!ep && create) {
		ep = calloc(1, sizeof(*ep));
		if (ep) {
			ep->epfd = epfd;
			pthread_mutex_init(&ep->lock, NULL);
			ep->next = eps;
			eps = ep;
			atomic_store(&eps_made, true);
		}
	}
	pthread_mutex_unlock(&eps_lock);
	return ep;
}

static void reg_free_all(struct ep *ep)
{
	while (ep->regs) {
		struct ep_reg *r = ep->regs;

		ep->regs = r->next;
		free(r);
	}
}

void hskp_epoll_forget_set(int epfd)
{
	struct ep **pp, *ep = NULL;

	if (!atomic_load_explicit(&eps_made, memory_order_relaxed))
		return;
	pthread_mutex_lock(&eps_lock);
	for (pp = &eps; *pp; pp = &(*pp)->next) {
		if ((*pp)->epfd == epfd) {
			ep = *pp;
			*pp = ep->next;
			break;
		}
	}
	pthread_mutex_unlock(&eps_lock);
	if (!ep)
		return;
	reg_free_all(ep);
	free(ep->wakes);
	pthread_mutex_destroy(&ep->lock);
	free(ep);
}

/*
 * The socket's last number closes: the kernel drops it from every set by
 * itself; its extra descriptors may be gone too, and their numbers
 * reused, so every set adds its wake descriptors afresh at its next wait.
 */
void hskp_epoll_forget_sock(struct hsk_sock *s)
{
	pthread_mutex_lock(&eps_lock);
	for (struct ep *ep = eps; ep; ep = ep->next) {
		pthread_mutex_lock(&ep->lock);
		for (struct ep_reg **pp = &ep->regs; *pp;) {
			struct ep_reg *r = *pp;

			if (r->s == s) {
				*pp = r->next;
				free(r);
			} else {
				pp = &r->next;
			}
		}
		ep->nwakes = 0;
		pthread_mutex_unlock(&ep->lock);
	}
	pthread_mutex_unlock(&eps_lock);
}

static struct ep_reg *reg_find(struct ep *ep, int fd)
{
	struct ep_reg *r;

	for (r = ep->regs; r && r->fd != fd; r = r->next)
		;
	return r;
}

static bool reg_known(struct ep *ep, const void *p)
{
	for (struct ep_reg *r = ep->regs; r; r = r->next)
		if (r == p)
			return true;
	return false;
}

/* What the kernel set holds for @r: its events, less what the library
 * decides itself (one-shot); nothing while disarmed. */
static int reg_to_kernel(struct ep *ep, struct ep_reg *r, int op)
{
	struct epoll_event ev = {
		.events = r->disarmed ? 0 : r->events & ~EPOLLONESHOT,
		.data.ptr = r,
	};

	return LIBC(epoll_ctl)(ep->epfd, op, r->fd, &ev);
}

/* Every extra descriptor of the set's sockets in the kernel set. */
static void sync_wakes(struct ep *ep)
{
	int fds[MAX_EXTRA];

	for (struct ep_reg *r = ep->regs; r; r = r->next) {
		int n;

		if (!r->s->be->ctl->extra_fds)
			continue;
		n = IN_LIB(r->s->be->ctl->extra_fds(r->s, fds, MAX_EXTRA));
		for (int i = 0; i < n; i++) {
			struct epoll_event ev = { .events = EPOLLIN,
						  .data.ptr = &ep->wake_tag };
			size_t k;

			for (k = 0; k < ep->nwakes && ep->wakes[k] != fds[i];
			     k++)
				;
			if (k < ep->nwakes)
				continue;
			if (ep->nwakes == ep->wakes_cap) {
				size_t cap = ep->wakes_cap ? ep->wakes_cap * 2 :
							     8;
				int *w = realloc(ep->wakes, cap * sizeof(*w));

				if (!w)
					return;
				ep->wakes = w;
				ep->wakes_cap = cap;
			}
			if (LIBC(epoll_ctl)(ep->epfd, EPOLL_CTL_ADD, fds[i],
					    &ev) &&
			    errno != EEXIST)
				continue;
			ep->wakes[ep->nwakes++] = fds[i];
		}
	}
}

HSK_EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	struct hsk_sock *s = hskp_user_state(fd);
	struct ep_reg *r;
	struct ep *ep;
	int ret;

	if (hskp_depth)
		return LIBC(epoll_ctl)(epfd, op, fd, event);
	ep = ep_find(epfd, s && op == EPOLL_CTL_ADD);
	if (!ep)
		return LIBC(epoll_ctl)(epfd, op, fd, event);
	pthread_mutex_lock(&ep->lock);
	r = reg_find(ep, fd);
	if (!r && !(s && op == EPOLL_CTL_ADD)) {
		pthread_mutex_unlock(&ep->lock);
		return LIBC(epoll_ctl)(epfd, op, fd, event);
	}
	if (op != EPOLL_CTL_DEL && !event) {
		pthread_mutex_unlock(&ep->lock);
		errno = EFAULT;
		return -1;
	}
	switch (op) {
	case EPOLL_CTL_ADD:
		if (r) {
			ret = -1;
			errno = EEXIST;
			break;
		}
		r = calloc(1, sizeof(*r));
		if (!r) {
			ret = -1;
			break;
		}
		*r = (struct ep_reg){ .fd = fd,
				      .s = s,
				      .events = event->events,
				      .data = event->data,
				      .edge = true };
		ret = reg_to_kernel(ep, r, EPOLL_CTL_ADD);
		if (ret) {
			free(r);
			break;
		}
		r->next = ep->regs;
		ep->regs = r;
		sync_wakes(ep);
		break;
	case EPOLL_CTL_MOD:
		r->events = event->events;
		r->data = event->data;
		r->disarmed = false;
		r->edge = true;
		ret = reg_to_kernel(ep, r, EPOLL_CTL_MOD);
		break;
	case EPOLL_CTL_DEL:
		ret = LIBC(epoll_ctl)(epfd, op, fd, event);
		for (struct ep_reg **pp = &ep->regs; *pp; pp = &(*pp)->next) {
			if (*pp == r) {
				*pp = r->next;
				free(r);
				break;
			}
		}
		break;
	default:
		ret = LIBC(epoll_ctl)(epfd, op, fd, event);
	}
	pthread_mutex_unlock(&ep->lock);
	return ret;
}

/*
 * Readability of @r's socket by its user-space state: 0 or EPOLLIN. Asked
 * whatever @r waits for: the question empties the port's rings, which
 * would otherwise keep the wake descriptors ready.
 */
static uint32_t reg_readable(struct ep_reg *r)
{
	short in = IN_LIB(r->s->be->ctl->pending(r->s, POLLIN));

	return in ? EPOLLIN : 0;
}

/*
 * The events to report for @r: @kernel (from the kernel set) with the
 * readability the library decides. EPOLLET reports readability again only
 * after a check found the socket empty or the program received since the
 * last report (more may have come: at worst a spare event, which an
 * edge-triggered program handles by reading to EAGAIN).
 */
static uint32_t reg_events(struct ep *ep, struct ep_reg *r, uint32_t kernel)
{
	uint64_t rx = atomic_load_explicit(&r->s->stats.rx_packets,
					   memory_order_relaxed);
	uint32_t in, ev;

	in = r->s->be->ctl->pending ? reg_readable(r) :
				      kernel & (EPOLLIN | EPOLLRDNORM);
	if (r->disarmed)
		return 0;
	in &= r->events & (EPOLLIN | EPOLLRDNORM);
	if (in && (r->events & EPOLLRDNORM))
		in |= EPOLLRDNORM;
	if (r->events & EPOLLET) {
		if (!in)
			r->edge = true;
		else if (!r->edge && rx == r->rx_seen && !(kernel & EPOLLIN))
			in = 0;
	}
	ev = (kernel & ~(EPOLLIN | EPOLLRDNORM)) | in;
	if (!ev)
		return 0;
	if (in) {
		r->edge = false;
		r->rx_seen = rx;
	}
	if (r->events & EPOLLONESHOT) {
		r->disarmed = true;
		reg_to_kernel(ep, r, EPOLL_CTL_MOD);
	}
	return ev;
}

/* Longest nap while the kernel reports readability the library knows to
 * be stale (as hsk_poll()). */
#define STALE_RETRY_MS 1

static int elapsed_ms(const struct timespec *start)
{
	struct timespec now = monotonic_now();

	return (int)((now.tv_sec - start->tv_sec) * 1000 +
		     (now.tv_nsec - start->tv_nsec) / 1000000);
}

/*
 * One round: the sockets readable in user space first, then whatever the
 * kernel set holds (without waiting when something is ready already),
 * translated. Returns the events, 0 with *woke or *stale set when only
 * wake-ups or stale hints came, or -1.
 */
static int ep_round(struct ep *ep, struct epoll_event *evs, struct ep_reg **who,
		    int max, int ms, const sigset_t *sigmask, bool *woke,
		    bool *stale)
{
	int n = 0, k = 0, out;

	pthread_mutex_lock(&ep->lock);
	sync_wakes(ep);
	for (struct ep_reg *r = ep->regs; r && n < max; r = r->next) {
		uint32_t ev = reg_events(ep, r, 0);

		if (ev) {
			evs[n] = (struct epoll_event){ .events = ev,
						       .data = r->data };
			who[n++] = r;
		}
	}
	pthread_mutex_unlock(&ep->lock);
	if (n < max)
		k = LIBC(epoll_pwait)(ep->epfd, evs + n, max - n, n ? 0 : ms,
				      sigmask);
	if (k < 0)
		return n ? n : -1;
	pthread_mutex_lock(&ep->lock);
	out = n;
	for (int i = n; i < n + k; i++) {
		struct epoll_event kev = evs[i];
		struct ep_reg *r = kev.data.ptr;
		uint32_t ev;
		int j;

		if (r == (void *)&ep->wake_tag) {
			*woke = true;
			continue;
		}
		if (!reg_known(ep, r)) {
			evs[out] = kev;
			who[out++] = NULL;
			continue;
		}
		for (j = 0; j < n && who[j] != r; j++)
			;
		if (j < n) {
			evs[j].events |= kev.events & ~(EPOLLIN | EPOLLRDNORM);
			continue;
		}
		ev = reg_events(ep, r, kev.events);
		if (!ev) {
			*stale |= !!(kev.events & EPOLLIN);
			continue;
		}
		evs[out] =
			(struct epoll_event){ .events = ev, .data = r->data };
		who[out++] = r;
	}
	pthread_mutex_unlock(&ep->lock);
	return out;
}

static int ep_wait(struct ep *ep, struct epoll_event *evs, int max, int timeout,
		   const sigset_t *sigmask)
{
	struct ep_reg *small[64], **who = small;
	struct timespec start = monotonic_now();
	int r, left = timeout;

	if (max > 64) {
		who = malloc((size_t)max * sizeof(*who));
		if (!who)
			return -1;
	}
	for (;;) {
		bool woke = false, stale = false;

		r = ep_round(ep, evs, who, max, left, sigmask, &woke, &stale);
		if (r != 0 || left == 0)
			break;
		if (timeout > 0) {
			left = timeout - elapsed_ms(&start);
			if (left <= 0)
				break;
		}
		if (stale && !woke)
			LIBC(poll)
		(NULL, 0,
		 left < 0 || left > STALE_RETRY_MS ? STALE_RETRY_MS : left);
	}
	if (who != small)
		free(who);
	return r;
}

HSK_EXPORT int epoll_pwait(int epfd, struct epoll_event *evs, int max,
			   int timeout, const sigset_t *sigmask)
{
	struct ep *ep = hskp_depth || max <= 0 || !evs ? NULL :
							 ep_find(epfd, false);

	if (!ep)
		return LIBC(epoll_pwait)(epfd, evs, max, timeout, sigmask);
	return ep_wait(ep, evs, max, timeout, sigmask);
}

HSK_EXPORT int epoll_wait(int epfd, struct epoll_event *evs, int max,
			  int timeout)
{
	return epoll_pwait(epfd, evs, max, timeout, NULL);
}
