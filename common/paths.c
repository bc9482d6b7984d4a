#include "paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envfile.h"

int paths_root(char *out, size_t outlen)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;
	int w;

	if (n <= 0 || (size_t)n >= sizeof(exe) - 1)
		return -1;
	exe[n] = '\0';
	for (int k = 0; k < 2; k++) {
		slash = strrchr(exe, '/');
		if (slash == NULL)
			return -1;
		slash[slash == exe ? 1 : 0] = '\0';
	}
	w = snprintf(out, outlen, "%s", exe);
	return w < 0 || (size_t)w >= outlen ? -1 : 0;
}

int paths_project(const char *rel, char *out, size_t outlen)
{
	char root[4096];
	int w;

	if (rel == NULL || rel[0] == '/' || paths_root(root, sizeof(root)) != 0)
		return -1;
	w = snprintf(out, outlen, "%s%s%s", root, strcmp(root, "/") == 0 ? "" : "/", rel);
	return w < 0 || (size_t)w >= outlen ? -1 : 0;
}

int paths_default_env(char *out, size_t outlen)
{
	char root[4096];
	int w;

	if (paths_root(root, sizeof(root)) != 0)
		return -1;
	w = snprintf(out, outlen, "%s%s.env", root, strcmp(root, "/") == 0 ? "" : "/");
	return w < 0 || (size_t)w >= outlen ? -1 : 0;
}

int paths_env_file(char *out, size_t outlen)
{
	const char *path = getenv(ENVFILE_VAR);
	int w;

	if (path == NULL || *path == '\0')
		return paths_default_env(out, outlen);
	w = snprintf(out, outlen, "%s", path);
	return w < 0 || (size_t)w >= outlen ? -1 : 0;
}

int paths_from_root(char **path)
{
	char abs[4096];
	const char *rel = *path;
	char *copy;

	if (rel == NULL || rel[0] == '/')
		return 0;
	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	if (paths_project(rel, abs, sizeof(abs)) != 0)
		return 0;
	copy = strdup(abs);
	if (copy == NULL)
		return -1;
	free(*path);
	*path = copy;
	return 0;
}
