// SPDX-License-Identifier: BSD-3-Clause
/*
 * The zero-copy API: loans of backend buffers to the caller.
 *
 * The core keeps the books for every backend: which buffers are out, the
 * cap, and checking what comes back. Each loan is an entry of a table of
 * zc_max_held entries; a lent hsk_buf carries the socket's id, the entry's
 * kind and generation, and the entry's index, so that a stale, foreign or
 * double release is refused before anything is touched.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hsk_priv.h"

/* Most buffers moved by one backend call. */
#define ZC_BURST 64u

#define KIND_MASK 0xffu
#define GEN_SHIFT 8
#define GEN_MASK 0xffffffu

int hsk_loans_init(struct hsk_loans *l, uint32_t cap)
{
	l->tab = calloc(cap, sizeof(*l->tab));
	l->free_list = malloc(cap * sizeof(*l->free_list));
	if (!l->tab || !l->free_list) {
		hsk_loans_fini(l);
		errno = ENOMEM;
		return -1;
	}
	l->cap = cap;
	/* Lowest index on top: keeps the hot entries in few cache lines. */
	for (uint32_t i = 0; i < cap; i++)
		l->free_list[i] = cap - 1 - i;
	l->nfree = cap;
	return 0;
}

void hsk_loans_fini(struct hsk_loans *l)
{
	free(l->tab);
	free(l->free_list);
	l->tab = NULL;
	l->free_list = NULL;
	l->nfree = 0;
}

static void lend(struct hsk_sock *s, struct hsk_buf *b, uint64_t cookie,
		 enum hsk_buf_kind kind)
{
	struct hsk_loans *l = &s->loans;
	uint32_t idx = l->free_list[--l->nfree];
	struct hsk_loan *e = &l->tab[idx];

	e->cookie = cookie;
	e->gen = (e->gen + 1) & GEN_MASK;
	e->kind = kind;
	b->priv[0] = s->id;
	b->priv[1] = kind | (e->gen << GEN_SHIFT);
	b->priv[2] = idx;
}

/* The entry @b names, if it is a live loan of @kind (0: any) by @s. */
static struct hsk_loan *loan_of(struct hsk_sock *s, const struct hsk_buf *b,
				unsigned int kind)
{
	struct hsk_loans *l = &s->loans;
	struct hsk_loan *e;

	if (!l->tab || b->priv[0] != s->id || b->priv[2] >= l->cap)
		return NULL;
	e = &l->tab[b->priv[2]];
	if (!e->kind || e->kind != (b->priv[1] & KIND_MASK) ||
	    e->gen != b->priv[1] >> GEN_SHIFT || (kind && e->kind != kind))
		return NULL;
	return e;
}

static void unlend(struct hsk_sock *s, struct hsk_loan *e)
{
	e->kind = 0;
	s->loans.free_list[s->loans.nfree++] = (uint32_t)(e - s->loans.tab);
}

/*
 * Closes the loans of @bufs while each is a live loan of @kind (0: any):
 * a buffer named twice fails its second lookup. The entries stay off the
 * free list. Returns how many were closed.
 */
static unsigned int close_loans(struct hsk_sock *s, const struct hsk_buf *bufs,
				unsigned int n, unsigned int kind)
{
	unsigned int i;
	struct hsk_loan *e;

	for (i = 0; i < n; i++) {
		e = loan_of(s, &bufs[i], kind);
		if (!e)
			break;
		e->kind = 0;
	}
	return i;
}

static void reopen_loans(struct hsk_sock *s, const struct hsk_buf *bufs,
			 unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		s->loans.tab[bufs[i].priv[2]].kind = bufs[i].priv[1] &
						     KIND_MASK;
}

/*
 * Checks every buffer before any is used: all must be live loans of
 * @kind, none twice. With @keep the loans go on (a check before a send);
 * without, they are closed, and the caller puts their entries back on the
 * free list. Returns 0, or -1 with EINVAL and the books unchanged.
 */
static int check_loans(struct hsk_sock *s, const struct hsk_buf *bufs,
		       unsigned int n, unsigned int kind, bool keep)
{
	unsigned int i = close_loans(s, bufs, n, kind);

	if (i == n && !keep)
		return 0;
	reopen_loans(s, bufs, i);
	if (i < n) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Checks the arguments every zero-copy call shares. */
static struct hsk_sock *zc_sock(int fd, const struct hsk_buf *bufs,
				unsigned int n)
{
	struct hsk_sock *s = hsk_sock_get(fd);

	if (!s) {
		errno = EBADF;
		return NULL;
	}
	if (!bufs && n) {
		errno = EFAULT;
		return NULL;
	}
	if (!s->be->burst) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	return s;
}

/*
 * Locks the socket and makes the loan table on first use (plain sockets
 * pay nothing). Returns how many more buffers the caller may hold, or -1.
 */
static int zc_lock(struct hsk_sock *s)
{
	pthread_mutex_lock(&s->lock);
	if (!s->loans.tab && hsk_loans_init(&s->loans, s->loans.cap)) {
		pthread_mutex_unlock(&s->lock);
		return -1;
	}
	return (int)s->loans.nfree;
}

static unsigned int burst_size(unsigned int want, int room)
{
	if (want > (unsigned int)room)
		want = (unsigned int)room;
	return want < ZC_BURST ? want : ZC_BURST;
}

struct zc_args {
	struct hsk_buf *bufs;
	unsigned int n;
	const struct sockaddr *dst;
	socklen_t dstlen;
};

static ssize_t try_rx(struct hsk_sock *s, void *arg, int flags)
{
	struct zc_args *a = arg;
	uint64_t cookie[ZC_BURST];
	int room = zc_lock(s), r;

	(void)flags;
	if (room < 0)
		return -1;
	if (!room) {
		pthread_mutex_unlock(&s->lock);
		errno = ENOBUFS;
		return -1;
	}
	r = s->be->burst->rx_burst(s, a->bufs, cookie, burst_size(a->n, room));
	for (int i = 0; i < r; i++)
		lend(s, &a->bufs[i], cookie[i], HSK_BUF_RX);
	pthread_mutex_unlock(&s->lock);
	if (r == 0) {
		errno = EAGAIN;
		return -1;
	}
	return r;
}

HSK_EXPORT int hsk_recv_zc(int fd, struct hsk_buf *bufs, unsigned int n,
			   int flags)
{
	struct hsk_sock *s = zc_sock(fd, bufs, n);
	struct zc_args a = { .bufs = bufs, .n = n };
	uint64_t bytes = 0, truncated = 0;
	int r;

	if (!s)
		return -1;
	if (flags & ~MSG_DONTWAIT) {
		errno = EINVAL;
		return -1;
	}
	if (!n)
		return 0;
	r = (int)hsk_run_op(s, POLLIN, flags, false, try_rx, &a);
	if (r <= 0)
		return r;
	for (int i = 0; i < r; i++) {
		bytes += bufs[i].len;
		truncated += !!(bufs[i].flags & HSK_BUF_TRUNC);
	}
	hsk_count_rx(&s->stats, (uint64_t)r, bytes, truncated);
	return r;
}

HSK_EXPORT int hsk_buf_release(int fd, struct hsk_buf *bufs, unsigned int n)
{
	struct hsk_sock *s = zc_sock(fd, bufs, n);
	uint64_t cookie[ZC_BURST];
	struct hsk_loan *e;
	unsigned int i, k, kind;

	if (!s)
		return -1;
	if (zc_lock(s) < 0)
		return -1;
	if (check_loans(s, bufs, n, 0, false)) {
		pthread_mutex_unlock(&s->lock);
		return -1;
	}
	/* Hand back runs of one kind, a burst at a time. */
	for (i = 0; i < n; i += k) {
		kind = bufs[i].priv[1] & KIND_MASK;
		for (k = 0; i + k < n && k < ZC_BURST; k++) {
			if ((bufs[i + k].priv[1] & KIND_MASK) != kind)
				break;
			e = &s->loans.tab[bufs[i + k].priv[2]];
			cookie[k] = e->cookie;
			unlend(s, e);
		}
		if (kind == HSK_BUF_RX)
			s->be->burst->rx_release(s, cookie, k);
		else
			s->be->burst->tx_free(s, cookie, k);
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

HSK_EXPORT int hsk_buf_alloc(int fd, struct hsk_buf *bufs, unsigned int n)
{
	struct hsk_sock *s = zc_sock(fd, bufs, n);
	uint64_t cookie[ZC_BURST];
	unsigned int done = 0;
	int room, r = 0;

	if (!s)
		return -1;
	if (!n)
		return 0;
	room = zc_lock(s);
	if (room < 0)
		return -1;
	if (!room) {
		pthread_mutex_unlock(&s->lock);
		errno = ENOBUFS;
		return -1;
	}
	while (done < n && room > 0) {
		r = s->be->burst->tx_alloc(s, bufs + done, cookie,
					   burst_size(n - done, room));
		if (r <= 0)
			break;
		for (int i = 0; i < r; i++)
			lend(s, &bufs[done + i], cookie[i], HSK_BUF_TX);
		done += (unsigned int)r;
		room -= r;
	}
	pthread_mutex_unlock(&s->lock);
	if (!done) {
		if (r == 0)
			errno = ENOBUFS;
		return -1;
	}
	return (int)done;
}

static ssize_t try_tx(struct hsk_sock *s, void *arg, int flags)
{
	struct zc_args *a = arg;
	uint64_t cookie[ZC_BURST];
	unsigned int k = burst_size(a->n, ZC_BURST);
	int r;

	pthread_mutex_lock(&s->lock);
	for (unsigned int i = 0; i < k; i++)
		cookie[i] = s->loans.tab[a->bufs[i].priv[2]].cookie;
	r = s->be->burst->tx_burst(s, a->bufs, cookie, k, a->dst, a->dstlen,
				   flags);
	for (int i = 0; i < r; i++)
		unlend(s, &s->loans.tab[a->bufs[i].priv[2]]);
	pthread_mutex_unlock(&s->lock);
	return r;
}

HSK_EXPORT int hsk_send_zc(int fd, struct hsk_buf *bufs, unsigned int n,
			   const struct sockaddr *dst, socklen_t dstlen,
			   int flags)
{
	struct hsk_sock *s = zc_sock(fd, bufs, n);
	struct zc_args a = { .dst = dst, .dstlen = dstlen };
	unsigned int sent = 0;
	uint64_t bytes;
	int r;

	if (!s)
		return -1;
	if (flags & ~MSG_DONTWAIT) {
		errno = EINVAL;
		return -1;
	}
	if (!n)
		return 0;
	if (zc_lock(s) < 0)
		return -1;
	r = check_loans(s, bufs, n, HSK_BUF_TX, true);
	for (unsigned int i = 0; !r && i < n; i++)
		if (bufs[i].len > bufs[i].capacity) {
			errno = EINVAL;
			r = -1;
		}
	pthread_mutex_unlock(&s->lock);
	if (r)
		return -1;
	while (sent < n) {
		a.bufs = bufs + sent;
		a.n = n - sent;
		r = (int)hsk_run_op(s, POLLOUT,
				    sent ? flags | MSG_DONTWAIT : flags, false,
				    try_tx, &a);
		if (r <= 0)
			break;
		bytes = 0;
		for (int i = 0; i < r; i++)
			bytes += a.bufs[i].len;
		hsk_count_tx(&s->stats, (uint64_t)r, bytes);
		sent += (unsigned int)r;
	}
	if (!sent) {
		if (errno != EAGAIN && errno != ETIMEDOUT)
			hsk_count(&s->stats.tx_errors, 1);
		return -1;
	}
	return (int)sent;
}

/* ---- slabs: fixed-size slots in one mapping ------------------------- */

int hsk_slab_init(struct hsk_slab *sl, uint32_t nslots, uint32_t slot_size)
{
	size_t len = (size_t)nslots * slot_size;
	void *base = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (base == MAP_FAILED) {
		errno = ENOMEM;
		return -1;
	}
	sl->free_list = malloc(nslots * sizeof(*sl->free_list));
	if (!sl->free_list) {
		munmap(base, len);
		errno = ENOMEM;
		return -1;
	}
	sl->base = base;
	sl->map_len = len;
	sl->slot_size = slot_size;
	sl->nslots = nslots;
	for (uint32_t i = 0; i < nslots; i++)
		sl->free_list[i] = nslots - 1 - i;
	sl->nfree = nslots;
	return 0;
}

void hsk_slab_fini(struct hsk_slab *sl)
{
	if (sl->base)
		munmap(sl->base, sl->map_len);
	free(sl->free_list);
	memset(sl, 0, sizeof(*sl));
}

unsigned int hsk_slab_get(struct hsk_slab *sl, uint32_t *idx, unsigned int n)
{
	unsigned int k = n < sl->nfree ? n : sl->nfree;

	for (unsigned int i = 0; i < k; i++)
		idx[i] = sl->free_list[--sl->nfree];
	return k;
}

void hsk_slab_put(struct hsk_slab *sl, uint32_t idx)
{
	sl->free_list[sl->nfree++] = idx;
}
