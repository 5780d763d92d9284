/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DPDK backend: hotsock owns an ethdev port (a NIC or a vdev) and runs
 * to completion on the caller's thread. A port carries its mempool, its
 * control plane (lib/net/ctrl.h: ARP, ND, ICMP, IGMP/MLD), an IPv4/IPv6
 * reassembly table and the list of sockets it demultiplexes to.
 *
 * Locking: one mutex per port guards its queues, its control plane and
 * every socket's receive queue. The zero-copy core takes a socket's lock
 * first, then the port's; nothing holding a port lock takes a socket lock.
 */
#ifndef HSK_DPDK_H
#define HSK_DPDK_H

#include <rte_ethdev.h>
#include <net/if.h>
#include <signal.h>

#include <rte_ip_frag.h>
#include <rte_mbuf.h>

#include "ctrl.h"
#include "hsk_priv.h"
#include "net.h"

#define DP_RXQ_SIZE 1024u /* datagrams queued per socket, a power of 2 */
#define DP_BURST 32u
#define MAX_FRAME (65535u + 128u) /* the largest datagram, with headers */
#define DP_MAX_RX_FDS 16u	  /* queues a wait can sleep on */

struct dp_sock;

struct dp_port {
	uint16_t id;
	char name[RTE_ETH_NAME_MAX_LEN];
	int ifindex; /* the kernel interface behind a vdev, else 0 */
	char ifname[IF_NAMESIZE]; /* its name, "" when none */
	unsigned int promisc;	  /* sockets holding PACKET_MR_PROMISC */
	uint8_t mac[6];
	uint16_t mtu;
	uint16_t nrxq;
	unsigned int csum;    /* HSK_NET_CSUM_* for the parser */
	bool tx_csum_offload; /* the port computes IPv4/UDP checksums */
	/* Signals the PMD raises for itself (net_tap: a real-time one per
	 * frame), blocked while a wait sleeps so that they do not end it
	 * as the application's own signals do. */
	sigset_t pmd_signals;
	/* net_tap: rtnetlink in the port's namespace, for the counters of
	 * the tap, whose queue to the PMD drops what overflows it; else -1.
	 * The PMD knows nothing of those. */
	int tap_nl_fd;
	struct hsk_ctrl_cfg cfg; /* addresses, for the sockets too */
	pthread_mutex_t lock;
	struct rte_mempool *pool;
	struct rte_mempool *indirect; /* fragments' headers point in */
	struct hsk_ctrl *ctrl;
	struct dp_reasm *reasm;
	uint8_t *reasm_buf; /* a datagram made whole */
	int ns_fd;	    /* the shadow namespace of the placeholders */
	int wake_fd;	    /* always readable: hsk_poll() re-checks the port */
	/*
	 * What a wait sleeps on until the device has frames: one descriptor
	 * per RX queue, readable while the queue holds frames (net_tap's
	 * queue interrupt, net_af_xdp's XSK, net_af_packet's packet socket);
	 * none (0) when a queue has no such descriptor, and waits then back
	 * off instead.
	 */
	int rx_fd[DP_MAX_RX_FDS];
	uint16_t n_rx_fd;
	/* A poll that queued datagrams while another thread slept on the
	 * queues kicks it through this eventfd (the frames it waited for
	 * left the device); sleepers are counted under the lock. */
	int kick_fd;
	unsigned int sleepers;
	bool kicked;
	unsigned int busy_poll_us; /* a wait spins this long first */
	uint8_t *scratch;	   /* a reassembled datagram, made contiguous */
	struct dp_sock *socks;
	uint64_t rx_unclaimed, rx_malformed;
	/* Closed at exit (port.c): nothing touches the device or its mbufs
	 * any more, and the drops stay as they were then. */
	bool closed;
	uint64_t drops_at_close;
	bool backlog; /* the last poll left frames in the device */
	struct dp_port *next;
};

/* One datagram or frame waiting in a socket's queue. */
struct dp_rx {
	struct rte_mbuf *m;
	uint64_t ts_ns;
	struct hsk_net_udp pkt; /* UDP sockets: offsets into the frame */
};

/* The port named by the configuration, made (EAL too) on first use. NULL
 * with errno, the reason logged, when there is none. */
struct dp_port *dp_port_get(const struct hsk_config *c);

/* A placeholder kernel socket in the port's shadow namespace. */
int dp_port_socket(struct dp_port *p, int domain, int type, int protocol);

/* Receives from the port and sorts it into sockets: everything waiting
 * (up to a bound) when the last poll emptied the port; else a burst at a
 * time while @ds has fewer than @want datagrams queued and room for
 * more, one burst per queue when @ds is NULL. Port locked. */
void dp_port_poll(struct dp_port *p, const struct dp_sock *ds,
		  unsigned int want);

/* Frames the device lost before the port could sort them (missed for
 * want of room in its ring, or of an mbuf): every socket's. */
uint64_t dp_port_drops(struct dp_port *p);

/* Sleeps @ns, @p's PMD signals blocked meanwhile; -1 with EINTR when
 * another signal came. */
int dp_port_nap(const struct dp_port *p, long ns);

/* Sleeps until a queue of @p has frames, a kick, a signal or @ns have
 * passed, PMD signals blocked meanwhile; only for a port with n_rx_fd.
 * The caller counted itself in p->sleepers, under the lock with the check
 * that found nothing; this counts it out. -1 with EINTR when another
 * signal came. */
int dp_port_sleep(struct dp_port *p, long ns);

/* Whether @m leaves as it is, in one frame: the port is open and @m is
 * within its MTU. dp_port_xmit() cuts an IP datagram that is not; one that
 * is may as well join a burst of the caller's, or be held whole while its
 * neighbour is resolved (a single segment then). Port locked. */
bool dp_port_takes_whole(const struct dp_port *p, const struct rte_mbuf *m);

/* Sends a complete frame, fragmenting an IP datagram above the MTU;
 * takes @m either way. Port locked. 0, or -1 with errno (EAGAIN: the
 * TX queue is full, ENOBUFS). */
int dp_port_xmit(struct dp_port *p, struct rte_mbuf *m);

static inline uint64_t dp_now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return hsk_ts_ns(&ts);
}

/* A frame copied into an mbuf chain from @p's pool; NULL when short. */
struct rte_mbuf *dp_frame_chain(struct dp_port *p, const uint8_t *frame,
				uint32_t len);

/* reasm.c: IPv4/IPv6 reassembly, bounded; the caller locks. */
struct dp_reasm;
struct dp_reasm *dp_reasm_new(void);
void dp_reasm_free(struct dp_reasm *r);
bool dp_reasm_is_fragment(const uint8_t *f, uint32_t len, uint16_t et,
			  uint16_t l2);
/* Takes a fragment (a whole frame); when it completes a datagram,
 * writes the whole frame to @out (MAX_FRAME bytes) and returns its
 * length, else 0. */
uint32_t dp_reasm_input(struct dp_reasm *r, const uint8_t *f, uint32_t len,
			uint16_t l2, uint64_t now, uint8_t *out);

/* Sockets' side, in dpdk.c; port locked. */
void dp_sock_udp_input(struct dp_port *p, struct rte_mbuf *m,
		       const struct hsk_net_udp *pkt, uint64_t ts);
void dp_sock_frame_input(struct dp_port *p, struct rte_mbuf *m, uint64_t ts);
/* Whether @ds has fewer than @want datagrams queued, and room for more. */
bool dp_sock_wants(const struct dp_sock *ds, unsigned int want);
/* Counts a malformed or corrupt datagram against its socket; false when
 * no socket claims it. */
bool dp_sock_count_bad(struct dp_port *p, const struct hsk_net_udp *pkt,
		       enum hsk_net_verdict why);
/* An ICMP error about a datagram we sent from @sport to @dst:@dport. */
void dp_sock_icmp_error(struct dp_port *p, int family,
			const union hsk_net_addr *dst, uint16_t sport,
			uint16_t dport, int err);

#endif
