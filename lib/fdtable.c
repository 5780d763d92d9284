// SPDX-License-Identifier: BSD-3-Clause
/*
 * The descriptor table: socket state indexed by the descriptor number.
 *
 * Two levels, so that a process with a million descriptors pays only for
 * the pages it uses; pages are never freed, so a lookup needs no lock.
 * Installing and removing are serialised by the kernel itself: a number
 * is handed to one socket at a time, until close(2) gives it back.
 */
#include <stdlib.h>

#include "hsk_priv.h"

#define PAGE_SHIFT 10
#define PAGE_ENTRIES (1u << PAGE_SHIFT)
#define NPAGES 2048u /* 2M descriptors, beyond any RLIMIT_NOFILE default */

typedef _Atomic(struct hsk_sock *) slot_t;

static _Atomic(slot_t *) pages[NPAGES];

static slot_t *slot_of(int fd, bool create)
{
	unsigned int pg;
	slot_t *page, *fresh = NULL;

	if (fd < 0 || (unsigned int)fd >= NPAGES * PAGE_ENTRIES)
		return NULL;
	pg = (unsigned int)fd >> PAGE_SHIFT;
	page = atomic_load_explicit(&pages[pg], memory_order_acquire);
	if (page || !create)
		return page ? &page[fd & (PAGE_ENTRIES - 1)] : NULL;
	fresh = calloc(PAGE_ENTRIES, sizeof(*fresh));
	if (!fresh)
		return NULL;
	/* Release pairs with the acquire above: the zeroed page is visible
	 * before its pointer. */
	if (!atomic_compare_exchange_strong_explicit(&pages[pg], &page, fresh,
						     memory_order_acq_rel,
						     memory_order_acquire))
		free(fresh); /* another thread won; page holds its pointer */
	else
		page = fresh;
	return &page[fd & (PAGE_ENTRIES - 1)];
}

struct hsk_sock *hsk_sock_get(int fd)
{
	slot_t *slot = slot_of(fd, false);

	return slot ? atomic_load_explicit(slot, memory_order_acquire) : NULL;
}

int hsk_sock_install(struct hsk_sock *s)
{
	return hsk_sock_install_at(s->fd, s);
}

int hsk_sock_install_at(int fd, struct hsk_sock *s)
{
	slot_t *slot = slot_of(fd, true);

	if (!slot) {
		errno = fd < 0 ? EBADF : ENOMEM;
		return -1;
	}
	/* Release: the socket's fields are visible before its pointer. */
	atomic_store_explicit(slot, s, memory_order_release);
	return 0;
}

void hsk_sock_foreach(void (*fn)(int fd, struct hsk_sock *s, void *arg),
		      void *arg)
{
	for (unsigned int pg = 0; pg < NPAGES; pg++) {
		slot_t *page = atomic_load_explicit(&pages[pg],
						    memory_order_acquire);

		for (unsigned int i = 0; page && i < PAGE_ENTRIES; i++) {
			struct hsk_sock *s = atomic_load_explicit(
				&page[i], memory_order_acquire);

			if (s)
				fn((int)(pg << PAGE_SHIFT | i), s, arg);
		}
	}
}

struct hsk_sock *hsk_sock_remove(int fd)
{
	slot_t *slot = slot_of(fd, false);

	return slot ? atomic_exchange_explicit(slot, NULL,
					       memory_order_acq_rel) :
		      NULL;
}
