// SPDX-License-Identifier: BSD-3-Clause
/*
 * hotsock-stat - the per-socket counters of a program running under
 * libhotsock-preload.so, read from the program itself at this moment.
 *
 *   hotsock-stat PID
 *
 * prints "pid=PID sockets=N", then one line per socket: its descriptor,
 * the backend it really uses, its protocol and addresses, and every
 * hsk_stats() counter, as key=value pairs.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define STAT_DIR_DEFAULT "/run/hotsock"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hotsock-stat [-d DIR] PID\n"
		"Print the per-socket counters and backend of each hotsock socket\n"
		"of PID, a program running under libhotsock-preload.so.\n"
		"  -d DIR  where the program listens (default $HOTSOCK_STAT_DIR,\n"
		"          else " STAT_DIR_DEFAULT ")\n");
}

int main(int argc, char **argv)
{
	const char *dir = getenv("HOTSOCK_STAT_DIR");
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char buf[4096], *end;
	long pid;
	ssize_t n;
	int c, fd;

	while ((c = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	errno = 0;
	pid = strtol(argv[optind], &end, 10);
	if (errno || *end || pid <= 0) {
		fprintf(stderr, "hotsock-stat: %s: not a process id\n",
			argv[optind]);
		return 2;
	}
	if (!dir || !*dir)
		dir = STAT_DIR_DEFAULT;
	if (snprintf(un.sun_path, sizeof(un.sun_path), "%s/%ld.sock", dir,
		     pid) >= (int)sizeof(un.sun_path)) {
		fprintf(stderr, "hotsock-stat: %s: name too long\n", dir);
		return 2;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&un, sizeof(un))) {
		fprintf(stderr,
			"hotsock-stat: process %ld: %s: %s (not running under "
			"libhotsock-preload.so, no socket yet, or gone)\n",
			pid, un.sun_path, strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return 1;
	}
	if (n < 0) {
		fprintf(stderr, "hotsock-stat: %s: %s\n", un.sun_path,
			strerror(errno));
		return 1;
	}
	close(fd);
	return fflush(stdout) ? 1 : 0;
}
