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
 * Built by bench/run.sh only; not part of the server or the tests.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

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

static int dial(int port)
{
	struct sockaddr_in a;
	struct timeval tv = {30, 0};
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Reads one reply; returns its status code, or -1 with errno set (0 when
 * the server closed the connection or sent something unreadable).
 */
static int read_reply(int fd, char *buf, size_t cap)
{
	size_t have = 0, head, want;
	char *end, *cl;
	int status;

	for (;;) {
		ssize_t r;

		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end != NULL)
			break;
		if (have + 1 >= cap)
			return -1;
		errno = 0;
		r = read(fd, buf + have, cap - 1 - have);
		if (r <= 0)
			return -1;
		have += (size_t)r;
	}
	head = (size_t)(end - buf) + 4;
	errno = 0;
	if (sscanf(buf, "HTTP/1.1 %d", &status) != 1)
		return -1;
	cl = strstr(buf, "Content-Length:");
	want = cl != NULL && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
	if (want > cap - 1 - head)
		return -1;
	while (have < head + want) {
		ssize_t r;

		errno = 0;
		r = read(fd, buf + have, head + want - have);
		if (r <= 0)
			return -1;
		have += (size_t)r;
	}
	return status;
}

static void *load(void *arg)
{
	struct job *j = arg;
	char req[1024], reply[8192];
	long i;
	int fd, n, status;

	fd = dial(j->port);
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
		    write_all(fd, req, (size_t)n) != 0)
			break;
		status = read_reply(fd, reply, sizeof(reply));
		if (status < 0) {
			fprintf(stderr, "kv_load: %s%ld: %s\n", j->prefix, i,
			        errno == EAGAIN ? "no reply within 30 s"
			        : errno         ? strerror(errno)
			                : "connection closed or bad reply");
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
