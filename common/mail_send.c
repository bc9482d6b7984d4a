#include "mail_send.h"

#include "log.h"
#include "mail_mime.h"
#include "token.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* mkdir -p with mode for each directory it creates. 0, or -1 with errno. */
static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);
	struct stat st;

	if (n == 0 || n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		if (tmp[i - 1] == '/')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, mode) != 0 && errno != EEXIST)
			return -1;
		tmp[i] = path[i];
	}
	if (stat(path, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Writes msg as MAIL_DIR/<unix time>-<random hex>.eml: temporary file, fsync, rename. */
static enum mail_send_rc send_file(const struct conf *c, const char *msg, size_t len, char *err,
                                   size_t errlen)
{
	const char *dir = c->mail_dir != NULL && c->mail_dir[0] != '\0' ? c->mail_dir : "./mail";
	char rnd[17], name[PATH_MAX], tmp[PATH_MAX];
	long long now = (long long)time(NULL);
	int fd = -1, dfd;
	enum mail_send_rc rc = MAIL_TEMPFAIL;

	if (mkdir_p(dir, 0700) != 0) {
		snprintf(err, errlen, "file: could not create mail directory: %s", strerror(errno));
		return MAIL_TEMPFAIL;
	}
	if (token_random_hex(8, rnd) != 0) {
		snprintf(err, errlen, "file: no random bytes");
		return MAIL_TEMPFAIL;
	}
	if (snprintf(name, sizeof(name), "%s/%lld-%s.eml", dir, now, rnd) >= (int)sizeof(name) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%lld-%s.eml.tmp", dir, now, rnd) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "file: mail directory path too long");
		return MAIL_TEMPFAIL;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "file: could not create message file: %s", strerror(errno));
		return MAIL_TEMPFAIL;
	}
	if (fchmod(fd, 0600) != 0 || write_all(fd, msg, len) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "file: could not write message file: %s", strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		snprintf(err, errlen, "file: could not write message file: %s", strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, name) != 0) {
		snprintf(err, errlen, "file: could not rename message file: %s", strerror(errno));
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	rc = MAIL_SENT;
out:
	if (fd >= 0)
		close(fd);
	if (rc != MAIL_SENT)
		unlink(tmp);
	return rc;
}

/*
 * The SMTP transport, when the program installed one (mail_smtp.h): a
 * pointer to a constant table, so the functions it names are read-only.
 */
static const struct mail_sender *mail_smtp;
void mail_set_smtp(const struct mail_sender *t)
{
	mail_smtp = t;
}

void mail_global_cleanup(void)
{
	if (mail_smtp != NULL && mail_smtp->cleanup != NULL)
		mail_smtp->cleanup();
}

enum mail_send_rc mail_transport_send(const struct conf *c, const char *to, const char *msg,
                                      size_t len, char *err, size_t errlen)
{
	if (errlen > 0)
		err[0] = '\0';
	if (!mail_addr_ok(to)) {
		snprintf(err, errlen, "invalid recipient address");
		return MAIL_PERMFAIL;
	}
	if (len > MAIL_MAX_BYTES) {
		snprintf(err, errlen, "message too large");
		return MAIL_PERMFAIL;
	}
	if (c->mail_transport == MAIL_TRANSPORT_FILE)
		return send_file(c, msg, len, err, errlen);
	if (mail_smtp == NULL) {
		/* A program that never delivers mail, asked to: it stays queued. */
		snprintf(err, errlen, "smtp: this program has no SMTP transport");
		return MAIL_TEMPFAIL;
	}
	if (!mail_addr_ok(mail_from_address(c))) {
		snprintf(err, errlen, "smtp: invalid From address");
		return MAIL_TEMPFAIL;
	}
	return mail_smtp->send(c, mail_from_address(c), to, msg, len, err, errlen);
}
