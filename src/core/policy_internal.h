/*
 * policy_internal.h - the parsed form of a policy, shared by the parser
 * (policy.c) and the compiler of ACLs (acl.c). Nothing else includes it.
 */
#ifndef COFFER_CORE_POLICY_INTERNAL_H
#define COFFER_CORE_POLICY_INTERNAL_H

#include "core/policy.h"

/* One path block of a policy. */
struct policy_rule {
	char *pattern; /* as written, one leading '/' removed, '*' kept */
	int line;
	uint32_t caps; /* CAP_DENY alone when deny was given */
	/*
	 * Parameter constraints: objects of lower-case name -> array of
	 * values (empty array: any value), NULL when the key was absent.
	 * required is an array of lower-case names or NULL.
	 */
	json_t *allowed;
	json_t *denied;
	json_t *required;
	int64_t min_wrapping_ttl, max_wrapping_ttl; /* seconds, 0: none */
};

struct policy {
	char *name;
	char *text; /* NUL-terminated copy of the source */
	struct policy_rule *rules;
	size_t n_rules;
};

#endif
