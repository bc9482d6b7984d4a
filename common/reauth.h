/*
 * reauth: a signed-in user types the account's password again before a
 * change that needs it (change-password, delete-account; later the
 * two-factor setup and disable): docs/CONTRACT.md AS-5.
 *
 * It is the password check of a login (account_login.c), on the same
 * lockout (limit.h): in a short transaction under the email's advisory lock
 * the login lock is checked first (a lock answers 429 before any password
 * work) and the check reserved (limit_login_reserve()); the hash runs with
 * no transaction open and no lock held; a second short transaction settles
 * it, counting a wrong password as a failed login (acct_login_failed(),
 * audited as login_failure "re-authentication": the 5th failure locks, at
 * login too) or forgetting the client's failures for a right one
 * (limit_login_succeeded()). When the stored hash changed while it was
 * checked (a reset or a change committed meanwhile), it checks again
 * against the current one.
 */
#ifndef MC_REAUTH_H
#define MC_REAUTH_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "account.h"
#include "acct.h"
#include "client.h"
#include "conf.h"

/*
 * Checks password (len bytes, NULs allowed) against account user_id, whose
 * address is email. ACCT_OK with *u (the account as it was when the check
 * settled: the caller's own transaction compares its hash, so a change that
 * came after is seen; acct_user_release() it whatever this returns);
 * ACCT_BAD_PASSWORD (counted); ACCT_LIMITED (a login lock: o->retry_after,
 * o->limit_detail); ACCT_BAD_TOKEN (the account is gone or no longer has
 * email); ACCT_UNAVAILABLE (as login: no room for 30 s, a check that
 * outlived its reservation, or the password changed under 3 checks in a
 * row); ACCT_ERROR. No transaction is open when it returns.
 */
enum acct_rc reauth_password(PGconn *db, const struct conf *c, const struct client *cl,
                             int64_t user_id, const char *email, const char *password, size_t len,
                             struct user *u, struct acct_out *o);

#endif
