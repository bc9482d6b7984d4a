/*
 * GET /openapi.json
 * 200 with docs/openapi.json of the project root (the parent of cgi-bin/),
 * as stored, Content-Type: application/json; 500 when the file cannot be
 * read (logged). OPTIONS, 405 and CORS as every endpoint.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "log.h"
#include "paths.h"

#define OPENAPI_PATH "docs/openapi.json"
#define OPENAPI_MAX (4 * 1024 * 1024)

/*
 * Reads the whole file at path (at most OPENAPI_MAX bytes) into *out (caller
 * frees) and its size into *len. 0, or -1 after logging why.
 */
static int read_document(const char *path, char **out, size_t *len)
{
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	ssize_t n;
	int fd = -1;
	int ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_error("could not open %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		log_error("could not stat %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > OPENAPI_MAX) {
		log_error("%s is not a regular file of 1 to %d bytes", path, OPENAPI_MAX);
		goto out;
	}
	data = malloc((size_t)st.st_size);
	if (data == NULL) {
		log_error("out of memory reading %s", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, data + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_error("could not read %s: %s", path,
			          n < 0 ? strerror(errno) : "short file");
			goto out;
		}
		got += (size_t)n;
	}
	*out = data;
	*len = got;
	data = NULL;
	ret = 0;
out:
	free(data);
	if (fd >= 0)
		close(fd);
	return ret;
}

static void openapi_handle(struct ctx *ctx)
{
	char path[4096];
	char *doc = NULL;
	size_t len = 0;

	if (paths_project(OPENAPI_PATH, path, sizeof(path)) != 0) {
		log_error("could not locate %s under the project root", OPENAPI_PATH);
		http_resp_internal(ctx->resp);
		goto out;
	}
	if (read_document(path, &doc, &len) != 0) {
		http_resp_internal(ctx->resp);
		goto out;
	}
	http_resp_raw(ctx->resp, 200, "application/json", doc, len);
out:
	free(doc);
}

static const struct endpoint openapi_endpoint = {
    .name = "openapi", .method = "GET", .handle = openapi_handle};

int main(void)
{
	return app_main(&openapi_endpoint);
}
