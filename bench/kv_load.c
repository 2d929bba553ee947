/*
 * kv_load.c - writes KV v2 secrets through the HTTP API, fast enough to
 * fill a server with a million of them before a read benchmark.
 *
 *   kv_load PORT TOKEN MOUNT PREFIX FIRST COUNT CONNS
 *
 * Writes MOUNT/data/PREFIX<i> for i in [FIRST, FIRST+COUNT) to
 * 127.0.0.1:PORT over CONNS keep-alive connections (one thread each),
 * every secret with the same small body, and exits 0 only if every write
 * was answered 200 or 204. Loopback only, and the loop is bounded by
 * COUNT; a reply slower than 30 s ends the run with an error.
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
#include <unistd.h>

#include "httpc.h"

#define BODY                                                                   \
	"{\"data\":{\"username\":\"service-account\",\"password\":"            \
	"\"b7Jx2Qp9Lm4Vt8Rz1Kc6Wn3Hs5Fd0Ga7\",\"url\":"                        \
	"\"postgres://db.internal:5432/app\"}}"

struct job {
	int port;
	const char *token, *mount, *prefix;
	long first, count, step, offset;
	long done;
	int failed;
};

static void *load(void *arg)
{
	struct job *j = arg;
	char req[1024], reply[8192];
	long i;
	int fd, n, status;

	fd = httpc_dial(j->port);
	if (fd < 0) {
		j->failed = 1;
		return NULL;
	}
	for (i = j->first + j->offset; i < j->first + j->count; i += j->step) {
		n = snprintf(req, sizeof(req),
		             "POST /v1/%s/data/%s%ld HTTP/1.1\r\n"
		             "Host: 127.0.0.1\r\nX-Vault-Token: %s\r\n"
		             "Content-Type: application/json\r\n"
		             "Content-Length: %zu\r\n\r\n%s",
		             j->mount, j->prefix, i, j->token, strlen(BODY),
		             BODY);
		if (n < 0 || (size_t)n >= sizeof(req) ||
		    httpc_write_all(fd, req, (size_t)n) != 0)
			break;
		status = httpc_read_reply(fd, reply, sizeof(reply));
		if (status < 0) {
			fprintf(stderr, "kv_load: %s%ld: %s\n", j->prefix, i,
			        httpc_why(errno));
			break;
		}
		if (status != 200 && status != 204) {
			fprintf(stderr, "kv_load: %s%ld: status %d: %.200s\n",
			        j->prefix, i, status, reply);
			break;
		}
		j->done++;
	}
	if (i < j->first + j->count)
		j->failed = 1;
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct job *jobs;
	pthread_t *tids;
	long conns, t, total = 0;
	int failed = 0;

	if (argc != 8) {
		fprintf(stderr,
		        "usage: %s PORT TOKEN MOUNT PREFIX FIRST COUNT CONNS\n",
		        argv[0]);
		return 2;
	}
	conns = strtol(argv[7], NULL, 10);
	if (conns < 1 || conns > 256)
		return 2;
	jobs = calloc((size_t)conns, sizeof(*jobs));
	tids = calloc((size_t)conns, sizeof(*tids));
	if (jobs == NULL || tids == NULL)
		return 1;
	for (t = 0; t < conns; t++) {
		jobs[t].port = (int)strtol(argv[1], NULL, 10);
		jobs[t].token = argv[2];
		jobs[t].mount = argv[3];
		jobs[t].prefix = argv[4];
		jobs[t].first = strtol(argv[5], NULL, 10);
		jobs[t].count = strtol(argv[6], NULL, 10);
		jobs[t].step = conns;
		jobs[t].offset = t;
		if (pthread_create(&tids[t], NULL, load, &jobs[t]) != 0)
			return 1;
	}
	for (t = 0; t < conns; t++) {
		pthread_join(tids[t], NULL);
		total += jobs[t].done;
		failed |= jobs[t].failed;
	}
	printf("written=%ld\n", total);
	free(jobs);
	free(tids);
	return failed ? 1 : 0;
}
