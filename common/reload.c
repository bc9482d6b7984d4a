/*
 * reload: the configuration of a long-lived process, read again when the env
 * file changes (see reload.h).
 */
#include "reload.h"

#include "log.h"
#include "paths.h"

#include <string.h>
#include <sys/stat.h>

#define RELOAD_LOOK_EVERY_NS 1000000000L /* one second */

void reload_stamp_of(const char *path, struct reload_stamp *st)
{
	struct stat sb;

	memset(st, 0, sizeof(*st));
	if (path == NULL || stat(path, &sb) != 0)
		return;
	st->present = 1;
	st->dev = sb.st_dev;
	st->ino = sb.st_ino;
	st->size = sb.st_size;
	st->mtime = sb.st_mtim;
	st->ctime = sb.st_ctim;
}

int reload_stamp_differs(const struct reload_stamp *a, const struct reload_stamp *b)
{
	if (a->present != b->present)
		return 1;
	if (!a->present)
		return 0;
	return a->dev != b->dev || a->ino != b->ino || a->size != b->size ||
	       a->mtime.tv_sec != b->mtime.tv_sec || a->mtime.tv_nsec != b->mtime.tv_nsec ||
	       a->ctime.tv_sec != b->ctime.tv_sec || a->ctime.tv_nsec != b->ctime.tv_nsec;
}

/* The stamp of the env file conf_load() would read now. */
static void reload_stamp_now(struct reload_stamp *st)
{
	char path[4200];

	if (paths_env_file(path, sizeof(path)) != 0) {
		memset(st, 0, sizeof(*st));
		return;
	}
	reload_stamp_of(path, st);
}

/* 1 when at least a second went by since the last look (and notes this one). */
static int reload_look_due(struct reload *r)
{
	struct timespec now;
	long long ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (long long)(now.tv_sec - r->checked.tv_sec) * 1000000000LL +
	     (now.tv_nsec - r->checked.tv_nsec);
	if (ns < RELOAD_LOOK_EVERY_NS)
		return 0;
	r->checked = now;
	return 1;
}

const struct conf *reload_current(struct reload *r, int *changed)
{
	struct reload_stamp now;
	char err[512] = "";

	if (changed != NULL)
		*changed = 0;
	if (r->loaded) {
		if (!reload_look_due(r))
			return r->ok ? &r->conf : NULL;
		reload_stamp_now(&now);
		if (!reload_stamp_differs(&now, &r->stamp))
			return r->ok ? &r->conf : NULL;
		log_info("the env file changed: reading the settings again");
	} else {
		clock_gettime(CLOCK_MONOTONIC, &r->checked);
	}
	/* The stamp before the read: a change during it is seen next time. */
	reload_stamp_now(&r->stamp);
	if (r->ok)
		conf_release(&r->conf);
	r->ok = 0;
	r->loaded = 1;
	if (changed != NULL)
		*changed = 1;
	if (conf_load(&r->conf, err, sizeof(err)) != 0) {
		log_error("configuration error: %s", err);
		return NULL;
	}
	r->ok = 1;
	return &r->conf;
}

void reload_release(struct reload *r)
{
	if (r->ok)
		conf_release(&r->conf);
	memset(r, 0, sizeof(*r));
}
