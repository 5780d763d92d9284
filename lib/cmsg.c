// SPDX-License-Identifier: BSD-3-Clause
/*
 * What recvmsg(2) writes besides the data, for backends that receive in
 * user space: the payload into iovecs and control messages, both with the
 * kernel's rules for buffers that are too small.
 */
#include <string.h>
#include <net/if_arp.h>
#include <netinet/in.h>

#include "hsk_priv.h"
#include "net.h"

void hsk_put_cmsg(struct hsk_cmsg_writer *w, int level, int type,
		  const void *data, size_t len)
{
	struct msghdr *m = w->m;
	size_t room = m->msg_controllen - w->used;
	size_t cmlen = CMSG_LEN(len);
	struct cmsghdr h = { .cmsg_level = level, .cmsg_type = type };
	unsigned char *at = (unsigned char *)m->msg_control + w->used;

	/* As the kernel's put_cmsg(): what does not fit is cut and flagged
	 * with MSG_CTRUNC, never an error. */
	if (room < sizeof(h)) {
		m->msg_flags |= MSG_CTRUNC;
		return;
	}
	if (room < cmlen) {
		m->msg_flags |= MSG_CTRUNC;
		cmlen = room;
	}
	h.cmsg_len = cmlen;
	memcpy(at, &h, sizeof(h));
	memcpy(CMSG_DATA((struct cmsghdr *)at), data, cmlen - CMSG_LEN(0));
	w->used += CMSG_SPACE(len) < room ? CMSG_SPACE(len) : room;
}

void hsk_cmsg_done(struct hsk_cmsg_writer *w)
{
	w->m->msg_controllen = w->used;
}

int hsk_opt_int(int fd, int level, int name)
{
	int v = 0;
	socklen_t l = sizeof(v);

	return getsockopt(fd, level, name, &v, &l) ? 0 : v;
}

unsigned int hsk_rx_options(int fd, int family, bool packet)
{
	bool v4 = family == AF_INET;
	int lvl = v4 ? IPPROTO_IP : IPPROTO_IPV6;
	unsigned int f = 0;

	/* As sock_recv_timestamp(): the nanosecond stamp wins. */
	if (hsk_opt_int(fd, SOL_SOCKET, SO_TIMESTAMPNS))
		f |= HSK_RX_TIMESTAMPNS;
	else if (hsk_opt_int(fd, SOL_SOCKET, SO_TIMESTAMP))
		f |= HSK_RX_TIMESTAMP;
	if (hsk_opt_int(fd, SOL_SOCKET, SO_RXQ_OVFL))
		f |= HSK_RX_OVFL;
	if (packet) {
		if (hsk_opt_int(fd, SOL_PACKET, PACKET_AUXDATA))
			f |= HSK_RX_AUXDATA;
		return f;
	}
	if (hsk_opt_int(fd, lvl, v4 ? IP_PKTINFO : IPV6_RECVPKTINFO))
		f |= HSK_RX_PKTINFO;
	if (hsk_opt_int(fd, lvl, v4 ? IP_RECVTTL : IPV6_RECVHOPLIMIT))
		f |= HSK_RX_TTL;
	if (hsk_opt_int(fd, lvl, v4 ? IP_RECVTOS : IPV6_RECVTCLASS))
		f |= HSK_RX_TOS;
	return f;
}

static void put_ip4_cmsgs(struct hsk_cmsg_writer *w, unsigned int want,
			  const struct hsk_net_udp *pkt, int ifindex)
{
	int ttl = pkt->ttl;

	if (want & HSK_RX_PKTINFO) {
		struct in_pktinfo pi = { .ipi_ifindex = ifindex,
					 .ipi_spec_dst = pkt->dst.v4,
					 .ipi_addr = pkt->dst.v4 };

		hsk_put_cmsg(w, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	}
	if (want & HSK_RX_TTL)
		hsk_put_cmsg(w, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	/* IP_TOS is the one given as a byte. */
	if (want & HSK_RX_TOS)
		hsk_put_cmsg(w, IPPROTO_IP, IP_TOS, &pkt->tos, 1);
}

static void put_ip6_cmsgs(struct hsk_cmsg_writer *w, unsigned int want,
			  const struct hsk_net_udp *pkt, int ifindex)
{
	int hops = pkt->ttl, tclass = pkt->tos;

	if (want & HSK_RX_PKTINFO) {
		struct in6_pktinfo pi = { .ipi6_addr = pkt->dst.v6,
					  .ipi6_ifindex =
						  (unsigned int)ifindex };

		hsk_put_cmsg(w, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	}
	if (want & HSK_RX_TTL)
		hsk_put_cmsg(w, IPPROTO_IPV6, IPV6_HOPLIMIT, &hops,
			     sizeof(hops));
	if (want & HSK_RX_TOS)
		hsk_put_cmsg(w, IPPROTO_IPV6, IPV6_TCLASS, &tclass,
			     sizeof(tclass));
}

void hsk_put_rx_cmsgs(struct msghdr *m, unsigned int want,
		      const struct hsk_rx_meta *rx)
{
	struct hsk_cmsg_writer w = { .m = m };

	if (want & HSK_RX_TIMESTAMPNS) {
		struct timespec ts = { (time_t)(rx->ts_ns / 1000000000u),
				       (long)(rx->ts_ns % 1000000000u) };

		hsk_put_cmsg(&w, SOL_SOCKET, SCM_TIMESTAMPNS, &ts, sizeof(ts));
	} else if (want & HSK_RX_TIMESTAMP) {
		struct timeval tv = { (time_t)(rx->ts_ns / 1000000000u),
				      (long)(rx->ts_ns % 1000000000u / 1000) };

		hsk_put_cmsg(&w, SOL_SOCKET, SCM_TIMESTAMP, &tv, sizeof(tv));
	}
	/* As sock_recv_drops(): only once something was dropped. */
	if ((want & HSK_RX_OVFL) && rx->drops)
		hsk_put_cmsg(&w, SOL_SOCKET, SO_RXQ_OVFL, &rx->drops,
			     sizeof(rx->drops));
	if (!rx->pkt) {
		if (want & HSK_RX_AUXDATA) {
			struct tpacket_auxdata aux = {
				.tp_status = TP_STATUS_USER,
				.tp_len = rx->len,
				.tp_snaplen = rx->len,
				.tp_net =
					(uint16_t)(rx->off ? 0 : HSK_ETH_HLEN),
			};

			hsk_put_cmsg(&w, SOL_PACKET, PACKET_AUXDATA, &aux,
				     sizeof(aux));
		}
	} else if (rx->pkt->family == AF_INET) {
		put_ip4_cmsgs(&w, want, rx->pkt, rx->ifindex);
	} else {
		put_ip6_cmsgs(&w, want, rx->pkt, rx->ifindex);
	}
	hsk_cmsg_done(&w);
}

socklen_t hsk_udp_sockaddr(const struct hsk_net_udp *pkt, int ifindex,
			   void *out)
{
	if (pkt->family == AF_INET) {
		struct sockaddr_in *in = out;

		*in = (struct sockaddr_in){ .sin_family = AF_INET,
					    .sin_port = pkt->sport,
					    .sin_addr = pkt->src.v4 };
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = out;

	*in6 = (struct sockaddr_in6){ .sin6_family = AF_INET6,
				      .sin6_port = pkt->sport,
				      .sin6_addr = pkt->src.v6 };
	if (IN6_IS_ADDR_LINKLOCAL(&pkt->src.v6))
		in6->sin6_scope_id = (uint32_t)ifindex;
	return sizeof(*in6);
}

static unsigned char pkttype_of(const uint8_t *mac, const uint8_t *dst)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (!memcmp(dst, mac, 6))
		return PACKET_HOST;
	if (!memcmp(dst, bcast, 6))
		return PACKET_BROADCAST;
	return dst[0] & 1 ? PACKET_MULTICAST : PACKET_OTHERHOST;
}

socklen_t hsk_ll_sockaddr(const uint8_t *frame, uint32_t len, int ifindex,
			  const uint8_t *mac, void *out)
{
	struct sockaddr_ll *ll = out;

	*ll = (struct sockaddr_ll){ .sll_family = AF_PACKET,
				    .sll_ifindex = ifindex,
				    .sll_hatype = ARPHRD_ETHER,
				    .sll_halen = 6 };
	if (len >= HSK_ETH_HLEN) {
		memcpy(&ll->sll_protocol, frame + 12, 2);
		ll->sll_pkttype = pkttype_of(mac, frame);
		memcpy(ll->sll_addr, frame + 6, 6);
	}
	return sizeof(*ll);
}

ssize_t hsk_copy_to_iov(const struct msghdr *m, const void *src, size_t len)
{
	const unsigned char *from = src;
	size_t done = 0;

	for (size_t i = 0; i < m->msg_iovlen && done < len; i++) {
		size_t k = m->msg_iov[i].iov_len;

		if (!k)
			continue;
		if (!m->msg_iov[i].iov_base) {
			errno = EFAULT;
			return -1;
		}
		if (k > len - done)
			k = len - done;
		memcpy(m->msg_iov[i].iov_base, from + done, k);
		done += k;
	}
	return (ssize_t)done;
}

/* The kernel's receive timestamp in a message, 0 when it gave none. */
static uint64_t cmsg_ts_ns(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return hsk_ts_ns(&ts);
		}
	return 0;
}

#define RX_CMSG_SPACE 64

int hsk_recvmmsg_bufs(int fd, struct hsk_buf *b, unsigned int n, uint32_t cap,
		      bool kernel_ts)
{
	char ctl[HSK_RECV_BUFS_MAX][RX_CMSG_SPACE] __attribute__((aligned(8)));
	struct mmsghdr mm[HSK_RECV_BUFS_MAX];
	struct iovec iov[HSK_RECV_BUFS_MAX];
	struct timespec now;
	int r;

	if (n > HSK_RECV_BUFS_MAX)
		n = HSK_RECV_BUFS_MAX;
	for (unsigned int i = 0; i < n; i++) {
		iov[i] = (struct iovec){ b[i].data, cap };
		mm[i].msg_hdr = (struct msghdr){
			.msg_name = &b[i].addr,
			.msg_namelen = sizeof(b[i].addr),
			.msg_iov = &iov[i],
			.msg_iovlen = 1,
			.msg_control = kernel_ts ? ctl[i] : NULL,
			.msg_controllen = kernel_ts ? RX_CMSG_SPACE : 0,
		};
	}
	/* MSG_TRUNC: msg_len is the datagram's full length. */
	r = recvmmsg(fd, mm, n, MSG_DONTWAIT | MSG_TRUNC, NULL);
	if (r < 0)
		return errno == EAGAIN ? 0 : -1;
	clock_gettime(CLOCK_REALTIME, &now);
	for (int i = 0; i < r; i++) {
		b[i].orig_len = mm[i].msg_len;
		b[i].len = mm[i].msg_len < cap ? mm[i].msg_len : cap;
		b[i].capacity = b[i].len;
		b[i].flags = b[i].len < b[i].orig_len ? HSK_BUF_TRUNC : 0;
		b[i].addrlen = mm[i].msg_hdr.msg_namelen;
		b[i].ts_ns = kernel_ts ? cmsg_ts_ns(&mm[i].msg_hdr) : 0;
		if (!b[i].ts_ns)
			b[i].ts_ns = hsk_ts_ns(&now);
	}
	return r;
}
