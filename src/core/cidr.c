/*
 * cidr.c - CIDR parsing and address matching with inet_pton, no text
 * tricks: the address is compared bit by bit against the block.
 */
#include "core/cidr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CIDR_TEXT_MAX 64

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0,    0,
                                             0, 0, 0, 0, 0xff, 0xff};

/* Parses an address; an IPv4-mapped IPv6 address becomes IPv4. */
static bool parse_addr(const char *text, int *family, uint8_t out[16])
{
	uint8_t v6[16];

	if (inet_pton(AF_INET, text, out) == 1) {
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, text, v6) != 1)
		return false;
	if (memcmp(v6, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0) {
		*family = AF_INET;
		memcpy(out, v6 + 12, 4);
		return true;
	}
	*family = AF_INET6;
	memcpy(out, v6, 16);
	return true;
}

static bool parse_bits(const char *s, unsigned int max, unsigned int *out)
{
	unsigned int n = 0;

	if (*s == 0 || strlen(s) > 3)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		n = n * 10 + (unsigned int)(*s - '0');
	}
	if (n > max)
		return false;
	*out = n;
	return true;
}

bool cidr_parse(const char *text, struct cidr *out)
{
	char host[CIDR_TEXT_MAX];
	const char *slash;
	unsigned int max;
	size_t n;

	if (text == NULL)
		return false;
	while (*text == ' ')
		text++;
	slash = strchr(text, '/');
	n = slash ? (size_t)(slash - text) : strlen(text);
	if (n == 0 || n >= sizeof(host))
		return false;
	memcpy(host, text, n);
	host[n] = 0;
	memset(out, 0, sizeof(*out));
	/* A mapped address in a CIDR would silently change its prefix. */
	if (inet_pton(AF_INET, host, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, host, out->addr) == 1)
		out->family = AF_INET6;
	else
		return false;
	max = out->family == AF_INET ? 32 : 128;
	out->bits = max;
	return slash == NULL || parse_bits(slash + 1, max, &out->bits);
}

/* Whether the first bits bits of a and b agree. */
static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned int full = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

bool cidr_contains(const struct cidr *c, const char *addr)
{
	uint8_t a[16];
	int family;

	if (addr == NULL || !parse_addr(addr, &family, a))
		return false;
	if (family != c->family)
		return false;
	return prefix_equal(a, c->addr, c->bits);
}

bool cidr_list_valid(json_t *list, const char **bad)
{
	struct cidr c;
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
	{
		if (!cidr_parse(json_string_value(v), &c)) {
			if (bad != NULL)
				*bad = json_string_value(v);
			return false;
		}
	}
	return true;
}

bool cidr_list_allows(json_t *list, const char *addr)
{
	struct cidr c;
	size_t i;
	json_t *v;

	if (json_array_size(list) == 0)
		return true;
	json_array_foreach(list, i, v)
	{
		if (cidr_parse(json_string_value(v), &c) &&
		    cidr_contains(&c, addr))
			return true;
	}
	return false;
}

/* Whether block a lies within block b. */
static bool block_within(const struct cidr *a, const struct cidr *b)
{
	return a->family == b->family && a->bits >= b->bits &&
	       prefix_equal(a->addr, b->addr, b->bits);
}

bool cidr_list_within(json_t *inner, json_t *outer)
{
	struct cidr a, b;
	size_t i, j;
	json_t *v, *w;

	if (json_array_size(outer) == 0)
		return true;
	json_array_foreach(inner, i, v)
	{
		bool ok = false;
		if (!cidr_parse(json_string_value(v), &a))
			return false;
		json_array_foreach(outer, j, w)
		{
			if (cidr_parse(json_string_value(w), &b) &&
			    block_within(&a, &b))
				ok = true;
		}
		if (!ok)
			return false;
	}
	return true;
}
