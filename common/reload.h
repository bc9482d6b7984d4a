/*
 * reload: the configuration of a long-lived (FastCGI) process. It is loaded
 * once, and loaded again when the env file changes (another inode, size,
 * modification or change time, or it appeared or went away), looked at no
 * more than once a second, so a changed setting takes effect within about a
 * second without restarting anything. Settings taken from the process
 * environment stay as they were at start.
 *
 * A load that fails is logged once (the programs then answer 500, as a CGI
 * program would with the same file) and tried again when the file changes
 * once more.
 */
#ifndef MC_RELOAD_H
#define MC_RELOAD_H

#include <sys/types.h>
#include <time.h>

#include "conf.h"

/* What the env file looked like when it was read. */
struct reload_stamp {
	int present;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct timespec ctime;
};

struct reload {
	struct conf conf;          /* the settings, valid when ok */
	int ok;                    /* conf holds a loaded configuration */
	int loaded;                /* a load was tried */
	struct reload_stamp stamp; /* the env file at that load */
	struct timespec checked;   /* CLOCK_MONOTONIC of the last look at the file */
};

/*
 * The current configuration: loads it on the first call, and again when
 * the env file changed since (looked at once a second at most). Returns the
 * configuration (owned by r, valid until the next call), or NULL when it
 * failed to load (logged). *changed (if not NULL) is set to 1 when this call
 * loaded it, else 0.
 */
const struct conf *reload_current(struct reload *r, int *changed);

/* Releases the configuration; r may be used again (it loads afresh). */
void reload_release(struct reload *r);

/* The stamp of the file at path (present 0 when it cannot be stat()ed); for the tests. */
void reload_stamp_of(const char *path, struct reload_stamp *st);
/* 1 if a and b differ. */
int reload_stamp_differs(const struct reload_stamp *a, const struct reload_stamp *b);

#endif
