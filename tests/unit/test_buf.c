/* Unit tests of buf: bounded growth, printf, detach, the maximum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void buf_append_grows_and_stays_nul_terminated(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf_puts(&b, "abcdefghij"), 0);
	assert_int_equal(b.len, 1000);
	assert_int_equal(b.data[1000], '\0');
	assert_memory_equal(b.data + 990, "abcdefghij", 10);
	buf_release(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void buf_append_past_max_fails_and_keeps_contents(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "12345678"), 0);
	assert_int_equal(buf_puts(&b, "9"), -1);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.data, "12345678");
	buf_release(&b);
}

static void buf_printf_formats_and_respects_max(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 16);
	assert_int_equal(buf_printf(&b, "%s=%d;", "a", 42), 0);
	assert_string_equal(b.data, "a=42;");
	assert_int_equal(buf_printf(&b, "%s", "0123456789abcdef"), -1);
	assert_string_equal(b.data, "a=42;");
	buf_release(&b);
}

static void buf_detach_hands_over_memory_and_empties(void **state)
{
	struct buf b;
	size_t len = 99;
	char *s;

	(void)state;
	buf_init(&b, 64);
	s = buf_detach(&b, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	assert_int_equal(buf_append(&b, "x\0y", 3), 0);
	s = buf_detach(&b, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(s, "x\0y", 3);
	assert_null(b.data);
	free(s);
}

static void buf_release_secure_wipes_and_frees(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_puts(&b, "secret"), 0);
	buf_release_secure(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(buf_append_grows_and_stays_nul_terminated),
	    cmocka_unit_test(buf_append_past_max_fails_and_keeps_contents),
	    cmocka_unit_test(buf_printf_formats_and_respects_max),
	    cmocka_unit_test(buf_detach_hands_over_memory_and_empties),
	    cmocka_unit_test(buf_release_secure_wipes_and_frees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
