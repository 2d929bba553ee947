/*
 * cidr.h - client address checks against CIDR blocks, for the bound CIDR
 * lists of tokens, AppRole secret IDs and role settings.
 *
 * Addresses are the peer address the listener saw (req->remote_addr, as
 * inet_ntop writes it), never a header a client can forge. An IPv4-mapped
 * IPv6 address (::ffff:10.0.0.1) is checked as the IPv4 address it carries,
 * so a dual-stack listener cannot be used to step around an IPv4 block.
 */
#ifndef COFFER_CORE_CIDR_H
#define COFFER_CORE_CIDR_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct cidr {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t addr[16];  /* network byte order; 4 bytes used for IPv4 */
	unsigned int bits; /* prefix length */
};

/*
 * Parses "a.b.c.d/n", "x:y::z/n", or a bare address (a full-length
 * prefix). Host bits past the prefix are ignored, as Go's ParseCIDR does.
 * Returns false for anything else.
 */
bool cidr_parse(const char *text, struct cidr *out);

/* Whether the address text addr lies in c; false for a bad address. */
bool cidr_contains(const struct cidr *c, const char *addr);

/*
 * Whether every string of list (a JSON array or NULL) parses as a CIDR
 * block; the first bad one is left in *bad (borrowed) when bad != NULL.
 */
bool cidr_list_valid(json_t *list, const char **bad);

/*
 * Whether addr may pass a bound CIDR list: true when the list is NULL or
 * empty, else when addr is in one of its blocks. A NULL or unparsable
 * addr passes no non-empty list.
 */
bool cidr_list_allows(json_t *list, const char *addr);

/*
 * Whether every block of inner lies within some block of outer (an empty
 * outer bounds nothing: true). Used to keep a secret ID's CIDR list
 * inside its role's.
 */
bool cidr_list_within(json_t *inner, json_t *outer);

#endif
