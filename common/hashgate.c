/*
 * hashgate: a counting semaphore across processes made of byte-range locks
 * that the kernel drops with their process (see hashgate.h).
 */
#include "hashgate.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HASHGATE_TICKET_LEN 8 /* bytes 0..7: the ticket counter, locked while drawn */

static struct {
	char path[PATH_MAX]; /* "" means the default */
	int slots;           /* below 1 means the number of online cores */
	int warned;          /* the current configuration's warning was logged */
	void (*observe)(void *arg, int entered);
	void *observe_arg;
} gate;

void hashgate_configure(const char *path, int slots)
{
	if (path == NULL)
		path = "";
	if (strlen(path) >= sizeof(gate.path)) {
		log_warn("HASH_LOCK_FILE is too long: the default is used");
		path = "";
	}
	if (strcmp(path, gate.path) == 0 && slots == gate.slots)
		return;
	snprintf(gate.path, sizeof(gate.path), "%s", path);
	gate.slots = slots;
	gate.warned = 0;
}

int hashgate_default_path(char *out, size_t outlen)
{
	int w = snprintf(out, outlen, "/tmp/medicalcare-hashgate-%lu", (unsigned long)geteuid());

	return w < 0 || (size_t)w >= outlen ? -1 : 0;
}

void hashgate_observe(void (*fn)(void *arg, int entered), void *arg)
{
	gate.observe = fn;
	gate.observe_arg = arg;
}

static int hashgate_slots(void)
{
	long n = gate.slots;

	if (n < 1)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > HASHGATE_MAX_SLOTS ? HASHGATE_MAX_SLOTS : (int)n;
}

/* Logs why the gate is open, once per configuration and process. */
static void hashgate_warn(const char *path, const char *why)
{
	if (gate.warned)
		return;
	gate.warned = 1;
	log_warn("hash lock file %s %s: password hashes run without the HASH_CONCURRENCY limit",
	         path, why);
}

/*
 * Opens (making it if missing) the lock file: a regular file of ours, no
 * symbolic link, no access for group or others. The descriptor, or -1
 * (warned).
 */
static int hashgate_open(const char *path)
{
	char why[160];
	struct stat st;
	int fd;

	/* O_NONBLOCK: a FIFO planted under the name must not hang the open. */
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
	if (fd < 0) {
		snprintf(why, sizeof(why), "cannot be opened (%s)", strerror(errno));
		hashgate_warn(path, why);
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(why, sizeof(why), "cannot be read (%s)", strerror(errno));
		hashgate_warn(path, why);
	} else if (!S_ISREG(st.st_mode)) {
		hashgate_warn(path, "is not a regular file");
	} else if (st.st_uid != geteuid()) {
		hashgate_warn(path, "belongs to another user");
	} else if ((st.st_mode & 077) != 0) {
		hashgate_warn(path, "is open to group or others (it must be mode 0600)");
	} else {
		return fd;
	}
	close(fd);
	return -1;
}

/* fcntl(cmd) a lock of type on len bytes at off. 0 or -1 (errno). */
static int hashgate_lock(int fd, int cmd, short type, off_t off, off_t len)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = off;
	fl.l_len = len;
	return fcntl(fd, cmd, &fl);
}

/* Draws the next ticket (the counter in the file's first bytes). >= 0, or -1 (errno). */
static long long hashgate_ticket(int fd)
{
	uint64_t t = 0;
	ssize_t n;
	int saved;

	while (hashgate_lock(fd, F_OFD_SETLKW, F_WRLCK, 0, HASHGATE_TICKET_LEN) != 0)
		if (errno != EINTR)
			return -1;
	n = pread(fd, &t, sizeof(t), 0);
	if (n != (ssize_t)sizeof(t))
		t = 0; /* a new file */
	t++;
	n = pwrite(fd, &t, sizeof(t), 0);
	saved = errno;
	hashgate_lock(fd, F_OFD_SETLK, F_UNLCK, 0, HASHGATE_TICKET_LEN);
	if (n != (ssize_t)sizeof(t)) {
		errno = n < 0 ? saved : EIO;
		return -1;
	}
	return (long long)(t & INT64_MAX);
}

void hashgate_enter(struct hashgate_slot *s)
{
	char path[PATH_MAX];
	char why[160];
	int n = hashgate_slots();
	int start = (int)((unsigned)getpid() % (unsigned)n);
	long long ticket;
	int fd = -1;
	int i = 0;

	s->fd = -1;
	s->index = -1;
	if (gate.path[0] != '\0')
		snprintf(path, sizeof(path), "%s", gate.path);
	else if (hashgate_default_path(path, sizeof(path)) != 0)
		goto out;
	fd = hashgate_open(path);
	if (fd < 0)
		goto out;
	/* A free slot, if any, at once; the search starts at a slot of our own. */
	for (int k = 0; k < n; k++) {
		i = (start + k) % n;
		if (hashgate_lock(fd, F_OFD_SETLK, F_WRLCK, HASHGATE_SLOT_BASE + i, 1) == 0)
			goto got;
		if (errno != EAGAIN && errno != EACCES)
			goto fail;
	}
	/* All taken: wait in the kernel for the slot our ticket names. */
	ticket = hashgate_ticket(fd);
	if (ticket < 0)
		goto fail;
	i = (int)(ticket % n);
	while (hashgate_lock(fd, F_OFD_SETLKW, F_WRLCK, HASHGATE_SLOT_BASE + i, 1) != 0)
		if (errno != EINTR)
			goto fail;
got:
	s->fd = fd;
	s->index = i;
	goto out;
fail:
	snprintf(why, sizeof(why), "cannot be locked (%s)", strerror(errno));
	hashgate_warn(path, why);
	close(fd);
out:
	if (gate.observe != NULL)
		gate.observe(gate.observe_arg, 1);
}

void hashgate_leave(struct hashgate_slot *s)
{
	if (gate.observe != NULL)
		gate.observe(gate.observe_arg, 0);
	if (s->fd < 0)
		return;
	/* Closing the last descriptor of the file would drop the lock too; a
	 * descriptor a fork may have copied would keep it, so unlock first. */
	hashgate_lock(s->fd, F_OFD_SETLK, F_UNLCK, HASHGATE_SLOT_BASE + s->index, 1);
	close(s->fd);
	s->fd = -1;
	s->index = -1;
}
