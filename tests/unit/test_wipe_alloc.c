/*
 * test_wipe_alloc.c - the wiping hooks behave as the allocator calls they
 * replace, and jansson works through them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#include "base/wipe_alloc.h"

static void test_realloc_keeps_content(void **state)
{
	char *p = malloc(16), *q;
	size_t i;

	(void)state;
	assert_non_null(p);
	memcpy(p, "0123456789abcde", 16);
	q = wipe_realloc(p, 4096); /* grows: moves, old block wiped */
	assert_non_null(q);
	assert_string_equal(q, "0123456789abcde");
	for (i = 16; i < 4096; i++)
		q[i] = 'x';
	p = wipe_realloc(q, 8); /* shrinks: stays */
	assert_ptr_equal(p, q);
	assert_memory_equal(p, "01234567", 8);
	assert_null(wipe_realloc(p, 0)); /* frees */
	p = wipe_realloc(NULL, 32);      /* allocates */
	assert_non_null(p);
	wipe_free(p);
	wipe_free(NULL);
}

static void test_strdup(void **state)
{
	char *s = wipe_strdup("s3cr3t");

	(void)state;
	assert_string_equal(s, "s3cr3t");
	wipe_free(s);
}

/* Plain free and wipe_free may each take the other's blocks. */
static void test_jansson_through_hooks(void **state)
{
	json_t *o;
	char *text;

	(void)state;
	json_set_alloc_funcs(malloc, wipe_free);
	o = json_pack("{s:s, s:[i,i]}", "password", "hunter2", "n", 1, 2);
	assert_non_null(o);
	text = json_dumps(o, JSON_COMPACT);
	assert_string_equal(text, "{\"password\":\"hunter2\",\"n\":[1,2]}");
	free(text);
	json_decref(o);
	json_set_alloc_funcs(malloc, free);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_realloc_keeps_content),
	    cmocka_unit_test(test_strdup),
	    cmocka_unit_test(test_jansson_through_hooks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
