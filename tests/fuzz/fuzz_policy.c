/*
 * fuzz_policy.c - arbitrary bytes through the policy parser, the ACL
 * compiler and the check. The input is split at the first NUL: before it
 * the policy text, after it a list of request paths, one per line, each
 * checked for every operation with a small fixed parameter set. Any
 * crash, leak or sanitizer report is a bug; rejecting the text is fine.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_paths(const struct acl *a, const char *paths, size_t len)
{
	static const enum op ops[] = {OP_READ,  OP_CREATE, OP_UPDATE,
	                              OP_PATCH, OP_DELETE, OP_LIST};
	json_t *params = json_pack("{s:s, s:[s, i], s:i}", "name", "alice",
	                           "tags", "a", 5, "TTL", 3600);
	char *copy = strndup(paths, len), *line, *save = NULL;
	size_t i;

	if (copy == NULL || params == NULL)
		goto out;
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		struct acl_result res;
		json_t *names;
		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
			acl_check(a, line, ops[i], params, &res);
			/* A denial always says why; sudo never comes alone. */
			if (!res.allowed && res.denied_reason[0] == 0)
				abort();
			if ((res.caps & CAP_DENY) && res.allowed)
				abort();
		}
		names = acl_capability_names(acl_capabilities(a, line));
		if (names == NULL || json_array_size(names) == 0)
			abort();
		json_decref(names);
	}
out:
	free(copy);
	json_decref(params);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const uint8_t *nul = memchr(data, 0, size);
	size_t tlen = nul ? (size_t)(nul - data) : size;
	struct policy *p = NULL;
	struct acl *a = NULL;
	char err[256];

	if (policy_parse("fuzz", text, tlen, &p, err, sizeof(err)) != ERR_OK) {
		if (p != NULL || err[0] == 0)
			abort();
		return 0;
	}
	if (acl_new(&p, 1, &a) == ERR_OK) {
		if (nul != NULL)
			check_paths(a, (const char *)nul + 1, size - tlen - 1);
		else
			check_paths(a, "secret/x\nsecret/\na/b/c", 22);
		acl_free(a);
	}
	policy_free(p);
	return 0;
}
