/*
 * jwt_fetch.c - GET of a key set or an OpenID discovery document with
 * libcurl: size-capped, time-limited, http(s) only, no redirects, and
 * with the operator's CA bundle when one is configured.
 */
#include "auth/jwt/jwt_fetch.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define FETCH_TIMEOUT_S 10

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_start(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct buf *out = arg;

	/* size is 1 by libcurl's contract; a full buffer stops the GET. */
	if (size != 1 || buf_append(out, p, n) != ERR_OK)
		return 0;
	return n;
}

static void set_options(CURL *h, const char *url, const char *ca_pem,
                        struct buf *out)
{
	struct curl_blob blob;

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)FETCH_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)FETCH_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
	                 (curl_off_t)JWT_FETCH_MAX);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "coffer-jwt-auth");
	if (ca_pem != NULL && *ca_pem != 0) {
		/* The blob is copied by libcurl (CURL_BLOB_COPY). */
		blob.data = (void *)ca_pem;
		blob.len = strlen(ca_pem);
		blob.flags = CURL_BLOB_COPY;
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	}
}

err_t jwt_fetch(const char *url, const char *ca_pem, struct buf *out, char *err,
                size_t errlen)
{
	CURL *h;
	CURLcode cc;
	long status = 0;
	err_t rc = ERR_UNAVAILABLE;

	pthread_once(&fetch_once, fetch_start);
	buf_init(out, JWT_FETCH_MAX);
	h = curl_easy_init();
	if (h == NULL)
		return ERR_NOMEM;
	set_options(h, url, ca_pem, out);
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "fetching %.200s failed: %s", url,
		         curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		snprintf(err, errlen, "fetching %.200s answered status %ld",
		         url, status);
		goto out;
	}
	rc = ERR_OK;
out:
	curl_easy_cleanup(h);
	return rc;
}
