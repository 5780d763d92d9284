// SPDX-License-Identifier: BSD-3-Clause
/*
 * The counters of a preloaded program, for hotsock-stat.
 *
 * The first socket the preload makes starts a thread that listens on a
 * Unix socket, $HOTSOCK_STAT_DIR/<pid>.sock (default /run/hotsock), and
 * answers each connection with one line per socket, read at that moment:
 * no signal, no polling, no cost until someone asks. A program that lives
 * too briefly to be asked can leave its lines in $HOTSOCK_STAT_FILE
 * instead: each socket's line is appended when it closes, and at exit
 * for those still open.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "preload.h"

#define STAT_DIR_DEFAULT "/run/hotsock"

static _Atomic bool started;
static int listen_fd = -1;
static pid_t listen_pid;
static char listen_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static const char *proto_name(const struct hsk_sock *s)
{
	if (s->domain == AF_PACKET)
		return s->type == SOCK_RAW ? "packet-raw" : "packet-dgram";
	return s->domain == AF_INET6 ? "udp6" : "udp4";
}

/* "198.18.0.1:9000", "[2001:2::1]:9000", "if2/0x88b5", or "-". */
static void format_addr(char *out, size_t len, const struct sockaddr *sa,
			socklen_t salen)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(out, len, "%s:%u", ip, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6 &&
		   salen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(out, len, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else if (sa->sa_family == AF_PACKET &&
		   salen >= offsetof(struct sockaddr_ll, sll_addr)) {
		const struct sockaddr_ll *ll = (const void *)sa;

		snprintf(out, len, "if%d/0x%04x", ll->sll_ifindex,
			 ntohs(ll->sll_protocol));
	} else {
		snprintf(out, len, "-");
	}
}

int hskp_stat_line(char *buf, size_t len, int fd, struct hsk_sock *s)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char local[64], peer[64];
	struct hsk_stats st;

	if (IN_LIB(hsk_stats(fd, &st, sizeof(st))))
		memset(&st, 0, sizeof(st));
	if (LIBC(getsockname)(fd, (struct sockaddr *)&ss, &sl))
		sl = 0, ss.ss_family = AF_UNSPEC;
	format_addr(local, sizeof(local), (struct sockaddr *)&ss, sl);
	sl = sizeof(ss);
	if (LIBC(getpeername)(fd, (struct sockaddr *)&ss, &sl))
		sl = 0, ss.ss_family = AF_UNSPEC;
	format_addr(peer, sizeof(peer), (struct sockaddr *)&ss, sl);
	return snprintf(
		buf, len,
		"fd=%d backend=%s proto=%s local=%s peer=%s"
		" rx_packets=%llu rx_bytes=%llu tx_packets=%llu tx_bytes=%llu"
		" rx_fast_path=%llu rx_kernel_path=%llu tx_fast_path=%llu"
		" tx_kernel_path=%llu rx_truncated=%llu rx_drop_kernel=%llu"
		" rx_drop_malformed=%llu rx_drop_checksum=%llu"
		" rx_drop_no_buffer=%llu tx_errors=%llu\n",
		fd, s->be->name, proto_name(s), local, peer,
		(unsigned long long)st.rx_packets,
		(unsigned long long)st.rx_bytes,
		(unsigned long long)st.tx_packets,
		(unsigned long long)st.tx_bytes,
		(unsigned long long)st.rx_fast_path,
		(unsigned long long)st.rx_kernel_path,
		(unsigned long long)st.tx_fast_path,
		(unsigned long long)st.tx_kernel_path,
		(unsigned long long)st.rx_truncated,
		(unsigned long long)st.rx_drop_kernel,
		(unsigned long long)st.rx_drop_malformed,
		(unsigned long long)st.rx_drop_checksum,
		(unsigned long long)st.rx_drop_no_buffer,
		(unsigned long long)st.tx_errors);
}

/* A growing text of socket lines. */
struct snapshot {
	char *text;
	size_t len, cap;
	unsigned int sockets;
};

static void snapshot_add(int fd, struct hsk_sock *s, void *arg)
{
	struct snapshot *sn = arg;
	char line[512];
	int n;

	/* A socket once, under the number it answers to. */
	if (fd != s->fd)
		return;
	n = hskp_stat_line(line, sizeof(line), fd, s);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	if (sn->len + (size_t)n + 1 > sn->cap) {
		size_t cap = (sn->cap + (size_t)n + 1) * 2;
		char *t = realloc(sn->text, cap);

		if (!t)
			return;
		sn->text = t;
		sn->cap = cap;
	}
	memcpy(sn->text + sn->len, line, (size_t)n + 1);
	sn->len += (size_t)n;
	sn->sockets++;
}

/* Writes all of @buf, or gives up on an error. */
static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = LIBC(write)(fd, buf, len);

		if (w <= 0)
			return;
		buf += w;
		len -= (size_t)w;
	}
}

static void *serve(void *arg)
{
	sigset_t all;

	(void)arg;
	/* The program's signals are the program's threads' business. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		struct snapshot sn = { 0 };
		char head[64];
		int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		hskp_table_lock();
		hsk_sock_foreach(snapshot_add, &sn);
		hskp_table_unlock();
		snprintf(head, sizeof(head), "pid=%d sockets=%u\n",
			 (int)getpid(), sn.sockets);
		write_all(c, head, strlen(head));
		write_all(c, sn.text ? sn.text : "", sn.len);
		free(sn.text);
		LIBC(close)(c);
	}
}

void hskp_stat_start(void)
{
	const char *dir = getenv("HOTSOCK_STAT_DIR");
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	pthread_t th;
	int fd;

	if (atomic_exchange(&started, true))
		return;
	if (!dir || !*dir)
		dir = STAT_DIR_DEFAULT;
	if (snprintf(un.sun_path, sizeof(un.sun_path), "%s/%d.sock", dir,
		     (int)getpid()) >= (int)sizeof(un.sun_path)) {
		hsk_log(HSK_LOG_WARN, "preload: %s: name too long for a socket",
			dir);
		return;
	}
	(void)mkdir(dir, 0755);
	fd = LIBC(socket)(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	(void)unlink(un.sun_path); /* a dead process's, with our pid */
	if (LIBC(bind)(fd, (struct sockaddr *)&un, sizeof(un)) ||
	    chmod(un.sun_path, 0600) || listen(fd, 8))
		goto fail_close;
	listen_fd = fd;
	listen_pid = getpid();
	memcpy(listen_path, un.sun_path, sizeof(listen_path));
	if (pthread_create(&th, NULL, serve, NULL)) {
		errno = EAGAIN;
		goto fail_unlink;
	}
	pthread_detach(th);
	return;
fail_unlink:
	(void)unlink(un.sun_path);
	listen_fd = -1;
fail_close:
	LIBC(close)(fd);
fail:
	hsk_log(HSK_LOG_WARN, "preload: no counters for hotsock-stat: %s: %s",
		un.sun_path, strerror(errno));
}

void hskp_stat_after_fork(void)
{
	/* The thread stayed with the parent; the socket is its parent's. */
	if (listen_fd >= 0)
		LIBC(close)(listen_fd);
	listen_fd = -1;
	atomic_store(&started, false);
}

void hskp_stat_at_close(int fd, struct hsk_sock *s)
{
	const char *path = getenv("HOTSOCK_STAT_FILE");
	char line[512];
	int out, n;

	if (!path || !*path)
		return;
	n = hskp_stat_line(line, sizeof(line), fd, s);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	out = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (out < 0)
		return;
	/* One write with O_APPEND: lines of several processes interleave
	 * whole. */
	write_all(out, line, (size_t)n);
	LIBC(close)(out);
}

static void at_exit_one(int fd, struct hsk_sock *s, void *arg)
{
	(void)arg;
	if (fd == s->fd)
		hskp_stat_at_close(fd, s);
}

void hskp_stat_at_exit(void)
{
	hskp_table_lock();
	hsk_sock_foreach(at_exit_one, NULL);
	hskp_table_unlock();
	if (listen_fd >= 0 && listen_pid == getpid())
		(void)unlink(listen_path);
}
