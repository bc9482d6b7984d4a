#include "envfile.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static int is_name_start(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_';
}

static int is_name_char(char ch)
{
	return is_name_start(ch) || (ch >= '0' && ch <= '9');
}

/*
 * Parses one line l[0..n) (no line end). Returns 0 for a blank or comment
 * line, 1 with *key and *val NUL-terminated in out (room for n + 2 bytes),
 * -1 if malformed.
 */
static int envfile_line(const char *l, size_t n, char *out, const char **key, const char **val)
{
	size_t i = 0, o = 0;
	size_t kstart, klen;

	if (memchr(l, '\0', n) != NULL)
		return -1;
	while (i < n && is_blank(l[i]))
		i++;
	if (i == n || l[i] == '#')
		return 0;
	if (n - i > 6 && memcmp(l + i, "export", 6) == 0 && is_blank(l[i + 6])) {
		i += 6;
		while (i < n && is_blank(l[i]))
			i++;
	}
	if (i == n || !is_name_start(l[i]))
		return -1;
	kstart = i;
	while (i < n && is_name_char(l[i]))
		i++;
	klen = i - kstart;
	while (i < n && is_blank(l[i]))
		i++;
	if (i == n || l[i] != '=')
		return -1;
	i++;
	memcpy(out, l + kstart, klen);
	out[klen] = '\0';
	*key = out;
	o = klen + 1;
	*val = out + o;

	{
		size_t j = i;

		while (j < n && is_blank(l[j]))
			j++;
		if (j < n && (l[j] == '"' || l[j] == '\'')) {
			char q = l[j++];

			while (j < n && l[j] != q) {
				if (q == '"' && l[j] == '\\' && j + 1 < n &&
				    (l[j + 1] == '"' || l[j + 1] == '\\' || l[j + 1] == 'n')) {
					out[o++] = l[j + 1] == 'n' ? '\n' : l[j + 1];
					j += 2;
				} else {
					out[o++] = l[j++];
				}
			}
			if (j == n)
				return -1; /* unterminated quote */
			j++;
			while (j < n && is_blank(l[j]))
				j++;
			if (j < n && l[j] != '#')
				return -1; /* text after the closing quote */
		} else {
			size_t end = n;

			/* An unquoted value ends at " #"; a '#' right after '=' is kept. */
			for (size_t k = i + 1; k < n; k++) {
				if (l[k] == '#' && is_blank(l[k - 1])) {
					end = k;
					break;
				}
			}
			while (end > j && is_blank(l[end - 1]))
				end--;
			if (end > j) {
				memcpy(out + o, l + j, end - j);
				o += end - j;
			}
		}
	}
	out[o] = '\0';
	return 1;
}

int envfile_walk(const char *text, size_t len,
                 int (*cb)(void *arg, int line, const char *key, const char *val), void *arg,
                 int *bad_line)
{
	char *out = NULL;
	size_t pos = 0;
	int line = 0;
	int ret = 0;

	*bad_line = 0;
	if (len == 0)
		return 0;
	/* Any line's key and value fit in len + 2 bytes. */
	out = malloc(len + 2);
	if (out == NULL)
		return -1;
	while (pos < len) {
		const char *l = text + pos;
		const char *nl = memchr(l, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - l) : len - pos;
		const char *key, *val;
		int r;

		pos += n + (nl != NULL);
		line++;
		if (n > 0 && l[n - 1] == '\r')
			n--;
		r = envfile_line(l, n, out, &key, &val);
		if (r < 0) {
			*bad_line = line;
			ret = -1;
			break;
		}
		if (r > 0) {
			ret = cb(arg, line, key, val);
			OPENSSL_cleanse(out, n + 2);
			if (ret != 0)
				break;
		}
	}
	OPENSSL_cleanse(out, len + 2);
	free(out);
	return ret;
}

struct envfile_adapter {
	int (*cb)(void *arg, const char *key, const char *val);
	void *arg;
};

static int envfile_adapt(void *arg, int line, const char *key, const char *val)
{
	const struct envfile_adapter *a = arg;

	(void)line;
	return a->cb(a->arg, key, val);
}

int envfile_parse(const char *text, size_t len,
                  int (*cb)(void *arg, const char *key, const char *val), void *arg, int *bad_line)
{
	struct envfile_adapter a = {.cb = cb, .arg = arg};

	return envfile_walk(text, len, envfile_adapt, &a, bad_line);
}

int envfile_read(const char *path, int missing_ok, const char *what, char **text, size_t *len,
                 char *err, size_t errlen)
{
	char *buf = NULL;
	size_t n = 0;
	struct stat st;
	int fd = -1;
	int ret = -1;

	*text = NULL;
	*len = 0;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (missing_ok && (errno == ENOENT || errno == ENOTDIR)) {
			ret = 1;
			goto out;
		}
		snprintf(err, errlen, "could not read %s %s: %s", what, path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "could not read %s %s: %s", what, path, strerror(errno));
		goto out;
	}
	if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s %s is a pipe or socket, not a file", what, path);
		goto out;
	}
	if (fcntl(fd, F_SETFL, 0) != 0) {
		snprintf(err, errlen, "could not read %s %s: %s", what, path, strerror(errno));
		goto out;
	}
	if (S_ISREG(st.st_mode) && st.st_size > ENVFILE_MAX) {
		snprintf(err, errlen, "%s %s is larger than %d bytes", what, path, ENVFILE_MAX);
		goto out;
	}
	buf = malloc(ENVFILE_MAX);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory reading %s %s", what, path);
		goto out;
	}
	while (n < ENVFILE_MAX) {
		ssize_t r = read(fd, buf + n, ENVFILE_MAX - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "could not read %s %s: %s", what, path,
			         strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*text = buf;
	*len = n;
	buf = NULL;
	ret = 0;
out:
	envfile_free(buf);
	if (fd >= 0)
		close(fd);
	return ret;
}

void envfile_free(char *text)
{
	if (text == NULL)
		return;
	OPENSSL_cleanse(text, ENVFILE_MAX);
	free(text);
}
