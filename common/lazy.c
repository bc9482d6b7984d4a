/*
 * lazy: dlopen() on first use, a table of addresses made read-only (lazy.h).
 */
#include "lazy.h"

#include "log.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int lazy_ready(struct lazy *l)
{
	void *lib;
	size_t i;

	if (l->state != LAZY_UNTRIED)
		return l->state == LAZY_LOADED;
	l->state = LAZY_FAILED;
	if (l->before != NULL && !l->before()) {
		snprintf(l->error, sizeof(l->error), "a library it needs could not be loaded");
		log_error("could not load %s: %s", l->soname, l->error);
		return 0;
	}
	lib = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		const char *why = dlerror();

		snprintf(l->error, sizeof(l->error), "%s", why != NULL ? why : l->soname);
		log_error("could not load %s: %s", l->soname, l->error);
		return 0;
	}
	for (i = 0; l->names[i] != NULL; i++) {
		if (i >= LAZY_PAGE / sizeof(void *)) {
			snprintf(l->error, sizeof(l->error), "too many functions of %s", l->soname);
			goto fail;
		}
		l->table[i] = dlsym(lib, l->names[i]);
		if (l->table[i] == NULL) {
			snprintf(l->error, sizeof(l->error), "%s has no %s", l->soname,
			         l->names[i]);
			goto fail;
		}
	}
	(void)mprotect(l->table, LAZY_PAGE, PROT_READ);
	l->state = LAZY_LOADED;
	if (l->after != NULL)
		l->after();
	return 1;
fail:
	/* A library without one of them is not one to use: none is kept. */
	memset(l->table, 0, i * sizeof(void *));
	dlclose(lib);
	log_error("could not load %s: %s", l->soname, l->error);
	return 0;
}

int lazy_load(struct lazy *l, char *err, size_t errlen)
{
	if (lazy_ready(l))
		return 0;
	snprintf(err, errlen, "%s", l->error);
	return -1;
}
