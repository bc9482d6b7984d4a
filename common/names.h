/*
 * names: the closest of a list of names to a misspelt one, for "did you
 * mean ...?" in a warning (a setting's name in an env file).
 */
#ifndef MC_NAMES_H
#define MC_NAMES_H

#include <stddef.h>

/*
 * The name at(i) for i in [0, n) (NULL: skipped) closest to name by edit
 * distance ignoring ASCII case (each compared up to 64 characters), if it is
 * within 2 edits (3 for a name of 12 characters or more); else NULL.
 * Returns one of at()'s strings, borrowed.
 */
const char *names_closest(const char *name, const char *(*at)(size_t i), size_t n);

#endif
