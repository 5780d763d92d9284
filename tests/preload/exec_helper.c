// SPDX-License-Identifier: BSD-3-Clause
/*
 * exec_helper - what an exec(2) does to a hotsock socket, seen from the
 * program that makes one (run under libhotsock-preload.so).
 *
 *   exec_helper PEER_IP PORT       sends "fast" to the peer from a UDP
 *                                  socket and checks that the answer came
 *                                  by the fast path, then execs itself
 *                                  with the descriptor;
 *   exec_helper PEER_IP PORT FD    sends "kernel" from FD and checks the
 *                                  answer arrives: the descriptor is now
 *                                  a plain kernel socket, the preload of
 *                                  the new image knows nothing of it.
 *
 * Exits 0 when both steps worked, else prints why and exits 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "exec_helper: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Sends @msg to the peer and waits up to 5 s for the echo. */
static int exchange(int fd, const struct sockaddr_in *peer, const char *msg)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[64];
	ssize_t n;

	if (sendto(fd, msg, strlen(msg), 0, (const struct sockaddr *)peer,
		   sizeof(*peer)) < 0)
		return fail("sendto");
	if (poll(&p, 1, 5000) != 1) {
		errno = ETIMEDOUT;
		return fail("waiting for the echo");
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n != (ssize_t)strlen(msg) || memcmp(buf, msg, (size_t)n)) {
		fprintf(stderr, "exec_helper: echo of \"%s\" wrong (%zd)\n",
			msg, n);
		return 1;
	}
	return 0;
}

/* This process's counters, as hotsock-stat would print them. */
static int own_counters(char *text, size_t len)
{
	const char *dir = getenv("HOTSOCK_STAT_DIR");
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	size_t got = 0;
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(un.sun_path, sizeof(un.sun_path), "%s/%d.sock",
		 dir ? dir : "/run/hotsock", (int)getpid());
	if (fd < 0 || connect(fd, (struct sockaddr *)&un, sizeof(un)))
		return -1;
	while (got + 1 < len && (n = read(fd, text + got, len - got - 1)) > 0)
		got += (size_t)n;
	text[got] = '\0';
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in peer = { .sin_family = AF_INET },
			   any = { .sin_family = AF_INET };
	char text[4096], fdarg[16];
	int fd;

	if (argc < 3 || argc > 4 ||
	    inet_pton(AF_INET, argv[1], &peer.sin_addr) != 1) {
		fprintf(stderr, "usage: exec_helper PEER_IP PORT [FD]\n");
		return 2;
	}
	peer.sin_port = htons((uint16_t)atoi(argv[2]));
	if (argc == 4) {
		fd = atoi(argv[3]);
		if (!own_counters(text, sizeof(text))) {
			fprintf(stderr,
				"exec_helper: the new image lists "
				"hotsock sockets:\n%s",
				text);
			return 1;
		}
		return exchange(fd, &peer, "kernel");
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return fail("socket");
	/* Bound before the first send, so the fast path is there for the
	 * first answer. */
	if (bind(fd, (struct sockaddr *)&any, sizeof(any)))
		return fail("bind");
	if (exchange(fd, &peer, "fast"))
		return 1;
	if (own_counters(text, sizeof(text)))
		return fail("reading the counters");
	if (!strstr(text, " rx_fast_path=1 ")) {
		fprintf(stderr, "exec_helper: the echo took another path:\n%s",
			text);
		return 1;
	}
	snprintf(fdarg, sizeof(fdarg), "%d", fd);
	execl(argv[0], argv[0], argv[1], argv[2], fdarg, (char *)NULL);
	return fail("execl");
}
