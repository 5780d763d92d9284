/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ref_csum.h - the Internet checksum (RFC 1071) as the suites compute it,
 * written independently of lib/net so that a bug there cannot hide in a
 * test. Header only: the fuzz target builds without the test libraries.
 */
#ifndef HSK_TEST_REF_CSUM_H
#define HSK_TEST_REF_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* @sum plus the big-endian 16-bit words of @data, an odd byte padded. */
static inline uint32_t ref_sum(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* The ones' complement sum @sum folded to 16 bits, not inverted: 0xffff
 * over data that carries its valid checksum. */
static inline uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The checksum to write for what @sum covers; 0 over data that carries
 * its valid checksum. */
static inline uint16_t ref_csum(uint32_t sum)
{
	return (uint16_t)~ref_fold(sum);
}

#endif /* HSK_TEST_REF_CSUM_H */
