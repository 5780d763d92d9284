/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by the XDP program and the library: the flow map's key. */
#ifndef HSK_XDP_H
#define HSK_XDP_H

#include <linux/types.h>

#define HSK_XDP_MAX_FLOWS 4096
#define HSK_XDP_MAX_QUEUES 64
#define HSK_XDP_MAX_PTYPES 64

enum { HSK_FLOW_IPV4 = 4, HSK_FLOW_IPV6 = 6 };

/* addr all zero: any local address (a socket bound to the wildcard). */
struct hsk_flow_key {
	__u8 family;
	__u8 pad;
	__be16 port;
	__u8 addr[16];
};

#endif
