/*
 * hashgate: at most HASH_CONCURRENCY password hashes at once across every
 * process of the install (CGI runs and FastCGI processes alike), so that a
 * burst of logins or sign-ups cannot take more than that many times Argon2's
 * memory (19 MiB each by default). pw.c takes a slot around each Argon2 or
 * bcrypt call, so every caller of pw_hash(), pw_verify() and pw_burn() is
 * gated.
 *
 * The slots are open-file-description locks (fcntl F_OFD_SETLK) on bytes
 * HASHGATE_SLOT_BASE + 0 .. HASHGATE_SLOT_BASE + n - 1 of one lock file
 * (HASH_LOCK_FILE), which the kernel drops when the process holding one dies,
 * so a crash never leaks a slot. A process that finds every slot taken draws
 * a ticket (a counter in the file's first 8 bytes, under a lock on them) and
 * sleeps in the kernel (F_OFD_SETLKW) until slot ticket mod n is free: waiters
 * spread over the slots in turn, and nobody polls.
 *
 * The lock file must be a regular file owned by the effective user, mode
 * 0600 or stricter, not a symbolic link (O_NOFOLLOW); it is made so if
 * missing. The default, /tmp/medicalcare-hashgate-<euid>, is per user, so on a
 * host shared with other users nobody else can hold our slots: a file of that
 * name made by someone else is refused. When the file cannot be used the
 * gate logs one warning per process and lets hashes run ungated: requests
 * are never failed for it.
 *
 * State: the configuration of this process (hashgate_configure()); a slot
 * is held only between hashgate_enter() and hashgate_leave().
 */
#ifndef MC_HASHGATE_H
#define MC_HASHGATE_H

#include <stddef.h>

#define HASHGATE_MAX_SLOTS 1024 /* HASH_CONCURRENCY's upper bound */
#define HASHGATE_SLOT_BASE 64   /* the byte of the lock file slot 0 locks */

/* A slot taken by hashgate_enter(); fd -1 when none is held (ungated). */
struct hashgate_slot {
	int fd;
	int index;
};

/*
 * Sets the gate of this process: the lock file (NULL or empty: the default
 * above) and the number of slots (below 1: the number of online cores;
 * capped at HASHGATE_MAX_SLOTS). Cheap when nothing changed; a change takes
 * effect at the next hashgate_enter(). Until called, the default file and
 * the number of online cores apply. A path of PATH_MAX bytes or more is
 * ignored (logged) and the default used.
 */
void hashgate_configure(const char *path, int slots);

/* Writes the default lock file path for this process's effective user. 0, or -1 if out is too small. */
int hashgate_default_path(char *out, size_t outlen);

/*
 * Takes a slot, waiting for one as long as it takes. Never fails: when the
 * lock file cannot be used (logged once per process), returns with s->fd = -1
 * and the hash runs ungated. Pair with hashgate_leave().
 */
void hashgate_enter(struct hashgate_slot *s);

/* Frees the slot hashgate_enter() took (if any). */
void hashgate_leave(struct hashgate_slot *s);

/*
 * For tests: fn(arg, 1) is called right after a slot is taken (or the gate
 * let a hash through ungated) and fn(arg, 0) right before it is freed, so a
 * test can record when hashes run. NULL removes it.
 */
void hashgate_observe(void (*fn)(void *arg, int entered), void *arg);

#endif
