/*
 * lease_load.c - fills a server with leases through its own API, all due
 * at one moment, for the lease-expiry storm (W7) and the restart (W8) rows.
 *
 *   lease_load PORT TOKEN COUNT CONNS EXPIRE_AT STOP_AT
 *
 * Creates COUNT orphan service tokens with POST /v1/auth/token/create-orphan
 * on 127.0.0.1:PORT over CONNS keep-alive connections (one thread each).
 * Each token is a lease in the server's lease manager, written by the same
 * code path as any login's token. Each request asks for
 * ttl = EXPIRE_AT - now (unix seconds), so whenever it is made every lease
 * falls due at EXPIRE_AT (within the second the server rounds to). No
 * request is sent at or after STOP_AT: a load slower than run.sh planned
 * stops short rather than making leases that expire during the load.
 *
 * Prints "made=N seconds=S" (S: the wall time of the load) and exits 0
 * when all COUNT were made, 3 when STOP_AT cut the load short (made < COUNT
 * and no error), 1 on any failed request. Loopback only; bounded by COUNT
 * and STOP_AT; a reply slower than 30 s ends the run with an error.
 *
 * Built by bench/run.sh only (with httpc.c); not part of the server or
 * the tests.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "httpc.h"

struct job {
	int port;
	const char *token;
	long count, step, offset;
	long long expire_at, stop_at;
	long done;
	int failed, cut;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sends one create-orphan request and checks its answer; 0 when made. */
static int make_one(struct job *j, int fd, long long ttl)
{
	char body[128], req[1024], reply[8192];
	int n, m, status;

	m = snprintf(body, sizeof(body),
	             "{\"policies\":[\"default\"],\"ttl\":\"%llds\"}", ttl);
	n = snprintf(req, sizeof(req),
	             "POST /v1/auth/token/create-orphan HTTP/1.1\r\n"
	             "Host: 127.0.0.1\r\nX-Vault-Token: %s\r\n"
	             "Content-Type: application/json\r\n"
	             "Content-Length: %d\r\n\r\n%s",
	             j->token, m, body);
	if (m < 0 || (size_t)m >= sizeof(body) || n < 0 ||
	    (size_t)n >= sizeof(req) ||
	    httpc_write_all(fd, req, (size_t)n) != 0)
		return -1;
	status = httpc_read_reply(fd, reply, sizeof(reply));
	if (status < 0) {
		fprintf(stderr, "lease_load: %s\n", httpc_why(errno));
		return -1;
	}
	if (status != 200) {
		fprintf(stderr, "lease_load: status %d: %.200s\n", status,
		        reply);
		return -1;
	}
	return 0;
}

static void *load(void *arg)
{
	struct job *j = arg;
	long i;
	int fd;

	fd = httpc_dial(j->port);
	if (fd < 0) {
		j->failed = 1;
		return NULL;
	}
	for (i = j->offset; i < j->count; i += j->step) {
		long long now = (long long)time(NULL);
		if (now >= j->stop_at || j->expire_at - now < 1) {
			j->cut = 1;
			break;
		}
		if (make_one(j, fd, j->expire_at - now) != 0) {
			j->failed = 1;
			break;
		}
		j->done++;
	}
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct job *jobs;
	pthread_t *tids;
	long conns, t, total = 0;
	int failed = 0, cut = 0;
	double start;

	if (argc != 7) {
		fprintf(stderr,
		        "usage: %s PORT TOKEN COUNT CONNS EXPIRE_AT STOP_AT\n",
		        argv[0]);
		return 2;
	}
	conns = strtol(argv[4], NULL, 10);
	if (conns < 1 || conns > 256)
		return 2;
	jobs = calloc((size_t)conns, sizeof(*jobs));
	tids = calloc((size_t)conns, sizeof(*tids));
	if (jobs == NULL || tids == NULL)
		return 1;
	start = now_s();
	for (t = 0; t < conns; t++) {
		jobs[t].port = (int)strtol(argv[1], NULL, 10);
		jobs[t].token = argv[2];
		jobs[t].count = strtol(argv[3], NULL, 10);
		jobs[t].expire_at = strtoll(argv[5], NULL, 10);
		jobs[t].stop_at = strtoll(argv[6], NULL, 10);
		jobs[t].step = conns;
		jobs[t].offset = t;
		if (pthread_create(&tids[t], NULL, load, &jobs[t]) != 0)
			return 1;
	}
	for (t = 0; t < conns; t++) {
		pthread_join(tids[t], NULL);
		total += jobs[t].done;
		failed |= jobs[t].failed;
		cut |= jobs[t].cut;
	}
	printf("made=%ld seconds=%.3f\n", total, now_s() - start);
	free(jobs);
	free(tids);
	return failed ? 1 : cut ? 3 : 0;
}
