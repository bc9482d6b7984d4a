/*
 * Tests for hashgate (and pw.c's use of it): with one slot, the hashes of
 * two processes never overlap; with two, two processes hash at once; pw_hash,
 * pw_verify (Argon2id and bcrypt) and pw_burn wait for a slot; a slot held by
 * a process that dies is freed; a lock file that cannot be used (a symbolic
 * link, open to others, a directory, a FIFO, a missing directory) lets hashes
 * through with one warning and is left as it was; a new lock file is mode 0600.
 *
 * The hash intervals are recorded from inside the gate (hashgate_observe()):
 * each process appends "<pid> e|l <ns>" lines (CLOCK_MONOTONIC) to one file.
 * No assertion depends on how long anything takes: where a test must show
 * that a process is blocked, it waits a while and accepts that a slow
 * machine may miss nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hashgate.h"
#include "pw.h"

/* About 8 MiB and a few milliseconds a hash: long enough to overlap, cheap enough to repeat. */
static const struct pw_cost cost = {.memory_kib = 8192, .iterations = 2, .parallelism = 1};

/* bcrypt cost 4 of "StrongPass123" (Python's bcrypt, as in test_pw.c). */
static const char bcrypt_hash[] = "$2a$04$qsiEiUAYULy7NG.EK.T77ejlD4nqass7g1SQt5UESIAqKtP0i9Ww.";

#define HASHES_EACH 4
#define MAX_EVENTS 64

static char dir[64];
static char lock_path[128];
static char log_path[128];

/* Children still to reap: a failed assertion must not leave one behind. */
static pid_t kids[8];
static size_t nkids;

/* fork(), the child remembered for teardown(). */
static pid_t spawn(void)
{
	pid_t pid = fork();

	if (pid > 0 && nkids < sizeof(kids) / sizeof(kids[0]))
		kids[nkids++] = pid;
	return pid;
}

/* waitpid() for a child of spawn(), which teardown() then forgets. */
static void reap(pid_t pid, int *st)
{
	assert_int_equal(waitpid(pid, st, 0), pid);
	for (size_t i = 0; i < nkids; i++)
		if (kids[i] == pid)
			kids[i] = 0;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_hashgate_XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(lock_path, sizeof(lock_path), "%s/hash.lock", dir);
	snprintf(log_path, sizeof(log_path), "%s/events", dir);
	hashgate_configure(lock_path, 1);
	hashgate_observe(NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	static const char *const names[] = {"hash.lock", "events", "target",
	                                    "stderr",    "fifo",   "subdir"};
	char p[192];

	(void)state;
	for (size_t i = 0; i < nkids; i++) {
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
		}
	}
	nkids = 0;
	hashgate_observe(NULL, NULL);
	hashgate_configure(NULL, 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		if (unlink(p) != 0)
			rmdir(p);
	}
	rmdir(dir);
	return 0;
}

/* ---- recording hash intervals ---- */

struct recorder {
	int log_fd;   /* the shared event file, O_APPEND */
	int meet_out; /* rendezvous: written once on the first entry (-1: none) */
	int meet_in;  /* ... then read, waiting up to 10 s for the other process */
	int met;
};

static void record(void *arg, int entered)
{
	struct recorder *r = arg;
	struct timespec ts;
	char line[64];
	int n;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(line, sizeof(line), "%ld %c %lld\n", (long)getpid(), entered ? 'e' : 'l',
	             (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	if (write(r->log_fd, line, (size_t)n) != n)
		_exit(3);
	if (entered && r->meet_out >= 0 && !r->met) {
		struct pollfd p = {.fd = r->meet_in, .events = POLLIN};
		char b = 'x';

		r->met = 1;
		if (write(r->meet_out, &b, 1) != 1)
			_exit(3);
		if (poll(&p, 1, 10000) == 1)
			(void)!read(r->meet_in, &b, 1);
	}
}

/*
 * A child: waits for the start (EOF on go[0]: the parent closes go[1]), then
 * hashes HASHES_EACH times inside the gate.
 */
static pid_t hasher(const int go[2], int meet_out, int meet_in)
{
	pid_t pid = spawn();

	if (pid == 0) {
		struct recorder r = {.meet_out = meet_out, .meet_in = meet_in};
		char b;

		close(go[1]);
		r.log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (r.log_fd < 0)
			_exit(2);
		(void)!read(go[0], &b, 1);
		hashgate_observe(record, &r);
		for (int i = 0; i < HASHES_EACH; i++) {
			char *phc = NULL;

			if (pw_hash("StrongPass123", 13, &cost, &phc) != 0)
				_exit(4);
			free(phc);
		}
		_exit(0);
	}
	assert_true(pid > 0);
	return pid;
}

struct interval {
	long pid;
	long long from, to;
};

/* Reads the event file into intervals (each "e" closed by its process's next "l"). */
static size_t read_intervals(struct interval *iv, size_t max)
{
	FILE *f = fopen(log_path, "r");
	long pid;
	char kind;
	long long ns;
	size_t n = 0;

	assert_non_null(f);
	while (fscanf(f, "%ld %c %lld", &pid, &kind, &ns) == 3) {
		if (kind == 'e') {
			assert_true(n < max);
			iv[n++] = (struct interval){.pid = pid, .from = ns, .to = -1};
			continue;
		}
		for (size_t i = n; i-- > 0;) {
			if (iv[i].pid == pid && iv[i].to < 0) {
				iv[i].to = ns;
				break;
			}
		}
	}
	fclose(f);
	for (size_t i = 0; i < n; i++)
		assert_true(iv[i].to >= iv[i].from);
	return n;
}

/* Runs two hashers from one start; returns their intervals. rendezvous: meet on the first hash. */
static size_t run_two(int rendezvous, struct interval *iv, size_t max)
{
	int go[2], ab[2] = {-1, -1}, ba[2] = {-1, -1};
	pid_t a, b;
	int st;

	assert_int_equal(pipe(go), 0);
	if (rendezvous) {
		assert_int_equal(pipe(ab), 0);
		assert_int_equal(pipe(ba), 0);
	}
	a = hasher(go, ab[1], ba[0]);
	b = hasher(go, ba[1], ab[0]);
	close(go[0]);
	close(go[1]); /* both start */
	reap(a, &st);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	reap(b, &st);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	for (int i = 0; i < 2; i++) {
		if (ab[i] >= 0)
			close(ab[i]);
		if (ba[i] >= 0)
			close(ba[i]);
	}
	return read_intervals(iv, max);
}

static void with_one_slot_two_processes_never_hash_at_once(void **state)
{
	struct interval iv[MAX_EVENTS];
	size_t n;

	(void)state;
	hashgate_configure(lock_path, 1);
	n = run_two(0, iv, MAX_EVENTS);
	assert_int_equal(n, 2 * HASHES_EACH);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (iv[i].pid != iv[j].pid && iv[i].from < iv[j].to &&
			    iv[j].from < iv[i].to)
				fail_msg("hashes of %ld and %ld overlap", iv[i].pid, iv[j].pid);
}

static void with_two_slots_two_processes_hash_at_once(void **state)
{
	struct interval iv[MAX_EVENTS];
	size_t n;
	int overlap = 0;

	(void)state;
	hashgate_configure(lock_path, 2);
	/* Each waits inside its first hash for the other to be inside too: only a
	 * gate that lets both in at once makes their first hashes overlap. */
	n = run_two(1, iv, MAX_EVENTS);
	assert_int_equal(n, 2 * HASHES_EACH);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (iv[i].pid != iv[j].pid && iv[i].from < iv[j].to &&
			    iv[j].from < iv[i].to)
				overlap = 1;
	assert_true(overlap);
}

/* ---- pw.c waits for a slot ---- */

enum pw_call { CALL_HASH, CALL_VERIFY, CALL_VERIFY_BCRYPT, CALL_BURN };

/* A child that makes one pw call once go[1] is closed, then writes 'd' ('f': it failed) to done. */
static pid_t pw_caller(enum pw_call call, const int go[2], int done)
{
	pid_t pid = spawn();

	if (pid == 0) {
		char *phc = NULL;
		char b;
		int ok = 1;

		close(go[1]);
		(void)!read(go[0], &b, 1);
		switch (call) {
		case CALL_HASH:
			ok = pw_hash("StrongPass123", 13, &cost, &phc) == 0;
			free(phc);
			break;
		case CALL_VERIFY:
			ok = pw_verify("$argon2id$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
			               "QrpOYL3NyFG8YVao9uCSnVfWGV8KH/tYPvbwzt6pALE",
			               "StrongPass123", 13) == 1;
			break;
		case CALL_VERIFY_BCRYPT:
			ok = pw_verify(bcrypt_hash, "StrongPass123", 13) == 1;
			break;
		case CALL_BURN:
			pw_burn("StrongPass123", 13, &cost);
			break;
		}
		b = ok ? 'd' : 'f';
		(void)!write(done, &b, 1);
		_exit(0);
	}
	assert_true(pid > 0);
	return pid;
}

/* 1 if a byte arrives on fd within ms (and it is 'd'), 0 if none. */
static int arrives(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char b = 0;

	if (poll(&p, 1, ms) != 1)
		return 0;
	assert_int_equal(read(fd, &b, 1), 1);
	assert_int_equal(b, 'd');
	return 1;
}

static void pw_hash_verify_and_burn_wait_for_a_free_slot(void **state)
{
	static const enum pw_call calls[] = {CALL_HASH, CALL_VERIFY, CALL_VERIFY_BCRYPT, CALL_BURN};

	(void)state;
	hashgate_configure(lock_path, 1);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		struct hashgate_slot held;
		int go[2], done[2], st;
		pid_t pid;

		assert_int_equal(pipe(go), 0);
		assert_int_equal(pipe(done), 0);
		pid = pw_caller(calls[i], go, done[1]);
		close(go[0]);
		close(done[1]);
		hashgate_enter(&held);
		assert_true(held.fd >= 0);
		close(go[1]);
		if (arrives(done[0], 300))
			fail_msg("call %zu finished while the only slot was held", i);
		hashgate_leave(&held);
		if (!arrives(done[0], 10000))
			fail_msg("call %zu did not finish once the slot was free", i);
		reap(pid, &st);
		close(done[0]);
	}
}

static void a_slot_held_by_a_process_that_dies_is_freed(void **state)
{
	int ready[2], go[2], done[2], st;
	pid_t holder, pid;
	char b;

	(void)state;
	hashgate_configure(lock_path, 1);
	assert_int_equal(pipe(ready), 0);
	holder = spawn();
	if (holder == 0) {
		struct hashgate_slot s;

		hashgate_enter(&s);
		(void)!write(ready[1], s.fd >= 0 ? "h" : "u", 1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(ready[0], &b, 1), 1);
	assert_int_equal(b, 'h');
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(done), 0);
	pid = pw_caller(CALL_HASH, go, done[1]);
	close(go[1]);
	if (arrives(done[0], 300))
		fail_msg("a hash ran while another process held the only slot");
	kill(holder, SIGKILL);
	reap(holder, &st);
	if (!arrives(done[0], 10000))
		fail_msg("the slot of a killed process was not freed");
	reap(pid, &st);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(done[0]);
	close(done[1]);
}

/* ---- the lock file ---- */

static void a_new_lock_file_is_a_regular_file_of_ours_mode_0600(void **state)
{
	struct hashgate_slot s;
	struct stat st;
	mode_t old = umask(0);

	(void)state;
	hashgate_configure(lock_path, 1);
	hashgate_enter(&s);
	umask(old);
	assert_true(s.fd >= 0);
	hashgate_leave(&s);
	assert_int_equal(lstat(lock_path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());
}

/* Runs two gated entries with stderr in a file; returns what was logged (static). */
static const char *enter_twice_logging(int *gated)
{
	static char text[2048];
	char path[192];
	struct hashgate_slot s;
	int fd, saved;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/stderr", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	*gated = 0;
	for (int i = 0; i < 2; i++) {
		hashgate_enter(&s);
		*gated += s.fd >= 0;
		hashgate_leave(&s);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, text, sizeof(text) - 1, 0);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	return text;
}

/* Exactly one line, naming path and HASH_CONCURRENCY. */
static void assert_one_warning(const char *log, const char *path)
{
	const char *nl = strchr(log, '\n');

	if (nl == NULL || nl[1] != '\0' || strstr(log, path) == NULL ||
	    strstr(log, "HASH_CONCURRENCY") == NULL)
		fail_msg("expected one warning naming %s, got: %s", path, log);
}

static void an_unusable_lock_file_lets_hashes_through_with_one_warning(void **state)
{
	char target[192], p[192];
	const char *log;
	struct stat st;
	int gated;
	int fd;

	(void)state;
	/* A symbolic link (to a file of ours, which stays untouched). */
	snprintf(target, sizeof(target), "%s/target", dir);
	fd = open(target, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(symlink(target, lock_path), 0);
	hashgate_configure(lock_path, 1);
	log = enter_twice_logging(&gated);
	assert_int_equal(gated, 0);
	assert_one_warning(log, lock_path);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(unlink(lock_path), 0);

	/* A file open to group or others. */
	fd = open(lock_path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0644), 0);
	close(fd);
	hashgate_configure(lock_path, 2);
	log = enter_twice_logging(&gated);
	assert_int_equal(gated, 0);
	assert_one_warning(log, lock_path);
	assert_non_null(strstr(log, "0600"));
	assert_int_equal(stat(lock_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(unlink(lock_path), 0);

	/* A directory, a FIFO, a missing directory. */
	snprintf(p, sizeof(p), "%s/subdir", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	hashgate_configure(p, 1);
	log = enter_twice_logging(&gated);
	assert_int_equal(gated, 0);
	assert_one_warning(log, p);
	snprintf(p, sizeof(p), "%s/fifo", dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	hashgate_configure(p, 1);
	log = enter_twice_logging(&gated);
	assert_int_equal(gated, 0);
	assert_one_warning(log, p);
	snprintf(p, sizeof(p), "%s/no-such-dir/hash.lock", dir);
	hashgate_configure(p, 1);
	log = enter_twice_logging(&gated);
	assert_int_equal(gated, 0);
	assert_one_warning(log, p);

	/* A usable file again: gated, nothing logged. */
	hashgate_configure(lock_path, 1);
	log = enter_twice_logging(&gated);
	assert_int_equal(gated, 2);
	assert_string_equal(log, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(with_one_slot_two_processes_never_hash_at_once, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(with_two_slots_two_processes_hash_at_once, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(pw_hash_verify_and_burn_wait_for_a_free_slot, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(a_slot_held_by_a_process_that_dies_is_freed, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(a_new_lock_file_is_a_regular_file_of_ours_mode_0600,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        an_unusable_lock_file_lets_hashes_through_with_one_warning, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
