/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An AF_XDP port: one interface as this process uses it. It owns the XDP
 * program (through libxdp), and per receive queue a UMEM, its fill and
 * completion rings, and one XSK with its RX and TX rings. Every fast-path
 * socket on the interface shares them: whichever thread pulls a queue
 * sorts the frames into the sockets' own receive queues.
 *
 * Locking: one mutex per port guards its rings, frame pools and every
 * socket's receive queue. The zero-copy core takes a socket's lock first,
 * then the port's; nothing holding a port lock takes a socket lock.
 */
#ifndef HSK_AF_XDP_PORT_H
#define HSK_AF_XDP_PORT_H

#include <net/if.h>
#include <xdp/xsk.h>

#include "hsk_priv.h"
#include "hsk_xdp.h"
#include "net.h"

#define XSK_FRAME_SIZE 2048u

struct xdp_sock;

struct xsk_queue {
	uint32_t id;
	int fd;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	unsigned char *area;
	size_t area_len;
	uint64_t *free; /* frame addresses not in any ring or queue */
	uint32_t nfree;
	uint32_t nframes;
	uint32_t ring_size;
};

struct xsk_port {
	int ifindex;
	char ifname[IF_NAMESIZE];
	uint8_t mac[6];
	uint32_t mtu;
	unsigned int csum; /* HSK_NET_CSUM_* for the parser */
	int refs;
	pthread_mutex_t lock;
	struct hsk_xdp *skel;
	struct xdp_program *prog;
	int attach_mode; /* enum xdp_attach_mode */
	bool attached;	 /* the program is on the interface now */
	int flows_fd;
	uint32_t nqueues;
	uint32_t ring_size;
	unsigned int busy_poll_us;
	uint16_t bind_flags; /* XDP_COPY / XDP_ZEROCOPY when forced */
	struct xsk_queue *q;
	struct xdp_sock *socks; /* engaged sockets, for demultiplexing */
	unsigned int ntaps;	/* of them, packet sockets taking frames */
	unsigned int nudp;	/* and UDP sockets: without any, no parsing */
	uint64_t rx_unclaimed;	/* frames for no socket of ours */
	uint64_t rx_malformed;
	struct xsk_port *next;
};

/*
 * One datagram waiting in a socket's receive queue: its frame stays in
 * the UMEM until read (copy API) or given back (zero-copy API).
 */
struct rx_entry {
	uint64_t addr; /* frame address in its queue's UMEM */
	uint32_t queue;
	uint32_t frame_len;
	uint64_t ts_ns;
	uint16_t ethertype;	/* outer, network order */
	struct hsk_net_udp pkt; /* for UDP sockets */
};

/* Takes a reference on the port of @ifindex, making it on first use.
 * NULL with errno, and the reason logged, when AF_XDP cannot run there. */
struct xsk_port *xsk_port_get(int ifindex, const struct hsk_config *c);
void xsk_port_put(struct xsk_port *p);

/* Flow entries of the XDP program; port locked. */
int xsk_port_flow_add(struct xsk_port *p, int family,
		      const union hsk_net_addr *addr, uint16_t port);
void xsk_port_flow_del(struct xsk_port *p, int family,
		       const union hsk_net_addr *addr, uint16_t port);

/* Ethertype entries for AF_PACKET sockets (network order, 0: all). */
int xsk_port_ptype_add(struct xsk_port *p, uint16_t ethertype);
void xsk_port_ptype_del(struct xsk_port *p, uint16_t ethertype);

/*
 * Puts the program on the interface while a socket of the port takes
 * frames from it (ntaps or nudp), and takes it off otherwise; port
 * locked. A failure is logged: the frames then reach the sockets through
 * the kernel, as any frame the program passes up.
 */
void xsk_port_sync_program(struct xsk_port *p);

/*
 * Where a zero-copy receive wants its datagrams: straight into the
 * caller's buffers, without a stop in its socket's queue.
 */
struct xsk_sink {
	struct hsk_buf *b;
	uint64_t *cookie;
	unsigned int n, got;
};

/*
 * Pulls every queue's RX ring into the sockets' queues, refills the fill
 * rings and reaps completions; port locked. @self is the caller's socket
 * (the others are woken). With a @sink (only while @self's queue is
 * empty, so that order holds), @self's datagrams fill it, and the pull
 * stops when it is full: the rest waits in the RX rings.
 */
void xsk_port_pull(struct xsk_port *p, struct xdp_sock *self,
		   struct xsk_sink *sink);

/* Frames: take one for transmit, give one back; port locked. */
bool xsk_frame_get(struct xsk_queue *q, uint64_t *addr);
void xsk_frame_put(struct xsk_queue *q, uint64_t addr);
static inline void *xsk_frame_ptr(struct xsk_queue *q, uint64_t addr)
{
	return q->area + addr;
}

/* Queues @n frames of @q for transmit; port locked. Returns how many
 * fit in the TX ring. */
unsigned int xsk_tx_submit(struct xsk_queue *q, const struct xdp_desc *d,
			   unsigned int n);
/* Tells the kernel to transmit, when it asked to be told; errno is kept. */
void xsk_tx_kick(struct xsk_queue *q);
void xsk_reap_completions(struct xsk_queue *q);
/* Frames the kernel could not put in this port's RX rings (ring full, no
 * fill frame): the port's, shared by its sockets. */
uint64_t xsk_port_ring_drops(struct xsk_port *p);
/* Whether a frame and a TX slot are free (after reaping); port locked. */
bool xsk_tx_room(struct xsk_queue *q);

/* Sockets' side, in af_xdp.c. */
bool xdp_sock_accepts(struct xdp_sock *xs, const struct hsk_net_udp *pkt);
bool xdp_sock_wants_frame(struct xdp_sock *xs, uint16_t ethertype);
bool xdp_sock_enqueue(struct xdp_sock *xs, const struct rx_entry *e, bool wake);
/* Lends @e's datagram to the caller as a zero-copy buffer. */
void xdp_sock_lend(struct xdp_sock *xs, const struct rx_entry *e,
		   struct hsk_buf *b, uint64_t *cookie);
void xdp_sock_count_drop(struct xdp_sock *xs, enum hsk_net_verdict why);
struct xdp_sock *xdp_sock_next(struct xdp_sock *xs);

#endif
