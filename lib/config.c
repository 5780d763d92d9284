// SPDX-License-Identifier: BSD-3-Clause
/*
 * Configuration: struct hsk_opts from hsk_init(), else HOTSOCK_* variables,
 * else defaults; and the library's log.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsk_priv.h"

#define HSK_DEFAULT_MAX_HELD 256u
#define HSK_DEFAULT_BUF_SIZE 2048u
#define HSK_MIN_BUF_SIZE 256u
#define HSK_MAX_BUF_SIZE 65536u
#define HSK_MAX_MAX_HELD 65536u
#define HSK_DEFAULT_RING_SIZE (4u << 20)
#define HSK_MIN_RING_SIZE (256u << 10)
#define HSK_MAX_RING_SIZE (1u << 30)
#define HSK_DEFAULT_XSK_RING 2048u
#define HSK_MAX_QUEUES 64u
#define HSK_MAX_BUSY_POLL_US 1000000u

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hsk_opts code_opts; /* what hsk_init() was given */
static bool have_code_opts;
static _Atomic int log_level = HSK_LOG_WARN;
static _Atomic double default_timeout = -1.0;

static const char *const backend_names[] = { "auto", "kernel", "af_xdp",
					     "dpdk" };

static const char *backend_name_canonical(const char *name)
{
	for (size_t i = 0; i < sizeof(backend_names) / sizeof(*backend_names);
	     i++)
		if (!strcmp(name, backend_names[i]))
			return backend_names[i];
	return NULL;
}

/* Parses an unsigned decimal with an optional k/m/g suffix. */
static int parse_size(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		end++;
		break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int env_size(const char *name, unsigned long long *out)
{
	const char *v = getenv(name);

	if (!v)
		return 0;
	if (parse_size(v, out)) {
		hsk_log(HSK_LOG_ERR, "%s=%s: not a size", name, v);
		return -1;
	}
	return 1;
}

static int check_range(const char *what, unsigned long long v,
		       unsigned long long lo, unsigned long long hi)
{
	if (v >= lo && v <= hi)
		return 0;
	hsk_log(HSK_LOG_ERR, "%s=%llu: outside %llu..%llu", what, v, lo, hi);
	return -1;
}

/* A switch: code option (1 on, -1 off) over variable ("0" off) over off. */
static bool bool_setting(const char *var, int from_code)
{
	const char *env = getenv(var);

	if (from_code)
		return from_code > 0;
	return env && *env && strcmp(env, "0") != 0;
}

/* An unsigned setting: code option (non-zero) over variable over default. */
static int uint_setting(const char *var, unsigned int from_code,
			unsigned int lo, unsigned int hi, unsigned int def,
			unsigned int *out)
{
	unsigned long long v = def;
	int r = env_size(var, &v);

	if (r < 0)
		return -1;
	if (from_code)
		v = from_code;
	if (check_range(var, v, lo, hi))
		return -1;
	*out = (unsigned int)v;
	return 0;
}

/* A string setting: code option over variable; "" when neither. */
static const char *str_setting(const char *var, const char *from_code)
{
	const char *env = getenv(var);

	if (from_code)
		return from_code;
	return env ? env : "";
}

/*
 * An address with an optional prefix ("198.18.0.1/24"); @prefix NULL for
 * a gateway, which takes none. An empty setting leaves @addr zero.
 */
static int addr_setting(const char *var, const char *from_code, int family,
			void *addr, uint8_t *prefix)
{
	const char *v = str_setting(var, from_code);
	unsigned int max = family == AF_INET ? 32 : 128;
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long len = max;

	if (!*v)
		return 0;
	if (strlen(v) >= sizeof(buf))
		goto bad;
	strcpy(buf, v);
	slash = strchr(buf, '/');
	if (slash) {
		if (!prefix)
			goto bad;
		*slash++ = 0;
		errno = 0;
		len = strtoul(slash, &end, 10);
		if (errno || end == slash || *end || len < 1 || len > max)
			goto bad;
	}
	if (inet_pton(family, buf, addr) != 1)
		goto bad;
	if (prefix)
		*prefix = (uint8_t)len;
	return 0;
bad:
	hsk_log(HSK_LOG_ERR, "%s=%s: not an IPv%c address%s", var, v,
		family == AF_INET ? '4' : '6', prefix ? " with prefix" : "");
	return -1;
}

static int resolve_dpdk(const struct hsk_opts *o, struct hsk_config *c)
{
	const char *args = str_setting("HOTSOCK_DPDK_ARGS",
				       o ? o->dpdk_args : NULL);

	if (strlen(args) >= sizeof(c->dpdk_args)) {
		hsk_log(HSK_LOG_ERR, "dpdk_args: longer than %zu bytes",
			sizeof(c->dpdk_args) - 1);
		return -1;
	}
	strcpy(c->dpdk_args, args);
	return addr_setting("HOTSOCK_DPDK_IP", o ? o->dpdk_ip : NULL, AF_INET,
			    &c->dpdk_ip4, &c->dpdk_prefix4) ||
	       addr_setting("HOTSOCK_DPDK_GW", o ? o->dpdk_gw : NULL, AF_INET,
			    &c->dpdk_gw4, NULL) ||
	       addr_setting("HOTSOCK_DPDK_IP6", o ? o->dpdk_ip6 : NULL,
			    AF_INET6, &c->dpdk_ip6, &c->dpdk_prefix6) ||
	       addr_setting("HOTSOCK_DPDK_GW6", o ? o->dpdk_gw6 : NULL,
			    AF_INET6, &c->dpdk_gw6, NULL) ?
		       -1 :
		       0;
}

/* Layers code options over the environment over the defaults. */
static int resolve(const struct hsk_opts *o, struct hsk_config *c)
{
	unsigned long long v;
	const char *env;
	int r;

	memset(c, 0, sizeof(*c));
	c->backend = "auto";
	c->packet_ring_size = HSK_DEFAULT_RING_SIZE;
	c->log_level = HSK_LOG_WARN;

	/* An empty variable is an unset one; an empty name from code is a
	 * mistake. */
	env = getenv("HOTSOCK_BACKEND");
	if (env && !*env)
		env = NULL;
	if (o && o->backend)
		env = o->backend;
	if (env) {
		c->backend = backend_name_canonical(env);
		if (!c->backend) {
			hsk_log(HSK_LOG_ERR,
				"backend \"%s\" unknown: use auto, kernel, af_xdp or dpdk",
				env);
			return -1;
		}
	}

	c->strict = bool_setting("HOTSOCK_STRICT", o ? o->strict : 0);
	c->packet_exclusive = bool_setting("HOTSOCK_PACKET_EXCLUSIVE",
					   o ? o->packet_exclusive : 0);
	env = getenv("HOTSOCK_XDP_ZEROCOPY");
	c->xdp_zerocopy = env && *env ? (strcmp(env, "0") ? 1 : -1) : 0;
	if (o && o->xdp_zerocopy)
		c->xdp_zerocopy = o->xdp_zerocopy > 0 ? 1 : -1;

	r = env_size("HOTSOCK_LOG_LEVEL", &v);
	if (r < 0)
		return -1;
	if (r)
		c->log_level = v > HSK_LOG_DEBUG ? HSK_LOG_DEBUG : (int)v;
	if (o && o->log_level) {
		if (o->log_level < 0 || o->log_level > HSK_LOG_DEBUG)
			return -1;
		c->log_level = o->log_level;
	}

	if (uint_setting("HOTSOCK_ZC_MAX_HELD", o ? o->zc_max_held : 0, 1,
			 HSK_MAX_MAX_HELD, HSK_DEFAULT_MAX_HELD,
			 &c->zc_max_held) ||
	    uint_setting("HOTSOCK_ZC_BUF_SIZE", o ? o->zc_buf_size : 0,
			 HSK_MIN_BUF_SIZE, HSK_MAX_BUF_SIZE,
			 HSK_DEFAULT_BUF_SIZE, &c->zc_buf_size))
		return -1;

	r = env_size("HOTSOCK_PACKET_RING_SIZE", &v);
	if (r < 0)
		return -1;
	if (r)
		c->packet_ring_size = v;
	if (o && o->packet_ring_size)
		c->packet_ring_size = o->packet_ring_size;
	if (check_range("packet_ring_size", c->packet_ring_size,
			HSK_MIN_RING_SIZE, HSK_MAX_RING_SIZE))
		return -1;

	env = getenv("HOTSOCK_IFACE");
	if (o && o->iface)
		env = o->iface;
	c->iface[0] = 0;
	if (env && *env) {
		if (strlen(env) >= sizeof(c->iface)) {
			hsk_log(HSK_LOG_ERR, "iface \"%s\": name too long",
				env);
			return -1;
		}
		strcpy(c->iface, env);
	}

	if (uint_setting("HOTSOCK_QUEUES", o ? o->queues : 0, 0, HSK_MAX_QUEUES,
			 0, &c->queues) ||
	    uint_setting("HOTSOCK_RING_SIZE", o ? o->ring_size : 0, 64, 16384,
			 HSK_DEFAULT_XSK_RING, &c->ring_size) ||
	    uint_setting("HOTSOCK_BUSY_POLL", o ? o->busy_poll_us : 0, 0,
			 HSK_MAX_BUSY_POLL_US, 0, &c->busy_poll_us))
		return -1;
	if (c->ring_size & (c->ring_size - 1)) {
		hsk_log(HSK_LOG_ERR, "ring_size=%u: not a power of two",
			c->ring_size);
		return -1;
	}
	return resolve_dpdk(o, c);
}

/*
 * A caller built against a newer header may pass a larger struct: accept
 * it when everything past what we know is zero (libbpf's OPTS rule).
 */
static int opts_valid(const struct hsk_opts *o)
{
	const unsigned char *p = (const unsigned char *)o;

	if (o->sz < sizeof(o->sz))
		return 0;
	for (size_t i = sizeof(*o); i < o->sz; i++)
		if (p[i])
			return 0;
	return 1;
}

HSK_EXPORT int hsk_init(const struct hsk_opts *opts)
{
	struct hsk_opts copy = { 0 };
	struct hsk_config c;

	if (opts) {
		if (!opts_valid(opts)) {
			errno = EINVAL;
			return -1;
		}
		memcpy(&copy, opts,
		       opts->sz < sizeof(copy) ? opts->sz : sizeof(copy));
		copy.sz = sizeof(copy);
	}
	if (resolve(opts ? &copy : NULL, &c)) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&config_lock);
	code_opts = copy;
	have_code_opts = opts != NULL;
	atomic_store(&log_level, c.log_level);
	pthread_mutex_unlock(&config_lock);
	return 0;
}

int hsk_config_get(struct hsk_config *out)
{
	int r;

	pthread_mutex_lock(&config_lock);
	r = resolve(have_code_opts ? &code_opts : NULL, out);
	pthread_mutex_unlock(&config_lock);
	if (r) {
		errno = EINVAL;
		return -1;
	}
	atomic_store(&log_level, out->log_level);
	return 0;
}

double hsk_default_timeout(void)
{
	return atomic_load(&default_timeout);
}

/* Timeouts past this overflow a struct timespec deadline. */
#define HSK_MAX_TIMEOUT 1e15

int hsk_timeout_valid(double seconds)
{
	return !isnan(seconds) && seconds <= HSK_MAX_TIMEOUT;
}

HSK_EXPORT int hsk_setdefaulttimeout(double seconds)
{
	if (!hsk_timeout_valid(seconds)) {
		errno = EINVAL;
		return -1;
	}
	atomic_store(&default_timeout,
		     seconds < 0 ? HSK_TIMEOUT_NONE : seconds);
	return 0;
}

HSK_EXPORT double hsk_getdefaulttimeout(void)
{
	return atomic_load(&default_timeout);
}

void hsk_log(int level, const char *fmt, ...)
{
	static const char *const tag[] = { "", "error", "warning", "info",
					   "debug" };
	va_list ap;

	if (level > atomic_load_explicit(&log_level, memory_order_relaxed))
		return;
	flockfile(stderr);
	fprintf(stderr, "hotsock: %s: ", tag[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}
