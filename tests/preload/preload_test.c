// SPDX-License-Identifier: BSD-3-Clause
/*
 * preload_test.c - helpers of the suites that run under the preload.
 */
#include "preload_test.h"

#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

void pt_init(void)
{
	const char *v = getenv("LD_PRELOAD");

	if (v) {
		setenv("HSKP_PRELOAD", v, 1);
		unsetenv("LD_PRELOAD");
	}
	tst_topo_init();
}

int pt_peer_udp(int family, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = tst_addr(family, TST_PEER, port, &ss);
	int fd;

	cr_assert_eq(topo_enter_peer(&tst_topo), 0, "setns peer: %s",
		     strerror(errno));
	fd = (int)syscall(SYS_socket, family, SOCK_DGRAM, 0);
	cr_assert_geq(fd, 0, "peer socket: %s", strerror(errno));
	cr_assert_eq(topo_enter_local(&tst_topo), 0, "setns local: %s",
		     strerror(errno));
	cr_assert_ok(bind(fd, (struct sockaddr *)&ss, len));
	return fd;
}

int pt_udp_bound(int family, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = tst_addr(family, TST_LOCAL, port, &ss);
	int fd = socket(family, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	cr_assert_ok(bind(fd, (struct sockaddr *)&ss, len));
	return fd;
}

void pt_peer_send(int peer, int family, uint16_t port, size_t len,
		  unsigned int seed)
{
	struct sockaddr_storage to;
	socklen_t tolen = tst_addr(family, TST_LOCAL, port, &to);
	char buf[2048];

	cr_assert_leq(len, sizeof(buf));
	tst_fill(buf, len, seed);
	tst_kernel_sendto(peer, buf, len, &to, tolen);
}

/* The whole answer of this process's counters server. */
static char *stat_text(void)
{
	const char *dir = getenv("HOTSOCK_STAT_DIR");
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 4096;
	char *text = malloc(cap);
	ssize_t n;
	int fd;

	cr_assert_not_null(text);
	snprintf(un.sun_path, sizeof(un.sun_path), "%s/%d.sock",
		 dir ? dir : "/run/hotsock", (int)getpid());
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	cr_assert_ok(connect(fd, (struct sockaddr *)&un, sizeof(un)));
	while ((n = read(fd, text + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap) {
			cap *= 2;
			text = realloc(text, cap);
			cr_assert_not_null(text);
		}
	}
	cr_assert_geq(n, 0, "reading the counters: %s", strerror(errno));
	text[len] = '\0';
	close(fd);
	return text;
}

bool pt_stat_line(int fd, char *line, size_t len)
{
	char *text = stat_text(), key[32], *p, *end;
	int klen = snprintf(key, sizeof(key), "fd=%d ", fd);
	bool found = false;

	for (p = text; *p; p = end + (*end != '\0')) {
		end = strchrnul(p, '\n');
		if (!strncmp(p, key, (size_t)klen)) {
			snprintf(line, len, "%.*s", (int)(end - p), p);
			found = true;
			break;
		}
	}
	free(text);
	return found;
}

unsigned long long pt_stat(int fd, const char *key)
{
	char line[1024], pat[64], *p;

	cr_assert(pt_stat_line(fd, line, sizeof(line)),
		  "the preload lists no socket %d", fd);
	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	cr_assert_not_null(p, "no %s in \"%s\"", key, line);
	return strtoull(p + strlen(pat), NULL, 10);
}

void pt_assert_backend(int fd, const char *backend)
{
	char line[1024], pat[64];

	cr_assert(pt_stat_line(fd, line, sizeof(line)),
		  "the preload lists no socket %d", fd);
	snprintf(pat, sizeof(pat), " backend=%s ", backend);
	cr_assert_not_null(strstr(line, pat), "not on %s: %s", backend, line);
}
