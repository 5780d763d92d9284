// SPDX-License-Identifier: BSD-3-Clause
/*
 * topology.c - two anonymous network namespaces joined by a veth pair.
 */
#include "topology.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOPO_MAGIC 0x74736b68u /* "hkst" */

/*
 * Distinct interface indexes for the two ends. The kernel applies link
 * changes of a stacked device at once only when its ifindex differs from
 * its iflink (linkwatch_urgent_event()); two veth ends that both get
 * index 2 in their fresh namespaces wait a whole second for carrier.
 */
#define IFINDEX_LOCAL 10
#define IFINDEX_PEER 11

/* Locally administered, fixed so that captures are easy to read. */
static const uint8_t mac_local[6] = { 0x02, 0x00, 0xc6, 0x12, 0x00, 0x01 };
static const uint8_t mac_peer[6] = { 0x02, 0x00, 0xc6, 0x12, 0x00, 0x02 };

static int open_current_netns(void)
{
	return open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
}

/* Write a sysctl of the calling thread's network namespace. */
static int write_sysctl(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

/*
 * Quiet IPv6 in the calling thread's namespace before any interface
 * exists, so that the veth ends inherit it: no duplicate address
 * detection holding addresses tentative, no router solicitations.
 */
static void quiet_ipv6(void)
{
	static const char *const confs[] = { "all", "default" };
	static const char *const keys[][2] = {
		{ "accept_dad", "0" },
		{ "dad_transmits", "0" },
		{ "router_solicitations", "0" },
		{ "accept_ra", "0" },
	};
	char path[128];
	size_t i, j;

	for (i = 0; i < sizeof(confs) / sizeof(confs[0]); i++) {
		for (j = 0; j < sizeof(keys) / sizeof(keys[0]); j++) {
			snprintf(path, sizeof(path),
				 "/proc/sys/net/ipv6/conf/%s/%s", confs[i],
				 keys[j][0]);
			/* Best effort: a kernel without IPv6 fails later. */
			(void)write_sysctl(path, keys[j][1]);
		}
	}
}

static int run_in_ns(int nsfd, const char *fmt, va_list ap)
{
	char *cmd = NULL;
	int status;
	pid_t pid;

	if (nsfd < 0)
		return -EBADF;
	if (vasprintf(&cmd, fmt, ap) < 0)
		return -ENOMEM;

	pid = fork();
	if (pid < 0) {
		int err = -errno;

		free(cmd);
		return err;
	}
	if (pid == 0) {
		if (setns(nsfd, CLONE_NEWNET) < 0)
			_exit(126);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	free(cmd);

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int topo_run_peer(struct hsk_topo *t, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = run_in_ns(t->ns_peer, fmt, ap);
	va_end(ap);
	return ret;
}

int topo_run_local(struct hsk_topo *t, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = run_in_ns(t->ns_local, fmt, ap);
	va_end(ap);
	return ret;
}

int topo_enter_peer(struct hsk_topo *t)
{
	return setns(t->ns_peer, CLONE_NEWNET) < 0 ? -errno : 0;
}

int topo_enter_local(struct hsk_topo *t)
{
	return setns(t->ns_local, CLONE_NEWNET) < 0 ? -errno : 0;
}

int topo_peer_socket(struct hsk_topo *t, int domain, int type, int protocol)
{
	int fd, err;

	err = topo_enter_peer(t);
	if (err < 0) {
		errno = -err;
		return -1;
	}
	fd = socket(domain, type, protocol);
	err = errno;
	if (topo_enter_local(t) < 0) {
		/* The thread is stranded in the peer namespace: fail loudly. */
		int e = errno;

		if (fd >= 0)
			close(fd);
		errno = e;
		return -1;
	}
	errno = err;
	return fd;
}

/* Index and MAC of @ifname, asked in the namespace of socket @sfd. */
static int query_link(int sfd, const char *ifname, int *ifindex,
		      unsigned char mac[6], int *running)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(sfd, SIOCGIFINDEX, &ifr) < 0)
		return -errno;
	*ifindex = ifr.ifr_ifindex;
	if (ioctl(sfd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(sfd, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	*running = !!(ifr.ifr_flags & IFF_RUNNING);
	return 0;
}

/* Fill indexes and MACs; wait (bounded) until both ends have carrier. */
static int fill_links(struct hsk_topo *t)
{
	int lfd, pfd, err = 0, up_l = 0, up_p = 0, i;
	struct timespec nap = { 0, 10 * 1000 * 1000 };

	lfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	pfd = topo_peer_socket(t, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (pfd < 0) {
		err = -errno;
		close(lfd);
		return err;
	}
	for (i = 0; i < 300; i++) {
		err = query_link(lfd, t->if_local, &t->ifindex_local,
				 t->mac_local, &up_l);
		if (!err)
			err = query_link(pfd, t->if_peer, &t->ifindex_peer,
					 t->mac_peer, &up_p);
		if (err || (up_l && up_p))
			break;
		nanosleep(&nap, NULL);
	}
	if (!err && !(up_l && up_p))
		err = -ETIMEDOUT;
	close(lfd);
	close(pfd);
	return err;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void fmt_mac(char *buf, size_t sz, const unsigned char *m)
{
	snprintf(buf, sz, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
}

int topo_setup(struct hsk_topo *t)
{
	char mac_l[18], mac_p[18];
	int err;

	memset(t, 0, sizeof(*t));
	t->ns_local = t->ns_peer = t->ns_orig = -1;
	snprintf(t->if_local, sizeof(t->if_local), "%s", TOPO_IF_LOCAL);
	snprintf(t->if_peer, sizeof(t->if_peer), "%s", TOPO_IF_PEER);
	inet_pton(AF_INET, TOPO_IP4_LOCAL, &t->ip4_local);
	inet_pton(AF_INET, TOPO_IP4_PEER, &t->ip4_peer);
	inet_pton(AF_INET6, TOPO_IP6_LOCAL, &t->ip6_local);
	inet_pton(AF_INET6, TOPO_IP6_PEER, &t->ip6_peer);

	t->ns_orig = open_current_netns();
	if (t->ns_orig < 0)
		return -errno;

	if (unshare(CLONE_NEWNET) < 0) {
		err = -errno;
		close_fd(&t->ns_orig);
		return err == -EINVAL ? -EPERM : err;
	}
	/* From here on, teardown knows how to go back. */
	t->magic = TOPO_MAGIC;

	t->ns_local = open_current_netns();
	if (t->ns_local < 0)
		goto fail_errno;
	quiet_ipv6();

	if (unshare(CLONE_NEWNET) < 0)
		goto fail_errno;
	t->ns_peer = open_current_netns();
	if (t->ns_peer < 0)
		goto fail_errno;
	quiet_ipv6();
	if (topo_enter_local(t) < 0)
		goto fail_errno;

	fmt_mac(mac_l, sizeof(mac_l), mac_local);
	fmt_mac(mac_p, sizeof(mac_p), mac_peer);
	err = topo_run_local(t,
			     "ip link set lo up && "
			     "ip link add %s index %d address %s type veth "
			     "peer name %s index %d address %s "
			     "netns /proc/%d/fd/%d && "
			     "ip addr add %s/24 brd + dev %s && "
			     "ip -6 addr add %s/64 dev %s nodad && "
			     "ip link set %s up",
			     t->if_local, IFINDEX_LOCAL, mac_l, t->if_peer,
			     IFINDEX_PEER, mac_p, (int)getpid(), t->ns_peer,
			     TOPO_IP4_LOCAL, t->if_local, TOPO_IP6_LOCAL,
			     t->if_local, t->if_local);
	if (err)
		goto fail_cmd;
	err = topo_run_peer(t,
			    "ip link set lo up && "
			    "ip addr add %s/24 brd + dev %s && "
			    "ip -6 addr add %s/64 dev %s nodad && "
			    "ip link set %s up",
			    TOPO_IP4_PEER, t->if_peer, TOPO_IP6_PEER,
			    t->if_peer, t->if_peer);
	if (err)
		goto fail_cmd;

	err = fill_links(t);
	if (err)
		goto fail;
	return 0;

fail_cmd:
	/* ip(8) fails with status 2 when not permitted, among others. */
	err = err < 0 ? err : -EIO;
	goto fail;
fail_errno:
	err = -errno;
fail:
	topo_teardown(t);
	return err;
}

void topo_teardown(struct hsk_topo *t)
{
	if (!t || t->magic != TOPO_MAGIC)
		return;
	if (t->ns_orig >= 0)
		(void)setns(t->ns_orig, CLONE_NEWNET);
	close_fd(&t->ns_peer);
	close_fd(&t->ns_local);
	close_fd(&t->ns_orig);
	t->magic = 0;
}
