/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench.h - what the workloads of hotsock-bench share: the run's
 * configuration, the topology helpers (addresses, frames, NAPI placement),
 * time, figures with their spread over the reps, the progress line and
 * the JSON and plot outputs.
 */
#ifndef HSK_BENCH_H
#define HSK_BENCH_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "topology.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BATCH_MAX 256
#define MAX_PAYLOAD 65507
#define MTU 1500 /* the veth pair's */
#define ETH_HLEN_ 14
#define XSK_SRC_PORT 19999 /* the xsk source's UDP source port */
#define DETACH_TIMEOUT 2.0 /* s: for an interface to lose its XDP program */
#define MAX_BACKENDS 4

/* Workloads, in the order a run takes them. */
enum workload {
	WL_RECEIVE,
	WL_TRANSMIT,
	WL_PINGPONG,
	WL_DPDK,
	WL_INSNS,
	WL_CAPTURE,
	WL_ECHO,
	WL_SOCKPERF,
	WL_COUNT
};

extern const char *const workload_names[WL_COUNT];

struct config {
	double duration;
	size_t size;
	int family;
	unsigned int reps;
	unsigned int batch;
	const char *json;
	const char *plot_dir; /* PNGs: next to the JSON, or --plot DIR */
	int pin;
	const char *backends[MAX_BACKENDS]; /* --backend, or none */
	unsigned int n_backends;
	int source;	 /* enum source_kind, or -1: xsk when it works */
	int napi_inline; /* --napi inline: leave veth's receive work alone */
	char *only;	 /* --contenders, or NULL: all */
	unsigned int workloads;	    /* 1 << enum workload */
	unsigned int count;	    /* insns: datagrams per measured loop */
	const char *valgrind;	    /* insns: the valgrind binary */
	const char *keep_callgrind; /* insns: keep callgrind.out.* here */
	int rx_cpu, tx_cpu;	    /* -1: not pinned */
	int af_xdp;		    /* af_xdp can serve on hsk0 */
};

extern volatile sig_atomic_t g_stop;
extern volatile sig_atomic_t g_alarm;

void on_signal(int sig);
double now(void);
void pin_self(int cpu);
void choose_cpus(int pin, int *rx_cpu, int *tx_cpu);

/*
 * A thread of the bench (a traffic source, a counter, a peer): @fn(@arg),
 * with every signal blocked, so that the signals stay the main thread's.
 * Return: 0, or pthread_create()'s error number (EAGAIN, ...).
 */
int start_thread(pthread_t *th, void *(*fn)(void *), void *arg);

int parse_double(const char *s, double lo, double hi, double *out);
int parse_uint(const char *s, unsigned long lo, unsigned long hi,
	       unsigned long *out);

/* Is contender @key among --contenders (or are all wanted)? */
int wanted(const struct config *cfg, const char *key);

/* Is @backend (NULL: the environment's) dpdk, whose hotsock runs each
 * rep in a child of its own (run_dpdk_child())? */
int dpdk_backend(const char *backend);

/* Can af_xdp serve a UDP socket on hsk0? 1 yes, 0 no (*why says why). */
int probe_af_xdp(struct hsk_topo *t, const struct config *cfg, char *why,
		 size_t why_len);

/* @local: hsk0's address (else hsk1's), in @family 4 or 6. */
void fill_addr(const struct hsk_topo *t, int family, int local, int port,
	       struct sockaddr_storage *ss, socklen_t *len);

/*
 * An Ethernet/IP/UDP frame with both checksums, from hsk1 to hsk0
 * (@from_peer) or from hsk0 to hsk1: UDP @sport -> @dport, @size bytes of
 * 0xa5. Return: its length.
 */
uint32_t build_frame(unsigned char *f, const struct hsk_topo *t, int family,
		     int from_peer, int sport, int dport, size_t size);

/*
 * A neighbour request from hsk1 for hsk0's address, as a frame (ARP for
 * @family 4, a neighbour solicitation for 6): whatever answers on hsk0
 * learns hsk1's MAC from it, as a stack with its own neighbour table
 * (hotsock on dpdk) must when hsk1 answers no request. Return: its length.
 */
uint32_t build_solicit(unsigned char *f, const struct hsk_topo *t, int family);

/*
 * Sends build_solicit()'s request from hsk1, through a packet socket of
 * the peer namespace: for a peer whose own receiver (a raw XSK) takes
 * every frame and answers none, yet must be learnt by hotsock on dpdk.
 * Return: 0, or -1 with errno.
 */
int peer_solicit(struct hsk_topo *t, int family);

/* Permanent neighbour entries both ways, so that a receiver that takes
 * every frame (ARP included) never starves a sender of its neighbour. */
int static_neighbours(struct hsk_topo *t);

/* Wait (bounded) until @ifindex has no XDP program in the calling thread's
 * namespace. Return: 0, or -1 (still attached). */
int wait_xdp_detached(int ifindex);

/*
 * hotsock on dpdk owns its port until the process ends, and the EAL runs
 * once per process (hotsock's or a raw rte_eth loop's): @fn(@arg, @out)
 * runs in a child of its own and hands back @out (@out_len bytes)
 * through a pipe. How, struct dpdk_child says:
 *
 *   veth     hsk0 is the port: the child's environment defaults to
 *            net_af_xdp on it with its addresses (HOTSOCK_DPDK_ARGS,
 *            HOTSOCK_DPDK_IP, HOTSOCK_DPDK_IP6), the child ends with
 *            exit() (hotsock closes its port at exit), and net_af_xdp's
 *            XDP program, which outlives the child, must come off hsk0.
 *            NULL: @fn names its own vdev (net_null, net_ring), which
 *            nothing outlives.
 *   timeout  seconds the child may take, after which it is killed
 *   cpu      the child runs pinned to it, or -1
 *
 * Return: 0, or -1 with *why (the child failed, died, overstayed or was
 * interrupted, or the XDP program stayed).
 */
#define DPDK_CHILD_SLACK 30 /* s: a child's EAL and port, beyond -d */
#define HSK0_VDEV "net_af_xdp0,iface=hsk0" /* dpdk's port on the veth pair */

struct dpdk_child {
	struct hsk_topo *veth;
	double timeout;
	int cpu;
};

int run_dpdk_child(const struct dpdk_child *o, void (*fn)(void *arg, void *out),
		   void *arg, void *out, size_t out_len, char *why,
		   size_t why_len);

/* In a veth child: the vdev hotsock on dpdk gets (the first --vdev= of
 * HOTSOCK_DPDK_ARGS) as hotsock configures it, for a raw rte_eth loop
 * on the same port, into @buf. */
void child_vdev(char *buf, size_t len);

/* Where an interface's kernel receive work runs (see common.c). */
struct napi_setup {
	int pid; /* the NAPI thread, or -1 */
	unsigned int id;
	int peer; /* hsk1's, else hsk0's */
};

int setup_napi(struct hsk_topo *t, int peer, int cpu, struct napi_setup *n,
	       char *why, size_t why_len);
/* Back to veth's default: the receive work inline, in the sender's calls. */
void napi_inline(struct hsk_topo *t, struct napi_setup *n);
int napi_thread_alive(const struct hsk_topo *t, const struct napi_setup *n);

/* Median, min and max of @n values (sorted in place). */
struct spread {
	double med, min, max;
};

struct spread spread_of(double *v, unsigned int n);
double median(double *v, unsigned int n);

/* The live progress line: rewritten in place on a terminal (stderr), one
 * line per step otherwise. */
void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void progress_done(void);

/*
 * JSON: main writes `"workload": ` and the workload its value (an object).
 * json_str() writes @s as a JSON string (quotes and control bytes
 * escaped).
 */
void json_str(FILE *f, const char *s);

/*
 * A run's object in a runs array: json_run_open() writes `{"ok": true`
 * (or false), after ", " unless it is the array's @first; then the
 * workload writes its figures, each as `, "key": value`, and the closing
 * brace. A run (or any object) that failed ends with json_error(): `,
 * "error": "..."}`.
 */
void json_run_open(FILE *f, int first, int ok);
void json_error(FILE *f, const char *err);

/*
 * Plots, as PNGs through gnuplot, into --plot's directory (@file: the
 * PNG's name there). A plot that cannot be made (no rows, gnuplot missing
 * or failed) leaves the run alone: stderr says so.
 *
 * A row's label: "[loop ]name[ (backend)]".
 */
struct plot_label {
	const char *loop; /* "send:", "recv:", or NULL */
	const char *name;
	const char *backend; /* or NULL */
};

/* A bar chart of @n rows: each bar a median, with its min and max. */
struct plot_row {
	struct plot_label label;
	struct spread v;
};

void plot_bars(const struct config *cfg, const char *file, const char *title,
	       const char *ylabel, const struct plot_row *rows, unsigned int n,
	       int log_y);

/* Grouped bars: @n rows, each with @k values in @v (e.g. latency
 * percentiles), one of each of the @series. */
void plot_groups(const struct config *cfg, const char *file, const char *title,
		 const char *ylabel, const struct plot_label *labels,
		 unsigned int n, const char *const *series, unsigned int k,
		 const double *v, int log_y);

#ifndef container_of /* DPDK's rte_common.h has its own */
#define container_of(p, type, member) \
	((type *)((char *)(p)-offsetof(type, member)))
#endif

/*
 * A contender of the receive or the transmit workload: @how is the
 * workload's own kind of loop (its enum); the hotsock ones run once per
 * backend.
 */
struct contender {
	const char *name;
	const char *key; /* for --contenders */
	int how;
	int hotsock;
	int one_per_call;    /* a datagram a call: batch 1 */
	const char *backend; /* asked of hsk_init(), or NULL: environment */
};

/* A workload's table of contenders. */
struct contender_list {
	const struct contender *c;
	size_t n;
};

/* Appends @c, with @backend, to @out (*@n so far) when --contenders
 * wants it. */
void add_contender(const struct config *cfg, const struct contender *c,
		   const char *backend, struct contender *out, unsigned int *n);

/* The contender @key of @lists, with @backend, into *@out. Return: 0, or
 * -1 with errno EINVAL (no such key). */
int find_contender(const struct contender_list *lists, unsigned int nlists,
		   const char *key, const char *backend, struct contender *out);

/* Datagrams per call of @c. */
unsigned int contender_batch(const struct contender *c,
			     const struct config *cfg);

/*
 * One contender of the receive or the transmit workload, by its key
 * (and backend, for hotsock), on its own: what the instruction counts
 * measure. rx_once() and tx_once() are one call of the contender's loop:
 * datagrams received or sent (tx_once: at most @max), or -1 with errno.
 */
struct receiver;
struct txer;

struct receiver *rx_open(const char *key, const char *backend,
			 struct hsk_topo *t, const struct config *cfg, int port,
			 char *backend_out, size_t backend_len);
int rx_once(struct receiver *r);
void rx_close(struct receiver *r);
struct txer *tx_open(const char *key, const char *backend, struct hsk_topo *t,
		     const struct config *cfg, int port, char *backend_out,
		     size_t backend_len);
int tx_once(struct txer *s, unsigned int max);
void tx_close(struct txer *s);

/*
 * The dpdk workload's loops (dpdk.c), also what the instruction counts
 * run: one contender, by its key and backend ("net_null", "net_ring": raw
 * rte_eth; "dpdk:null", "dpdk:ring": hotsock), on its vdev, in a process
 * of its own (the EAL runs once per process). dk_fill() queues up to @n
 * frames for a net_ring receiver and returns how many (any other
 * contender: @n, nothing done); dk_move() receives or sends @n frames
 * (fewer when the frames stop coming: they are lost). Errors: *err, an
 * errno value. dk_port_reset() and dk_port_count() read the port's own
 * counter of the contender's direction.
 */
#define DK_ROUND 512 /* frames per round: net_ring's ring holds 1023 */
struct dk_loop;
struct dk_loop *dk_open(int tx, const char *key, const char *backend,
			const struct config *cfg, char *err, size_t err_len);
unsigned int dk_fill(struct dk_loop *l, unsigned int n, int *err);
unsigned int dk_move(struct dk_loop *l, unsigned int n, int *err);
void dk_port_reset(void);
uint64_t dk_port_count(const struct dk_loop *l);
void dk_close(struct dk_loop *l);

/* The workloads. Each prints its table, and writes its JSON section to
 * @json when not NULL. Return: 0, or 1 when a contender failed. */
int workload_receive(struct hsk_topo *t, struct config *cfg, FILE *json);
int workload_transmit(struct hsk_topo *t, struct config *cfg, FILE *json);
int workload_pingpong(struct hsk_topo *t, struct config *cfg, FILE *json);
int workload_dpdk(struct config *cfg, FILE *json);
int workload_insns(struct config *cfg, const char *self, FILE *json);
int workload_capture(struct hsk_topo *t, struct config *cfg, const char *self,
		     FILE *json);
int workload_echo(struct hsk_topo *t, struct config *cfg, FILE *json);
int workload_sockperf(struct hsk_topo *t, struct config *cfg, FILE *json);

/* The receive workload's xsk source on its own, paced at @rate datagrams
 * per second (0: as fast as it can), to hsk0:@port. */
struct source;
struct source *source_start(struct hsk_topo *t, const struct config *cfg,
			    int port, double rate, const char **what);
uint64_t source_sent(struct source *src);
int source_stop(struct source *src);

/* The instruction counting child (run under valgrind): `--insns-child
 * KEY`. Return: the exit status. */
int insns_child(const char *key, const struct config *cfg);

#endif
