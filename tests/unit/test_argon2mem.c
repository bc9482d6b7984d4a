/*
 * Unit tests for argon2mem: Argon2's working memory is a fresh zeroed
 * mapping, 2 MiB aligned, marked for transparent huge pages where the kernel
 * has them, and gone after argon2mem_free().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "argon2mem.h"

#define MIB ((size_t)1 << 20)

/* The default cost's blocks: 19456 KiB. */
static const size_t default_bytes = (size_t)19456 * 1024;

static void argon2mem_gives_zeroed_aligned_writable_memory(void **state)
{
	uint8_t *mem = NULL;
	size_t i;

	(void)state;
	assert_int_equal(argon2mem_alloc(&mem, default_bytes), 0);
	assert_non_null(mem);
	assert_int_equal((uintptr_t)mem % (2 * MIB), 0);
	for (i = 0; i < default_bytes; i += 4096)
		assert_int_equal(mem[i], 0);
	assert_int_equal(mem[default_bytes - 1], 0);
	memset(mem, 0xa5, default_bytes);
	argon2mem_free(mem, default_bytes);
}

/* After argon2mem_free() no page of the block is mapped: msync says ENOMEM. */
static void argon2mem_free_unmaps_the_block(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *mem = NULL;

	(void)state;
	assert_int_equal(argon2mem_alloc(&mem, default_bytes), 0);
	mem[0] = 1;
	assert_int_equal(msync(mem, (size_t)page, MS_ASYNC), 0);
	argon2mem_free(mem, default_bytes);
	errno = 0;
	assert_int_equal(msync(mem, (size_t)page, MS_ASYNC), -1);
	assert_int_equal(errno, ENOMEM);
	errno = 0;
	assert_int_equal(msync(mem + default_bytes - (size_t)page, (size_t)page, MS_ASYNC), -1);
	assert_int_equal(errno, ENOMEM);
	/* NULL is nothing to free. */
	argon2mem_free(NULL, default_bytes);
}

/* A size that is not whole pages is rounded up, and freed the same way. */
static void argon2mem_takes_any_size(void **state)
{
	uint8_t *mem = NULL;

	(void)state;
	assert_int_equal(argon2mem_alloc(&mem, 8 * 1024 + 1), 0);
	mem[8 * 1024] = 7;
	argon2mem_free(mem, 8 * 1024 + 1);
	assert_int_equal(argon2mem_alloc(&mem, SIZE_MAX), -1);
	assert_null(mem);
}

/*
 * Where transparent huge pages are "always" or "madvise", the block's
 * mapping is eligible for them (smaps' THPeligible: 1). Whether the kernel
 * finds free 2 MiB pages at that moment is up to it, so not asserted.
 */
static void argon2mem_asks_for_huge_pages(void **state)
{
	char mode[128] = "", line[256];
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	uint8_t *mem = NULL;
	unsigned long lo, hi;
	int in_block = 0, eligible = -1;

	(void)state;
	if (f == NULL || fgets(mode, sizeof(mode), f) == NULL || strstr(mode, "[never]") != NULL) {
		if (f != NULL)
			fclose(f);
		skip();
	}
	fclose(f);
	assert_int_equal(argon2mem_alloc(&mem, default_bytes), 0);
	f = fopen("/proc/self/smaps", "r");
	assert_non_null(f);
	/* The mapping that holds the block: its header line, then its fields. */
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in_block = lo <= (uintptr_t)mem && (uintptr_t)mem < hi;
		else if (in_block && sscanf(line, "THPeligible: %d", &eligible) == 1)
			break;
	}
	fclose(f);
	argon2mem_free(mem, default_bytes);
	assert_int_equal(eligible, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(argon2mem_gives_zeroed_aligned_writable_memory),
	    cmocka_unit_test(argon2mem_free_unmaps_the_block),
	    cmocka_unit_test(argon2mem_takes_any_size),
	    cmocka_unit_test(argon2mem_asks_for_huge_pages),
	};

	return cmocka_run_group_tests_name("argon2mem", tests, NULL, NULL);
}
