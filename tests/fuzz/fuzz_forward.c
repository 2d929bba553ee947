/*
 * libFuzzer target for what a server reads when requests are forwarded:
 * the active server's answer head as a standby parses it (whole and in
 * growing prefixes, which must agree), and X-Coffer-Forwarded-For as an
 * active server checks it (never accepted without the right MAC).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ha_forward.h"
#include "http/parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_reply_head(const uint8_t *data, size_t size)
{
	struct http_head whole, split;
	enum http_parse a, b = HTTP_PARSE_MORE;
	size_t i;

	http_head_init_response(&whole);
	a = http_head_feed(&whole, (const char *)data, size);
	http_head_init_response(&split);
	for (i = 1; i <= size && b == HTTP_PARSE_MORE; i += 1 + i / 4)
		b = http_head_feed(&split, (const char *)data, i);
	if (b == HTTP_PARSE_MORE)
		b = http_head_feed(&split, (const char *)data, size);
	if (a != b || (a == HTTP_PARSE_DONE && whole.len != split.len))
		abort();
	if (a == HTTP_PARSE_DONE &&
	    (whole.code < 100 || whole.code > 999 || whole.len > size))
		abort();
}

static void fuzz_forward_header(const uint8_t *data, size_t size)
{
	static const uint8_t key[HA_FORWARD_KEY_LEN] = {7};
	char value[512], addr[HA_FORWARD_ADDR_LEN];
	struct request req;
	size_t n = size < sizeof(value) - 1 ? size : sizeof(value) - 1;

	memcpy(value, data, n);
	value[n] = 0;
	request_init(&req);
	req.path = strdup("secret/data/x");
	req.ns = "";
	/* Random bytes do not carry a valid HMAC-SHA256. */
	if (ha_forward_check(key, value, &req, 1800000000, addr) == ERR_OK)
		abort();
	request_release(&req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_reply_head(data, size);
	fuzz_forward_header(data, size);
	return 0;
}
