// SPDX-License-Identifier: BSD-3-Clause
/*
 * udp-echo - the smallest UDP echo server with hotsock.
 *
 *   hotsock-udp-echo [-4|-6] [-p PORT] [-n COUNT]
 *
 * Sends every datagram back to where it came from, until COUNT datagrams
 * were echoed (default: forever). The backend is chosen by HOTSOCK_BACKEND
 * (default auto); the one in use is printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hotsock.h>

int main(int argc, char **argv)
{
	struct sockaddr_storage addr = { 0 }, peer;
	unsigned long port = 7, count = 0, echoed = 0;
	int family = AF_INET6, opt, fd;
	socklen_t addrlen;
	char buf[65536];

	while ((opt = getopt(argc, argv, "46p:n:h")) != -1) {
		switch (opt) {
		case '4':
			family = AF_INET;
			break;
		case '6':
			family = AF_INET6;
			break;
		case 'p':
			port = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr,
				"usage: %s [-4|-6] [-p PORT] [-n COUNT]\n",
				argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (port == 0 || port > 65535) {
		fprintf(stderr, "%s: bad port\n", argv[0]);
		return 2;
	}

	/* Any address of the family: 0.0.0.0 or :: (which takes IPv4 too). */
	addr.ss_family = family;
	if (family == AF_INET) {
		((struct sockaddr_in *)&addr)->sin_port = htons(port);
		addrlen = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)&addr)->sin6_port = htons(port);
		addrlen = sizeof(struct sockaddr_in6);
	}

	fd = hsk_socket(family, SOCK_DGRAM, 0);
	if (fd < 0 || hsk_bind(fd, (struct sockaddr *)&addr, addrlen) < 0) {
		perror("hotsock-udp-echo");
		return 1;
	}
	printf("echoing UDP on port %lu (backend %s)\n", port,
	       hsk_backend_name(fd));
	fflush(stdout);

	while (count == 0 || echoed < count) {
		socklen_t peerlen = sizeof(peer);
		ssize_t n = hsk_recvfrom(fd, buf, sizeof(buf), 0,
					 (struct sockaddr *)&peer, &peerlen);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("hsk_recvfrom");
			break;
		}
		if (hsk_sendto(fd, buf, n, 0, (struct sockaddr *)&peer,
			       peerlen) < 0)
			perror("hsk_sendto"); /* keep serving the others */
		else
			echoed++;
	}
	hsk_close(fd);
	return count && echoed == count ? 0 : 1;
}
