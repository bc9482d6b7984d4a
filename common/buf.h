/*
 * buf: a growable byte buffer with a hard maximum (after curl's dynbuf).
 *
 * The contents are always NUL-terminated. Appending past the maximum fails with
 * -1 and leaves the buffer as it was, so that no input can grow memory without
 * bound. A buffer starts zeroed by buf_init() and owns its memory until
 * buf_release() (which frees it) or buf_detach() (which hands it to the caller).
 */
#ifndef MC_BUF_H
#define MC_BUF_H

#include <stddef.h>

struct buf {
	char *data; /* NULL until the first append */
	size_t len; /* bytes used, not counting the NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* most bytes len may reach */
};

void buf_init(struct buf *b, size_t max);
/* Frees the memory and leaves the buffer empty and reusable. */
void buf_release(struct buf *b);
/* 0 on success, -1 when out of memory or past the maximum. */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the contents ("" when empty); the caller frees. The buffer is left empty. NULL on OOM. */
char *buf_detach(struct buf *b, size_t *len);
/* Wipes the contents with zeros before releasing: for buffers that held secrets. */
void buf_release_secure(struct buf *b);

#endif
