// SPDX-License-Identifier: BSD-3-Clause
/*
 * What the fast path suites check alike (fastpath.h).
 */
#include <net/ethernet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "fastpath.h"

size_t tst_ip4_frame(uint8_t *f, enum tst_damage dmg, const char *payload)
{
	size_t plen = strlen(payload);
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint16_t tot = (uint16_t)(20 + 8 + plen), ulen = (uint16_t)(8 + plen);
	uint8_t pseudo[12];
	uint32_t sum = 0;
	uint16_t c;

	memcpy(f, tst_topo.mac_local, 6);
	memcpy(f + 6, tst_topo.mac_peer, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &tst_topo.ip4_peer, 4);
	memcpy(ip + 16, &tst_topo.ip4_local, 4);
	udp[0] = TST_PORT_PEER >> 8;
	udp[1] = TST_PORT_PEER & 0xff;
	udp[2] = TST_PORT_LOCAL >> 8;
	udp[3] = TST_PORT_LOCAL & 0xff;
	udp[6] = udp[7] = 0;
	memcpy(udp + 8, payload, plen);
	if (dmg == TST_IP_LENGTH_BEYOND_FRAME)
		tot += 100;
	if (dmg == TST_UDP_LENGTH_BEYOND_IP)
		ulen += 10;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	udp[4] = (uint8_t)(ulen >> 8);
	udp[5] = (uint8_t)ulen;
	if (dmg == TST_IHL_BELOW_FIVE)
		ip[0] = 0x44;
	c = ref_csum(ref_sum(0, ip, 20));
	if (dmg == TST_BAD_IP_CHECKSUM)
		c ^= 0x5555;
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_UDP;
	pseudo[10] = (uint8_t)((8 + plen) >> 8);
	pseudo[11] = (uint8_t)(8 + plen);
	for (size_t i = 0; i < sizeof(pseudo); i += 2)
		sum += (uint32_t)(pseudo[i] << 8 | pseudo[i + 1]);
	c = ref_csum(ref_sum(sum, udp, 8 + plen));
	if (dmg == TST_BAD_UDP_CHECKSUM)
		c ^= 0x1234;
	udp[6] = (uint8_t)(c >> 8);
	udp[7] = (uint8_t)c;
	if (dmg == TST_TRUNCATED_UDP_HEADER)
		return 14 + 20 + 5;
	return 14 + 20 + 8 + plen;
}

static void send_frame(int raw, enum tst_damage dmg, const char *payload)
{
	uint8_t f[256];
	size_t len = tst_ip4_frame(f, dmg, payload);

	cr_assert_eq(send(raw, f, len, 0), (ssize_t)len, "raw send: %s",
		     strerror(errno));
}

void tst_damaged_is_dropped(enum tst_damage dmg, enum tst_counted counted)
{
	struct tst_pair p;
	struct hsk_stats st;
	char buf[256];
	int raw;
	ssize_t r;

	tst_pair_open(&p, AF_INET, false, false);
	tst_settimeout(p.fd, 5.0);
	/* Both sides learn the route and the MACs first: a normal
	 * exchange. */
	tst_peer_send(&p, "hello", 5);
	r = hsk_recv(p.fd, buf, sizeof(buf), 0);
	cr_assert_eq(r, 5, "hsk_recv: %zd (%s)", r,
		     r < 0 ? strerror(errno) : "length");
	raw = tst_peer_packet(SOCK_RAW, ETHERTYPE_IP);
	send_frame(raw, dmg, "damaged");
	send_frame(raw, TST_GOOD, "good");
	r = hsk_recv(p.fd, buf, sizeof(buf), 0);
	cr_assert_eq(r, 4, "got %zd bytes: the damaged frame came through", r);
	cr_assert_arr_eq(buf, "good", 4);
	cr_assert_ok(hsk_stats(p.fd, &st, sizeof(st)));
	if (counted == TST_COUNTED_CHECKSUM)
		cr_assert_eq(st.rx_drop_checksum, 1);
	else if (counted == TST_COUNTED_MALFORMED)
		cr_assert_eq(st.rx_drop_malformed, 1);
	close(raw);
	tst_pair_close(&p);
}

#define RUN_BATCH 32u
#define RUN_SIZE 64u

/* The sender stays at most this far ahead of the receiver: the run is
 * about loss, duplication and corruption on the path, not about who is
 * faster on a loaded machine. */
#define RUN_WINDOW 512u

struct run {
	struct tst_pair *p;
	_Atomic unsigned int received;
};

/* Sequence number, then bytes derived from it, then their sum. */
static void run_payload(uint8_t *b, uint32_t seq)
{
	uint32_t sum = 0;

	memcpy(b, &seq, 4);
	for (unsigned int i = 4; i < RUN_SIZE - 4; i++) {
		b[i] = (uint8_t)(seq * 31 + i);
		sum += b[i];
	}
	memcpy(b + RUN_SIZE - 4, &sum, 4);
}

static void *run_sender(void *arg)
{
	struct run *r = arg;
	static uint8_t bufs[RUN_BATCH][RUN_SIZE];
	struct mmsghdr mm[RUN_BATCH];
	struct iovec iov[RUN_BATCH];

	for (uint32_t seq = 0; seq < TST_RUN_COUNT;) {
		unsigned int n = 0;
		int k;

		for (; n < RUN_BATCH && seq + n < TST_RUN_COUNT; n++) {
			run_payload(bufs[n], seq + n);
			iov[n] = (struct iovec){ bufs[n], RUN_SIZE };
			mm[n] = (struct mmsghdr){
				.msg_hdr = { .msg_name = &r->p->local,
					     .msg_namelen = r->p->len,
					     .msg_iov = &iov[n],
					     .msg_iovlen = 1 }
			};
		}
		k = sendmmsg(r->p->peer, mm, n, 0);
		if (k <= 0)
			continue;
		seq += (uint32_t)k;
		while (seq - atomic_load(&r->received) > RUN_WINDOW)
			usleep(100);
	}
	return NULL;
}

void tst_run_arrives_whole(struct tst_pair *p)
{
	static uint8_t seen[TST_RUN_COUNT];
	struct hsk_buf b[64];
	struct run r = { .p = p };
	pthread_t th;
	unsigned int got = 0;

	cr_assert_ok(pthread_create(&th, NULL, run_sender, &r));
	while (got < TST_RUN_COUNT) {
		int n = hsk_recv_zc(p->fd, b, 64, 0);

		cr_assert_gt(n, 0, "after %u datagrams: %s", got,
			     strerror(errno));
		for (int i = 0; i < n; i++) {
			uint8_t want[RUN_SIZE];
			uint32_t seq;

			cr_assert_eq(b[i].len, RUN_SIZE);
			memcpy(&seq, b[i].data, 4);
			cr_assert_lt(seq, TST_RUN_COUNT);
			cr_assert_eq(seen[seq], 0, "duplicate %u", seq);
			seen[seq] = 1;
			run_payload(want, seq);
			cr_assert_arr_eq(b[i].data, want, RUN_SIZE,
					 "corrupted %u", seq);
		}
		got += (unsigned int)n;
		atomic_store(&r.received, got);
		cr_assert_ok(hsk_buf_release(p->fd, b, (unsigned int)n));
	}
	pthread_join(th, NULL);
	cr_assert_eq(got, TST_RUN_COUNT);
}

struct timed_waiter {
	int fd;
	atomic_bool started;
	ssize_t got;
	int err;
	double wall, cpu; /* s, spent in hsk_recv */
	long wakeups;	  /* ... and its voluntary context switches */
};

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long thread_nvcsw(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nvcsw;
}

static void *timed_wait_in_recv(void *arg)
{
	struct timed_waiter *t = arg;
	double t0 = tst_now(), c0 = thread_cpu_s();
	long w0 = thread_nvcsw();
	char buf[64];

	atomic_store(&t->started, true);
	t->got = hsk_recv(t->fd, buf, sizeof(buf), 0);
	t->err = errno;
	t->wakeups = thread_nvcsw() - w0;
	t->cpu = thread_cpu_s() - c0;
	t->wall = tst_now() - t0;
	return NULL;
}

/* A thread blocks in hsk_recv() for half a second, until the peer's
 * datagram. */
static void block_half_a_second(struct timed_waiter *t)
{
	struct tst_pair p;
	pthread_t th;

	tst_pair_open(&p, AF_INET, false, false);
	tst_settimeout(p.fd, 20.0);
	t->fd = p.fd;
	cr_assert_ok(pthread_create(&th, NULL, timed_wait_in_recv, t));
	while (!atomic_load(&t->started))
		usleep(1000);
	usleep(500000);
	tst_peer_send(&p, "end", 3);
	pthread_join(th, NULL);
	cr_assert_eq(t->got, 3, "the waiting receive: %zd (%s)", t->got,
		     strerror(t->err));
	cr_assert_geq(t->wall, 0.4, "it waited %.3f s", t->wall);
	tst_pair_close(&p);
}

void tst_blocking_receive_sleeps(void)
{
	struct timed_waiter t = { 0 };

	block_half_a_second(&t);
	cr_assert_lt(t.cpu, 0.5 * t.wall, "%.3f s of CPU in %.3f s of waiting",
		     t.cpu, t.wall);
}

void tst_blocking_receive_sleeps_on_its_queues(void)
{
	struct timed_waiter t = { 0 };

	block_half_a_second(&t);
	cr_assert_lt((double)t.wakeups, t.wall / 0.002,
		     "%ld wake-ups in %.3f s of waiting", t.wakeups, t.wall);
}
