/*
 * libFuzzer target for everything that reads raw request bytes: the head
 * parser (whole and byte by byte, which must agree), the chunked decoder
 * (in one piece and split), the target and namespace normalisers and the
 * form parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/handler.h"
#include "http/parser.h"
#include "http/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_head(const uint8_t *data, size_t size)
{
	struct http_head whole, split;
	enum http_parse a, b = HTTP_PARSE_MORE;
	size_t i;

	http_head_init(&whole);
	a = http_head_feed(&whole, (const char *)data, size);

	/* Fed in growing prefixes the parser must reach the same verdict. */
	http_head_init(&split);
	for (i = 1; i <= size && b == HTTP_PARSE_MORE; i += 1 + i / 4)
		b = http_head_feed(&split, (const char *)data, i);
	if (b == HTTP_PARSE_MORE)
		b = http_head_feed(&split, (const char *)data, size);
	if (a != b || (a == HTTP_PARSE_DONE && whole.len != split.len))
		abort();
	if (a == HTTP_PARSE_DONE) {
		struct http_call c;

		if (whole.len > size || whole.n_headers > HTTP_MAX_HEADERS)
			abort();
		http_call_init(&c);
		http_call_build(&c, &whole, data + whole.len, size - whole.len,
		                4096, "127.0.0.1");
		http_call_release(&c);
	}
}

static void fuzz_chunked(const uint8_t *data, size_t size)
{
	struct http_chunked c1, c2;
	struct buf o1, o2;
	enum http_parse r1, r2 = HTTP_PARSE_MORE;
	size_t u1, u2, used = 0, half = size / 2;

	buf_init(&o1, 1 << 16);
	buf_init(&o2, 1 << 16);
	http_chunked_init(&c1);
	http_chunked_init(&c2);
	r1 = http_chunked_feed(&c1, data, size, &u1, &o1);

	r2 = http_chunked_feed(&c2, data, half, &u2, &o2);
	used = u2;
	if (r2 == HTTP_PARSE_MORE) {
		r2 = http_chunked_feed(&c2, data + half, size - half, &u2, &o2);
		used += u2;
	}
	if (r1 != r2 || (r1 == HTTP_PARSE_DONE && u1 != used))
		abort();
	if (r1 != HTTP_PARSE_BAD &&
	    (o1.len != o2.len || memcmp(buf_str(&o1), buf_str(&o2), o1.len)))
		abort();
	buf_release(&o1);
	buf_release(&o2);
}

static void fuzz_target(const uint8_t *data, size_t size)
{
	struct http_target t;
	const char *why;
	char *ns = malloc(size + 2);
	json_t *form = json_object();

	http_target_init(&t);
	if (http_target_parse(&t, (const char *)data, size, &why) == ERR_OK) {
		/* A canonical path has no "." or ".." segment, no "//". */
		char *seg = t.path;

		if (t.path[0] == '/' || strstr(t.path, "//") != NULL)
			abort();
		while (*seg != 0) {
			size_t n = strcspn(seg, "/");

			if ((n == 1 && seg[0] == '.') ||
			    (n == 2 && seg[0] == '.' && seg[1] == '.'))
				abort();
			seg += n + (seg[n] == '/');
		}
	}
	http_target_release(&t);
	if (ns != NULL)
		http_namespace_normalise((const char *)data, size, ns, &why);
	if (form != NULL)
		http_form_parse((const char *)data, size, form, &why);
	json_decref(form);
	free(ns);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 100000)
		return 0;
	fuzz_head(data, size);
	fuzz_chunked(data, size);
	fuzz_target(data, size);
	return 0;
}
