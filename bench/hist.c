// SPDX-License-Identifier: BSD-3-Clause
#include <string.h>

#include "hist.h"

/*
 * Values below 2 * HIST_SUB have a bucket each. Above, a value whose top
 * bit is bit b (b >= HIST_SUB_BITS + 1) keeps its HIST_SUB_BITS + 1 top
 * bits: bucket (b - HIST_SUB_BITS) * HIST_SUB + the HIST_SUB_BITS bits
 * under the top one, each bucket 2^(b - HIST_SUB_BITS) wide.
 */
static unsigned int bucket_of(uint64_t v)
{
	unsigned int top, shift, idx;

	if (v < 2 * HIST_SUB)
		return (unsigned int)v;
	top = 63 - (unsigned int)__builtin_clzll(v);
	shift = top - HIST_SUB_BITS;
	idx = (shift + 1) * HIST_SUB +
	      (unsigned int)((v >> shift) & (HIST_SUB - 1));
	return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

/* The middle of bucket @idx. */
static double bucket_mid(unsigned int idx)
{
	unsigned int shift;
	uint64_t low;

	if (idx < 2 * HIST_SUB)
		return idx;
	shift = idx / HIST_SUB - 1;
	low = (uint64_t)(HIST_SUB + idx % HIST_SUB) << shift;
	return (double)low + (double)((uint64_t)1 << shift) / 2;
}

void hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void hist_add(struct hist *h, uint64_t ns)
{
	h->bucket[bucket_of(ns)]++;
	h->count++;
	if (ns > h->max)
		h->max = ns;
	if (ns < h->min)
		h->min = ns;
}

double hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0;
	unsigned int i;
	double v;

	if (!h->count)
		return 0;
	if (q >= 1)
		return (double)h->max;
	rank = (uint64_t)(q * (double)h->count);
	if ((double)rank < q * (double)h->count)
		rank++;
	if (!rank)
		rank = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank)
			break;
	}
	v = bucket_mid(i < HIST_BUCKETS ? i : HIST_BUCKETS - 1);
	/* The middle of the top or bottom bucket may lie past the extremes. */
	if (v > (double)h->max)
		v = (double)h->max;
	if (v < (double)h->min)
		v = (double)h->min;
	return v;
}
