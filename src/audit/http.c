/*
 * http.c - the http audit device: forwards records to a log collector
 * (Splunk HEC, Elasticsearch bulk, Datadog logs, or any JSON webhook) in
 * batches, through a durable local spool, so that a collector that is slow
 * or down loses nothing.
 *
 * Options:
 *   url            http:// or https:// endpoint (required)
 *   http_format    json (default; a JSON array of records), splunk_hec,
 *                  elasticsearch (bulk NDJSON), datadog
 *   spool_path     the spool file (required); "<spool_path>.offset" beside it
 *   spool_max_bytes  bound of the spool (default 64 MiB)
 *   batch_size     records per request (default 100)
 *   auth_header    one header line "Name: value" (a secret: hidden when
 *                  listed), e.g. "Authorization: Splunk <token>"
 *   index          the Elasticsearch index (default "coffer-audit")
 *   tls_ca_file, tls_skip_verify, timeout (default 10s),
 *   max_backoff    longest wait between retries (default 30s)
 *
 * Delivery:
 *   1. A record counts as written once it is appended to the spool and
 *      fdatasync'd: the spool is the device's "destination" for the
 *      broker's fail-closed rule. A full spool fails the write.
 *   2. One thread per device sends the spool in order, one batch at a
 *      time, and advances the persisted offset only after a 2xx answer;
 *      failures are retried with exponential backoff. When everything is
 *      sent, spool and offset go back to zero.
 *   3. After a restart the thread resumes at the stored offset. A crash
 *      between the collector's 2xx and the offset's fsync sends that batch
 *      again (at-least-once); every record carries its request id and time
 *      for collectors that deduplicate.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "base/log.h"
#include "base/params.h"
#include "base/secret.h"

#define HTTP_READ_CHUNK ((size_t)8 << 20)

enum http_format { FMT_JSON, FMT_SPLUNK, FMT_ELASTIC, FMT_DATADOG };

struct http_state {
	/* Settings, fixed at open. */
	char *url;
	char *auth_header;
	char *index;
	char *ca_file;
	char *spool_path;
	enum http_format format;
	bool skip_verify;
	int64_t max_bytes, batch_size, timeout, max_backoff;

	/* The spool, under mu. */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int spool_fd, offset_fd;
	int64_t size, sent; /* bytes in the spool, bytes delivered */
	bool stop;
	pthread_t thread;
	bool thread_started;
	char *path; /* the device path, for logs */
};

static const char *const http_options[] = {"url",
                                           "http_format",
                                           "spool_path",
                                           "spool_max_bytes",
                                           "batch_size",
                                           "auth_header",
                                           "index",
                                           "tls_ca_file",
                                           "tls_skip_verify",
                                           "timeout",
                                           "max_backoff",
                                           NULL};
static const char *const http_secret_options[] = {"auth_header", NULL};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_start(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void state_free(struct http_state *st)
{
	if (st == NULL)
		return;
	if (st->spool_fd >= 0)
		close(st->spool_fd);
	if (st->offset_fd >= 0)
		close(st->offset_fd);
	free(st->url);
	secret_free(st->auth_header);
	free(st->index);
	free(st->ca_file);
	free(st->spool_path);
	free(st->path);
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cond);
	free(st);
}

static err_t parse_format(const char *s, enum http_format *out)
{
	static const char *const names[] = {"json", "splunk_hec",
	                                    "elasticsearch", "datadog"};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum http_format)i;
			return ERR_OK;
		}
	}
	return ERR_INVALID;
}

static bool text_clean(const char *s, const char *extra_bad)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f ||
		    strchr(extra_bad, *s) != NULL)
			return false;
	return true;
}

/* Copies an optional string option; ERR_NOMEM only. */
static err_t opt_dup(json_t *o, const char *key, const char *def, char **out)
{
	const char *v = def;

	param_str(o, key, &v);
	*out = v ? strdup(v) : NULL;
	return v != NULL && *out == NULL ? ERR_NOMEM : ERR_OK;
}

static err_t http_read_numbers(json_t *o, struct http_state *st,
                               struct buf *msg)
{
	st->max_bytes = (int64_t)64 << 20;
	st->batch_size = 100;
	st->timeout = 10;
	st->max_backoff = 30;
	if (param_int(o, "spool_max_bytes", &st->max_bytes) == ERR_INVALID ||
	    param_int(o, "batch_size", &st->batch_size) == ERR_INVALID ||
	    param_duration(o, "timeout", &st->timeout) == ERR_INVALID ||
	    param_duration(o, "max_backoff", &st->max_backoff) == ERR_INVALID ||
	    param_bool(o, "tls_skip_verify", &st->skip_verify) == ERR_INVALID ||
	    st->max_bytes < 4096 || st->max_bytes > ((int64_t)16 << 30) ||
	    st->batch_size < 1 || st->batch_size > 10000 || st->timeout < 1 ||
	    st->timeout > 300 || st->max_backoff < 1 ||
	    st->max_backoff > 3600) {
		buf_append_str(msg, "invalid spool_max_bytes, batch_size, "
		                    "timeout, max_backoff or tls_skip_verify");
		return ERR_INVALID;
	}
	return ERR_OK;
}

static err_t http_read_options(json_t *o, struct http_state *st,
                               struct buf *msg)
{
	const char *fmt = "json";
	err_t rc;

	rc = opt_dup(o, "url", NULL, &st->url);
	if (rc == ERR_OK)
		rc = opt_dup(o, "spool_path", NULL, &st->spool_path);
	if (rc == ERR_OK)
		rc = opt_dup(o, "auth_header", NULL, &st->auth_header);
	if (rc == ERR_OK)
		rc = opt_dup(o, "index", "coffer-audit", &st->index);
	if (rc == ERR_OK)
		rc = opt_dup(o, "tls_ca_file", NULL, &st->ca_file);
	if (rc != ERR_OK)
		return rc;
	rc = ERR_INVALID;
	param_str(o, "http_format", &fmt);
	if (st->url == NULL ||
	    (strncmp(st->url, "http://", 7) != 0 &&
	     strncmp(st->url, "https://", 8) != 0) ||
	    !text_clean(st->url, " "))
		buf_append_str(msg, "url must be an http:// or https:// URL");
	else if (parse_format(fmt, &st->format) != ERR_OK)
		buf_printf(msg,
		           "unknown http_format \"%s\": json, splunk_hec, "
		           "elasticsearch or datadog",
		           fmt);
	else if (st->spool_path == NULL)
		buf_append_str(msg, "spool_path is required");
	else if (audit_file_check_path(st->spool_path, msg) != ERR_OK)
		buf_append_str(msg, " (spool_path)");
	else if (st->auth_header != NULL &&
	         (strchr(st->auth_header, ':') == NULL ||
	          !text_clean(st->auth_header, "")))
		buf_append_str(msg, "auth_header must be one \"Name: value\" "
		                    "line");
	else if (!text_clean(st->index, " \"\\/,*?<>|#"))
		buf_append_str(msg, "invalid index name");
	else
		rc = http_read_numbers(o, st, msg);
	return rc;
}

/* ---- the spool ---- */

static err_t offset_store(struct http_state *st)
{
	struct buf b = BUF_INIT;
	err_t rc;

	rc = buf_printf(&b, "%020lld\n", (long long)st->sent);
	if (rc == ERR_OK &&
	    (pwrite(st->offset_fd, b.data, b.len, 0) != (ssize_t)b.len ||
	     fdatasync(st->offset_fd) != 0))
		rc = ERR_IO;
	buf_release(&b);
	return rc;
}

static int64_t offset_load(int fd)
{
	char text[32];
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	int64_t v = 0;
	ssize_t i;

	for (i = 0; i < n && text[i] >= '0' && text[i] <= '9'; i++) {
		if (v > (INT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (text[i] - '0');
	}
	return v;
}

/* Cuts a half-written last record (a crash mid-append) off the spool. */
static err_t spool_cut_partial(struct http_state *st)
{
	char chunk[4096];
	off_t end = (off_t)st->size;

	while (end > 0) {
		size_t n =
		    end > (off_t)sizeof(chunk) ? sizeof(chunk) : (size_t)end;
		if (pread(st->spool_fd, chunk, n, end - (off_t)n) != (ssize_t)n)
			return ERR_IO;
		for (; n > 0; n--, end--)
			if (chunk[n - 1] == '\n')
				goto found;
	}
found:
	if (end != (off_t)st->size && ftruncate(st->spool_fd, end) != 0)
		return ERR_IO;
	st->size = end;
	return ERR_OK;
}

static int open_private(const char *path, int flags)
{
	return open(path, flags | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
}

static err_t spool_open(struct http_state *st, struct buf *msg)
{
	struct buf opath = BUF_INIT;
	struct stat sb;
	err_t rc = ERR_IO;

	if (buf_printf(&opath, "%s.offset", st->spool_path) != ERR_OK)
		return ERR_NOMEM;
	st->spool_fd = open_private(st->spool_path, O_RDWR | O_APPEND);
	st->offset_fd = open_private(buf_str(&opath), O_RDWR);
	if (st->spool_fd < 0 || st->offset_fd < 0) {
		buf_printf(msg, "cannot open the spool %s: %s", st->spool_path,
		           errno == ELOOP ? "it is a symbolic link"
		                          : strerror(errno));
		goto out;
	}
	if (fstat(st->spool_fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		buf_append_str(msg, "the spool is not a regular file");
		goto out;
	}
	st->size = sb.st_size;
	st->sent = offset_load(st->offset_fd);
	rc = spool_cut_partial(st);
	/* An offset past the end cannot be trusted: send it all again. */
	if (rc == ERR_OK && st->sent > st->size)
		st->sent = 0;
	if (rc != ERR_OK)
		buf_append_str(msg, "cannot read the spool");
out:
	buf_release(&opath);
	return rc;
}

/* Reads up to batch_size whole records from the spool at from. */
static err_t spool_read_batch(struct http_state *st, int64_t from,
                              int64_t avail, struct buf *out, size_t *used)
{
	size_t want = (size_t)avail, i, lines = 0;
	err_t rc;

	if (want > HTTP_READ_CHUNK)
		want = HTTP_READ_CHUNK;
	for (;;) {
		buf_reset(out);
		rc = buf_reserve(out, want);
		if (rc != ERR_OK)
			return rc;
		if (pread(st->spool_fd, out->data, want, from) != (ssize_t)want)
			return ERR_IO;
		out->len = want;
		*used = 0;
		for (i = 0; i < want && lines < (size_t)st->batch_size; i++) {
			if (out->data[i] == '\n') {
				lines++;
				*used = i + 1;
			}
		}
		if (*used > 0 || want == (size_t)avail)
			return *used > 0 ? ERR_OK : ERR_IO;
		/* One record larger than a chunk: read all that is there. */
		want = (size_t)avail;
	}
}

/* ---- sending ---- */

/* Wraps each record (a line) the way the collector wants it. */
static err_t batch_body(const struct http_state *st, const uint8_t *p, size_t n,
                        struct buf *body)
{
	const uint8_t *end = p + n, *nl;
	bool first = true;
	err_t rc = ERR_OK;

	if (st->format == FMT_JSON || st->format == FMT_DATADOG)
		rc = buf_append_byte(body, '[');
	for (; rc == ERR_OK && p < end; p = nl + 1, first = false) {
		size_t len;
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)(nl - p);
		if (!first &&
		    (st->format == FMT_JSON || st->format == FMT_DATADOG))
			rc = buf_append_byte(body, ',');
		if (rc == ERR_OK && st->format == FMT_SPLUNK)
			rc = buf_append_str(body,
			                    "{\"sourcetype\":\"coffer:"
			                    "audit\",\"source\":\"coffer\","
			                    "\"event\":");
		else if (rc == ERR_OK && st->format == FMT_ELASTIC)
			rc = buf_printf(body,
			                "{\"index\":{\"_index\":\"%s\"}}\n",
			                st->index);
		else if (rc == ERR_OK && st->format == FMT_DATADOG)
			rc =
			    buf_append_str(body, "{\"ddsource\":\"coffer\","
			                         "\"service\":\"coffer-audit\","
			                         "\"message\":");
		if (rc == ERR_OK)
			rc = buf_append(body, p, len);
		if (rc == ERR_OK &&
		    (st->format == FMT_SPLUNK || st->format == FMT_DATADOG))
			rc = buf_append_byte(body, '}');
		if (rc == ERR_OK &&
		    (st->format == FMT_SPLUNK || st->format == FMT_ELASTIC))
			rc = buf_append_byte(body, '\n');
	}
	if (rc == ERR_OK &&
	    (st->format == FMT_JSON || st->format == FMT_DATADOG))
		rc = buf_append_byte(body, ']');
	return rc;
}

static size_t discard_body(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

static err_t http_post(const struct http_state *st, const struct buf *body)
{
	struct curl_slist *hdrs = NULL;
	CURL *curl = curl_easy_init();
	long status = 0;
	CURLcode cc;

	if (curl == NULL)
		return ERR_NOMEM;
	hdrs =
	    curl_slist_append(hdrs, st->format == FMT_ELASTIC
	                                ? "Content-Type: application/x-ndjson"
	                                : "Content-Type: application/json");
	/* No 100-continue round trip: collectors answer the batch at once. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (st->auth_header != NULL)
		hdrs = curl_slist_append(hdrs, st->auth_header);
	curl_easy_setopt(curl, CURLOPT_URL, st->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, (const char *)body->data);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
	                 (curl_off_t)body->len);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)st->timeout);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
	if (st->ca_file != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, st->ca_file);
	if (st->skip_verify) {
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	cc = curl_easy_perform(curl);
	if (cc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(curl);
	curl_slist_free_all(hdrs);
	if (cc != CURLE_OK || status < 200 || status > 299) {
		log_warn("audit", "http audit delivery failed: %s",
		         cc != CURLE_OK ? curl_easy_strerror(cc)
		                        : "collector refused the batch");
		return ERR_UNAVAILABLE;
	}
	return ERR_OK;
}

/* Reads and sends the batch at from; *used is what was delivered. */
static err_t deliver_batch(struct http_state *st, int64_t from, int64_t avail,
                           size_t *used)
{
	struct buf chunk = BUF_INIT, body = BUF_INIT;
	err_t rc;

	chunk.cap = (size_t)st->max_bytes + 1;
	rc = spool_read_batch(st, from, avail, &chunk, used);
	if (rc == ERR_OK)
		rc = batch_body(st, chunk.data, *used, &body);
	if (rc == ERR_OK)
		rc = http_post(st, &body);
	buf_release(&chunk);
	buf_release(&body);
	return rc;
}

/* Marks used bytes as delivered; empties the spool when all are. */
static void spool_advance(struct http_state *st, int64_t from, size_t used)
{
	st->sent = from + (int64_t)used;
	if (st->sent == st->size && ftruncate(st->spool_fd, 0) == 0)
		st->sent = st->size = 0;
	if (offset_store(st) != ERR_OK)
		log_error("audit",
		          "cannot store the spool offset of %s; "
		          "records may be sent twice",
		          st->path);
}

/* Sleeps up to secs, or until the device stops; mu is held. */
static void backoff_wait(struct http_state *st, int64_t secs)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += secs;
	while (!st->stop &&
	       pthread_cond_timedwait(&st->cond, &st->mu, &until) == 0)
		;
}

static void *delivery_thread(void *arg)
{
	struct http_state *st = arg;
	int64_t backoff = 1, from, avail;
	size_t used = 0;
	err_t rc;

	pthread_mutex_lock(&st->mu);
	for (;;) {
		while (!st->stop && st->sent >= st->size)
			pthread_cond_wait(&st->cond, &st->mu);
		if (st->stop)
			break;
		from = st->sent;
		avail = st->size - st->sent;
		pthread_mutex_unlock(&st->mu);

		rc = deliver_batch(st, from, avail, &used);

		pthread_mutex_lock(&st->mu);
		if (rc == ERR_OK) {
			spool_advance(st, from, used);
			backoff = 1;
			continue;
		}
		backoff_wait(st, backoff);
		backoff = backoff * 2 > st->max_backoff ? st->max_backoff
		                                        : backoff * 2;
	}
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

/* ---- the device ---- */

static err_t http_check(struct audit_device *d, struct buf *msg)
{
	struct http_state *st = calloc(1, sizeof(*st));
	err_t rc;

	if (st == NULL)
		return ERR_NOMEM;
	st->spool_fd = st->offset_fd = -1;
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cond, NULL);
	rc = http_read_options(d->options, st, msg);
	state_free(st);
	return rc;
}

static err_t http_open(struct audit_device *d, struct buf *msg)
{
	struct http_state *st;
	err_t rc;

	if (d->state != NULL)
		return ERR_OK;
	pthread_once(&curl_once, curl_start);
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return ERR_NOMEM;
	st->spool_fd = st->offset_fd = -1;
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cond, NULL);
	rc = http_read_options(d->options, st, msg);
	if (rc == ERR_OK && (st->path = strdup(d->path)) == NULL)
		rc = ERR_NOMEM;
	if (rc == ERR_OK)
		rc = spool_open(st, msg);
	if (rc == ERR_OK &&
	    pthread_create(&st->thread, NULL, delivery_thread, st) != 0)
		rc = ERR_INTERNAL;
	if (rc != ERR_OK) {
		state_free(st);
		return rc;
	}
	st->thread_started = true;
	d->state = st;
	return ERR_OK;
}

static err_t http_write(struct audit_device *d, const char *line, size_t len)
{
	struct http_state *st = d->state;
	/* line[len] is the record's '\n' (see audit.h): the spool's line. */
	size_t n = len + 1;
	ssize_t w;
	err_t rc = ERR_IO;

	pthread_mutex_lock(&st->mu);
	if (st->size + (int64_t)n > st->max_bytes) {
		log_error("audit", "spool of %s is full", d->path);
		goto out;
	}
	w = write(st->spool_fd, line, n);
	if (w != (ssize_t)n || fdatasync(st->spool_fd) != 0) {
		/* Not durable: take it back, so it is neither sent nor kept. */
		if (w > 0 && ftruncate(st->spool_fd, st->size) != 0)
			log_error("audit", "cannot cut back the spool of %s",
			          d->path);
		goto out;
	}
	st->size += (int64_t)n;
	pthread_cond_signal(&st->cond);
	rc = ERR_OK;
out:
	pthread_mutex_unlock(&st->mu);
	return rc;
}

static void http_close(struct audit_device *d)
{
	struct http_state *st = d->state;

	if (st == NULL)
		return;
	/*
	 * A batch in flight finishes or times out first (at most the timeout
	 * option); what is not delivered stays in the spool for next time.
	 */
	pthread_mutex_lock(&st->mu);
	st->stop = true;
	pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->mu);
	if (st->thread_started)
		pthread_join(st->thread, NULL);
	state_free(st);
	d->state = NULL;
}

const struct audit_device_ops audit_http_ops = {
    .type = "http",
    .open = http_open,
    .check = http_check,
    .write = http_write,
    .close = http_close,
    .option_keys = http_options,
    .secret_options = http_secret_options,
};
