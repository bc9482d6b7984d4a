/*
 * argon2mem: the working memory of one Argon2 hash (19 MiB at the default
 * cost), given to libargon2 through its context's allocate_cbk/free_cbk
 * (pw.c). Each hash's blocks are a mapping of their own, aligned to 2 MiB
 * and marked MADV_HUGEPAGE, and are unmapped when the hash ends (libargon2
 * wipes them first). So an idle FastCGI process holds none of it, and the
 * next hash faults in about ten 2 MiB pages instead of some 4,900 of 4 KiB,
 * which cost a login about a quarter of its CPU (docs/BENCHMARKS.md). Where
 * transparent huge pages are off ("never") or absent the mapping simply
 * stays in 4 KiB pages.
 *
 * State: none; each mapping belongs to the hash that asked for it.
 */
#ifndef MC_ARGON2MEM_H
#define MC_ARGON2MEM_H

#include <stddef.h>
#include <stdint.h>

/*
 * libargon2's allocate_cbk: *memory = a fresh zeroed mapping of bytes bytes,
 * 2 MiB aligned. 0, or -1 (*memory NULL, logged) when it cannot be mapped.
 * Freed by argon2mem_free() with the same bytes.
 */
int argon2mem_alloc(uint8_t **memory, size_t bytes);

/* libargon2's free_cbk: unmaps what argon2mem_alloc() gave (NULL: nothing). */
void argon2mem_free(uint8_t *memory, size_t bytes);

#endif
