/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A log-bucketed latency histogram: exact below 64 ns, then 64 buckets
 * per power of two, so a percentile read from it is off by at most 1/128
 * of its value (it reports the middle of its bucket). The maximum is kept
 * exactly.
 */
#ifndef HSK_BENCH_HIST_H
#define HSK_BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 6
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_OCTAVES 40 /* up to 2^40 ns, about 18 minutes */
#define HIST_BUCKETS ((HIST_OCTAVES + 1) * HIST_SUB)

struct hist {
	uint64_t count, max, min;
	uint64_t bucket[HIST_BUCKETS];
};

void hist_reset(struct hist *h);
void hist_add(struct hist *h, uint64_t ns);
/* The value at quantile @q (0..1]: ns, or 0 when empty. */
double hist_quantile(const struct hist *h, double q);

#endif
