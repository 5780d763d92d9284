// SPDX-License-Identifier: BSD-3-Clause
/*
 * What the workloads of hotsock-bench share: signals, time, CPUs, the
 * frames and addresses of the veth topology, where each end's kernel
 * receive work runs, figures with their spread, the progress line.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>

#include "bench.h"
#ifdef HSK_BENCH_XSK
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#endif

#define PROBE_PORT 19998 /* NAPI probes */

const char *const workload_names[WL_COUNT] = { "receive",      "transmit",
					       "pingpong",     "dpdk",
					       "instructions", "capture",
					       "echo",	       "sockperf" };

volatile sig_atomic_t g_stop;
volatile sig_atomic_t g_alarm;

void on_signal(int sig)
{
	static const char msg[] = "hotsock-bench: stopping\n";

	if (g_stop) {
		/* Second signal: the namespaces go away with the process. */
		_exit(1);
	}
	g_stop = 1;
	if (sig == SIGALRM) {
		g_alarm = 1;
		alarm(5);
	}
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing to do */
	}
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int start_thread(pthread_t *th, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(th, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

void pin_self(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* Best effort: an unpinned run is still a valid run. */
	(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* Internet checksum (RFC 1071) over big-endian 16-bit words. */
static uint32_t csum_add(uint32_t sum, const unsigned char *p, size_t len)
{
	for (; len >= 2; len -= 2, p += 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(unsigned char *p, unsigned int v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

uint32_t build_frame(unsigned char *f, const struct hsk_topo *t, int family,
		     int from_peer, int sport, int dport, size_t size)
{
	size_t l3 = family == 6 ? 40 : 20, ulen = 8 + size;
	unsigned char *ip = f + ETH_HLEN_, *udp = ip + l3;
	const void *src6 = from_peer ? &t->ip6_peer : &t->ip6_local;
	const void *dst6 = from_peer ? &t->ip6_local : &t->ip6_peer;
	const void *src4 = from_peer ? &t->ip4_peer : &t->ip4_local;
	const void *dst4 = from_peer ? &t->ip4_local : &t->ip4_peer;
	uint32_t sum;

	memcpy(f, from_peer ? t->mac_local : t->mac_peer, 6);
	memcpy(f + 6, from_peer ? t->mac_peer : t->mac_local, 6);
	put16(f + 12, family == 6 ? 0x86dd : 0x0800);
	memset(ip, 0, l3);
	if (family == 6) {
		ip[0] = 0x60;
		put16(ip + 4, (unsigned int)ulen);
		ip[6] = IPPROTO_UDP;
		ip[7] = 64;
		memcpy(ip + 8, src6, 16);
		memcpy(ip + 24, dst6, 16);
		sum = csum_add(0, ip + 8, 32);
	} else {
		ip[0] = 0x45;
		put16(ip + 2, (unsigned int)(l3 + ulen));
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = IPPROTO_UDP;
		memcpy(ip + 12, src4, 4);
		memcpy(ip + 16, dst4, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, l3)));
		sum = csum_add(0, ip + 12, 8);
	}
	/* Pseudo-header: addresses (summed above), protocol, UDP length. */
	sum += IPPROTO_UDP + (uint32_t)ulen;
	put16(udp, (unsigned int)sport);
	put16(udp + 2, (unsigned int)dport);
	put16(udp + 4, (unsigned int)ulen);
	put16(udp + 6, 0);
	memset(udp + 8, 0xa5, size);
	sum = csum_fold(csum_add(sum, udp, ulen));
	put16(udp + 6, sum ? sum : 0xffff);
	return (uint32_t)(ETH_HLEN_ + l3 + ulen);
}

uint32_t build_solicit(unsigned char *f, const struct hsk_topo *t, int family)
{
	unsigned char *p = f + ETH_HLEN_;
	uint32_t sum;

	memcpy(f + 6, t->mac_peer, 6);
	if (family != 6) {
		memset(f, 0xff, 6);
		put16(f + 12, 0x0806);
		put16(p, 1); /* Ethernet */
		put16(p + 2, 0x0800);
		p[4] = 6;
		p[5] = 4;
		put16(p + 6, 1); /* request */
		memcpy(p + 8, t->mac_peer, 6);
		memcpy(p + 14, &t->ip4_peer, 4);
		memset(p + 18, 0, 6);
		memcpy(p + 24, &t->ip4_local, 4);
		return ETH_HLEN_ + 28;
	}
	/* To hsk0's solicited-node group, 33:33:ff + its low 24 bits. */
	f[0] = 0x33;
	f[1] = 0x33;
	f[2] = 0xff;
	memcpy(f + 3, t->ip6_local.s6_addr + 13, 3);
	put16(f + 12, 0x86dd);
	memset(p, 0, 40 + 32);
	p[0] = 0x60;
	put16(p + 4, 32);
	p[6] = 58; /* ICMPv6 */
	p[7] = 255;
	memcpy(p + 8, &t->ip6_peer, 16);
	p[24] = 0xff;
	p[25] = 0x02;
	p[35] = 0x01;
	p[36] = 0xff;
	memcpy(p + 37, t->ip6_local.s6_addr + 13, 3);
	p[40] = 135; /* neighbour solicitation */
	memcpy(p + 48, &t->ip6_local, 16);
	p[64] = 1; /* source link-layer address */
	p[65] = 1;
	memcpy(p + 66, t->mac_peer, 6);
	sum = csum_add(0, p + 8, 32) + 58 + 32;
	put16(p + 42, csum_fold(csum_add(sum, p + 40, 32)));
	return ETH_HLEN_ + 40 + 32;
}

int peer_solicit(struct hsk_topo *t, int family)
{
	unsigned char f[ETH_HLEN_ + 80];
	struct sockaddr_ll ll = { .sll_family = AF_PACKET,
				  .sll_ifindex = t->ifindex_peer,
				  .sll_halen = 6 };
	uint32_t len = build_solicit(f, t, family);
	int fd = topo_peer_socket(t, AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ssize_t n;

	if (fd < 0)
		return -1;
	memcpy(ll.sll_addr, f, 6);
	n = sendto(fd, f, len, 0, (struct sockaddr *)&ll, sizeof(ll));
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

void fill_addr(const struct hsk_topo *t, int family, int local, int port,
	       struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == 6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = local ? t->ip6_local : t->ip6_peer;
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr = local ? t->ip4_local : t->ip4_peer;
		*len = sizeof(*a);
	}
}

#ifdef HSK_BENCH_XSK
/*
 * Wait (bounded) until no XDP program is attached to @ifindex: the
 * contender that just closed its sockets must be gone, program included,
 * before the next one starts. Return: 0, or -1 (still attached).
 */
int wait_xdp_detached(int ifindex)
{
	double deadline = now() + DETACH_TIMEOUT;

	for (;;) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);
		struct timespec nap = { 0, 5 * 1000 * 1000 };

		if (bpf_xdp_query(ifindex, 0, &q) < 0 ||
		    q.attach_mode == XDP_ATTACHED_NONE)
			return 0;
		if (now() > deadline)
			return -1;
		nanosleep(&nap, NULL);
	}
}
#else
int wait_xdp_detached(int ifindex)
{
	(void)ifindex;
	return 0;
}
#endif

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

int parse_uint(const char *s, unsigned long lo, unsigned long hi,
	       unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (*s == '-')
		return -1;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Two CPUs of our affinity mask for receiver and sender, or -1. */
void choose_cpus(int pin, int *rx_cpu, int *tx_cpu)
{
	cpu_set_t set;
	int cpu, found = 0;

	*rx_cpu = *tx_cpu = -1;
	if (!pin || sched_getaffinity(0, sizeof(set), &set) < 0 ||
	    CPU_COUNT(&set) < 2)
		return;
	for (cpu = 0; cpu < CPU_SETSIZE && found < 2; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		if (found++ == 0)
			*rx_cpu = cpu;
		else
			*tx_cpu = cpu;
	}
}

/*
 * Where an interface's receive work runs. veth hands a frame to its peer
 * inside the sender's transmit call: by default the receive half of the
 * kernel's work (the XDP program and the copy into an XSK, or the IP/UDP
 * stack up to the socket buffer) runs there too, on the sender's CPU, and
 * the sender's rate is the delivery rate. With GRO on, the receiving end
 * takes frames through a NAPI instance; made threaded, that is a kernel
 * thread, which we pin to the receiver's CPU: the receiver's CPU then pays
 * for all of receiving, kernel and application, and the sender's CPU only
 * sends.
 */

/* @value into /sys/class/net/@ifname/threaded of the namespace @ns: sysfs
 * shows the namespace of whoever mounts it, so a child mounts its own. */
static int set_napi_threaded(int ns, const char *ifname, const char *value)
{
	char path[96];
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "/sys/class/net/%s/threaded", ifname);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd;

		if (setns(ns, CLONE_NEWNET) < 0 || unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("sysfs", "/sys", "sysfs", 0, NULL) < 0)
			_exit(1);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, value, 1) != 1)
			_exit(2);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

/* A kernel UDP socket on hsk1 (@peer) or hsk0. */
static int side_socket(struct hsk_topo *t, int peer)
{
	return peer ? topo_peer_socket(t, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC,
				       0) :
		      socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

/* The NAPI id that delivers the datagrams of hsk1 (@peer) or hsk0 to a
 * kernel socket. */
static int find_napi_id(struct hsk_topo *t, int peer, unsigned int *id)
{
	struct timeval tv = { 0, 100000 };
	struct sockaddr_storage ss;
	socklen_t sslen, len = sizeof(*id);
	char buf[64];
	int rfd, sfd, i, err = -ETIMEDOUT;

	fill_addr(t, 4, !peer, PROBE_PORT - 1, &ss, &sslen);
	rfd = side_socket(t, peer);
	sfd = side_socket(t, !peer);
	if (rfd < 0 || sfd < 0 ||
	    bind(rfd, (struct sockaddr *)&ss, sslen) < 0 ||
	    setsockopt(rfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		err = -errno;
		goto out;
	}
	for (i = 0; i < 10 && err; i++) {
		*id = 0;
		if (sendto(sfd, "napi", 4, 0, (struct sockaddr *)&ss, sslen) !=
			    4 ||
		    recv(rfd, buf, sizeof(buf), 0) != 4)
			continue;
		if (getsockopt(rfd, SOL_SOCKET, SO_INCOMING_NAPI_ID, id,
			       &len) == 0 &&
		    *id)
			err = 0;
	}
out:
	if (rfd >= 0)
		close(rfd);
	if (sfd >= 0)
		close(sfd);
	return err;
}

/* The name of NAPI thread @id: "napi/<ifname>-<id>", cut to 15 bytes as
 * the kernel cuts it. */
static void napi_comm(char *buf, size_t len, const char *ifname,
		      unsigned int id)
{
	char full[48];

	snprintf(full, sizeof(full), "napi/%s-%u", ifname, id);
	full[15] = 0;
	snprintf(buf, len, "%s", full);
}

/* Is process @pid (a /proc entry's name) the thread named @want? */
static int comm_is(const char *pid, const char *want)
{
	char comm[32], path[300];
	int is = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(comm, sizeof(comm), f)) {
		comm[strcspn(comm, "\n")] = 0;
		is = !strcmp(comm, want);
	}
	fclose(f);
	return is;
}

static int find_napi_thread(const char *ifname, unsigned int id)
{
	char want[48];
	struct dirent *d;
	int pid = -1;
	DIR *dir;

	napi_comm(want, sizeof(want), ifname, id);
	dir = opendir("/proc");
	if (!dir)
		return -1;
	while (pid < 0 && (d = readdir(dir)))
		if (d->d_name[0] >= '1' && d->d_name[0] <= '9' &&
		    comm_is(d->d_name, want))
			pid = atoi(d->d_name);
	closedir(dir);
	return pid;
}

/* ethtool's legacy feature switch @cmd on @ifname, through @fd's
 * namespace. */
static int ethtool_set(int fd, const char *ifname, uint32_t cmd, uint32_t value)
{
	struct ethtool_value ev = { cmd, value };
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ev;
	return ioctl(fd, SIOCETHTOOL, &ifr);
}

/*
 * The receive work of hsk1 (@peer) or hsk0 into a NAPI thread pinned to
 * @cpu. Return: 0, or -1 with *why (the bench then runs with veth's
 * default).
 */
int setup_napi(struct hsk_topo *t, int peer, int cpu, struct napi_setup *n,
	       char *why, size_t why_len)
{
	const char *rx_if = peer ? t->if_peer : t->if_local;
	const char *tx_if = peer ? t->if_local : t->if_peer;
	int rfd, sfd, err;

	n->pid = -1;
	n->id = 0;
	n->peer = peer;
	/*
	 * GRO on the receiving end gives it a NAPI instance for every frame
	 * that can be aggregated; with TSO off on the sending end (as
	 * attaching XDP to the receiving one does anyway), every frame can.
	 */
	rfd = side_socket(t, peer);
	sfd = side_socket(t, !peer);
	if (rfd < 0 || sfd < 0 ||
	    ethtool_set(sfd, tx_if, ETHTOOL_STSO, 0) < 0 ||
	    ethtool_set(rfd, rx_if, ETHTOOL_SGRO, 1) < 0) {
		snprintf(why, why_len, "TSO off on %s, GRO on %s: %s", tx_if,
			 rx_if, strerror(errno));
		if (rfd >= 0)
			close(rfd);
		if (sfd >= 0)
			close(sfd);
		return -1;
	}
	close(rfd);
	close(sfd);
	err = set_napi_threaded(peer ? t->ns_peer : t->ns_local, rx_if, "1");
	if (err) {
		snprintf(why, why_len, "threaded NAPI on %s: %s", rx_if,
			 strerror(-err));
		return -1;
	}
	err = find_napi_id(t, peer, &n->id);
	if (err) {
		snprintf(why, why_len, "no NAPI id for %s: %s", rx_if,
			 strerror(-err));
		return -1;
	}
	n->pid = find_napi_thread(rx_if, n->id);
	if (n->pid < 0) {
		snprintf(why, why_len, "no thread napi/%s-%u", rx_if, n->id);
		return -1;
	}
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(n->pid, sizeof(set), &set) < 0) {
			snprintf(why, why_len, "pinning napi/%s-%u: %s", rx_if,
				 n->id, strerror(errno));
			n->pid = -1;
			return -1;
		}
	}
	return 0;
}

void napi_inline(struct hsk_topo *t, struct napi_setup *n)
{
	if (n->pid > 0)
		(void)set_napi_threaded(n->peer ? t->ns_peer : t->ns_local,
					n->peer ? t->if_peer : t->if_local,
					"0");
	n->pid = -1;
}

/* Is the NAPI thread still the one we pinned? */
int napi_thread_alive(const struct hsk_topo *t, const struct napi_setup *n)
{
	char want[48], pid[16];

	if (n->pid <= 0)
		return 0;
	napi_comm(want, sizeof(want), n->peer ? t->if_peer : t->if_local,
		  n->id);
	snprintf(pid, sizeof(pid), "%d", n->pid);
	return comm_is(pid, want);
}

struct spread spread_of(double *v, unsigned int n)
{
	struct spread s = { 0, 0, 0 };

	if (!n)
		return s;
	s.med = median(v, n); /* sorts */
	s.min = v[0];
	s.max = v[n - 1];
	return s;
}

int static_neighbours(struct hsk_topo *t)
{
	char mac[2][18];
	int i;

	for (i = 0; i < 2; i++) {
		const unsigned char *m = i ? t->mac_peer : t->mac_local;

		snprintf(mac[i], sizeof(mac[i]),
			 "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
			 m[3], m[4], m[5]);
	}
	if (topo_run_local(t,
			   "ip neigh replace %s lladdr %s dev %s nud permanent"
			   " && ip -6 neigh replace %s lladdr %s dev %s nud "
			   "permanent",
			   TOPO_IP4_PEER, mac[1], t->if_local, TOPO_IP6_PEER,
			   mac[1], t->if_local) ||
	    topo_run_peer(t,
			  "ip neigh replace %s lladdr %s dev %s nud permanent"
			  " && ip -6 neigh replace %s lladdr %s dev %s nud "
			  "permanent",
			  TOPO_IP4_LOCAL, mac[0], t->if_peer, TOPO_IP6_LOCAL,
			  mac[0], t->if_peer))
		return -1;
	return 0;
}

static int progress_open;

void progress(const char *fmt, ...)
{
	static int tty = -1;
	char line[160];
	va_list ap;

	if (tty < 0)
		tty = isatty(STDERR_FILENO);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (tty) {
		/* Rewrite the line in place, cut to 79 columns. */
		fprintf(stderr, "\r\033[K%.79s", line);
		progress_open = 1;
	} else {
		fprintf(stderr, "%s\n", line);
	}
	fflush(stderr);
}

void progress_done(void)
{
	if (progress_open)
		fprintf(stderr, "\r\033[K");
	progress_open = 0;
	fflush(stderr);
}

void json_run_open(FILE *f, int first, int ok)
{
	fprintf(f, "%s{\"ok\": %s", first ? "" : ", ", ok ? "true" : "false");
}

void json_error(FILE *f, const char *err)
{
	fprintf(f, ", \"error\": ");
	json_str(f, err);
	fputc('}', f);
}

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int dpdk_backend(const char *backend)
{
	return backend && !strcmp(backend, "dpdk");
}

int wanted(const struct config *cfg, const char *key)
{
	size_t len = strlen(key);
	const char *p;

	if (!cfg->only)
		return 1;
	for (p = cfg->only; *p;) {
		if (!strncmp(p, key, len) && (p[len] == ',' || !p[len]))
			return 1;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return 0;
}

/* Read @len bytes of @fd into @buf until @deadline. Return: bytes read. */
static size_t read_until(int fd, void *buf, size_t len, double deadline)
{
	size_t got = 0;

	while (got < len && !g_stop) {
		struct pollfd p = { fd, POLLIN, 0 };
		int ms = (int)((deadline - now()) * 1000), r;
		ssize_t n;

		if (ms <= 0)
			break;
		r = poll(&p, 1, ms);
		if (r < 0 && errno == EINTR)
			continue; /* g_stop, when it was ours */
		if (r <= 0)
			break;
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0 && !(n < 0 && errno == EINTR))
			break;
		if (n > 0)
			got += (size_t)n;
	}
	return got;
}

int run_dpdk_child(const struct dpdk_child *o, void (*fn)(void *arg, void *out),
		   void *arg, void *out, size_t out_len, char *why,
		   size_t why_len)
{
	double deadline = now() + o->timeout;
	int pfd[2], status, ok;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(why, why_len, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		pin_self(o->cpu);
		if (o->veth) {
			setenv("HOTSOCK_DPDK_ARGS", "--vdev=" HSK0_VDEV, 0);
			setenv("HOTSOCK_DPDK_IP", TOPO_IP4_LOCAL "/24", 0);
			setenv("HOTSOCK_DPDK_IP6", TOPO_IP6_LOCAL "/64", 0);
		}
		fn(arg, out);
		ok = write(pfd[1], out, out_len) == (ssize_t)out_len;
		/* exit() on hsk0: the backend closes its port at exit, which
		 * takes net_af_xdp's program off hsk0. */
		if (o->veth)
			exit(ok ? 0 : 1);
		_exit(ok ? 0 : 1);
	}
	close(pfd[1]);
	if (pid < 0) {
		snprintf(why, why_len, "fork: %s", strerror(errno));
		close(pfd[0]);
		return -1;
	}
	ok = read_until(pfd[0], out, out_len, deadline) == out_len;
	close(pfd[0]);
	if (!ok) {
		kill(pid, SIGKILL);
		snprintf(why, why_len, "%s",
			 g_stop		   ? "interrupted" :
			 now() >= deadline ? "the child overstayed; killed" :
					     "the child died");
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (o->veth && wait_xdp_detached(o->veth->ifindex_local) < 0 && ok) {
		snprintf(why, why_len,
			 "an XDP program stayed on %s after the dpdk child",
			 o->veth->if_local);
		ok = 0;
	}
	return ok ? 0 : -1;
}

void child_vdev(char *buf, size_t len)
{
	const char *args = getenv("HOTSOCK_DPDK_ARGS");
	const char *v = args ? strstr(args, "--vdev=") : NULL;
	int n;

	v = (v ? v : "--vdev=" HSK0_VDEV) + strlen("--vdev=");
	n = (int)strcspn(v, " \t");
	/* hotsock gives net_af_xdp busy_budget=0 unless told otherwise (its
	 * waits sleep on the XSK, and the kernel's preferred busy polling
	 * would leave the ring's filling to them): the raw loop gets the
	 * same port. */
	if (!strncmp(v, "net_af_xdp", 10) &&
	    !memmem(v, (size_t)n, "busy_budget=", 12))
		snprintf(buf, len, "%.*s,busy_budget=0", n, v);
	else
		snprintf(buf, len, "%.*s", n, v);
}

void add_contender(const struct config *cfg, const struct contender *c,
		   const char *backend, struct contender *out, unsigned int *n)
{
	if (!wanted(cfg, c->key))
		return;
	out[*n] = *c;
	out[*n].backend = backend;
	(*n)++;
}

int find_contender(const struct contender_list *lists, unsigned int nlists,
		   const char *key, const char *backend, struct contender *out)
{
	for (unsigned int l = 0; l < nlists; l++)
		for (size_t i = 0; i < lists[l].n; i++)
			if (!strcmp(lists[l].c[i].key, key)) {
				*out = lists[l].c[i];
				out->backend = backend;
				return 0;
			}
	errno = EINVAL;
	return -1;
}

unsigned int contender_batch(const struct contender *c,
			     const struct config *cfg)
{
	return c->one_per_call ? 1 : cfg->batch;
}
