/*
 * argon2mem: each Argon2 hash's blocks mapped on their own, 2 MiB aligned,
 * for transparent huge pages, and unmapped after the hash.
 */
#include "argon2mem.h"

#include "log.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The x86-64 and arm64 (4 KiB pages) size of a transparent huge page. */
#define ARGON2MEM_HUGE ((size_t)2 << 20)

/* bytes rounded up to whole pages, or 0 when that overflows. */
static size_t argon2mem_span(size_t bytes)
{
	long ps = sysconf(_SC_PAGESIZE);
	size_t page = ps > 0 ? (size_t)ps : 4096;

	if (bytes > SIZE_MAX - page)
		return 0;
	return (bytes + page - 1) / page * page;
}

int argon2mem_alloc(uint8_t **memory, size_t bytes)
{
	size_t span = argon2mem_span(bytes);
	size_t map, head, tail;
	uintptr_t start, aligned;
	void *p;

	*memory = NULL;
	if (span == 0 || span > SIZE_MAX - ARGON2MEM_HUGE) {
		log_error("could not map Argon2 memory: %zu bytes", bytes);
		return -1;
	}
	/* Room to move the start to a 2 MiB boundary; the rest is given back. */
	map = span + ARGON2MEM_HUGE;
	p = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_error("could not map Argon2 memory (%zu KiB): %s", bytes / 1024,
		          strerror(errno));
		return -1;
	}
	start = (uintptr_t)p;
	aligned = (start + ARGON2MEM_HUGE - 1) & ~(uintptr_t)(ARGON2MEM_HUGE - 1);
	head = aligned - start;
	tail = map - head - span;
	if (head > 0)
		(void)munmap(p, head);
	if (tail > 0)
		(void)munmap((void *)(aligned + span), tail);
	/* Refused (EINVAL) where the kernel has no transparent huge pages:
	 * the mapping then works in small pages, as any other. */
	(void)madvise((void *)aligned, span, MADV_HUGEPAGE);
	*memory = (uint8_t *)aligned;
	return 0;
}

void argon2mem_free(uint8_t *memory, size_t bytes)
{
	size_t span = argon2mem_span(bytes);

	if (memory != NULL && span > 0)
		(void)munmap(memory, span);
}
