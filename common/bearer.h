/*
 * bearer: the first step of every program that serves a signed-in user
 * (profile, change-password, delete-account): the request's Authorization
 * header to a checked access token (docs/CONTRACT.md TK-1, TK-3), or the
 * 401 in the response. The account itself is read by the flow
 * (account_profile(), account_self.h), which answers 401 when it is gone or
 * the token was revoked.
 */
#ifndef MC_BEARER_H
#define MC_BEARER_H

#include <stdint.h>

#include "account.h"
#include "app.h"

/*
 * 1 with *t, what a token whose signature, algorithm and expiry hold says; 0 with the response set: 401 Not authenticated (no Bearer
 * credentials), 401 Invalid or expired token (a token_rejected event
 * recorded if the database answers), or 500.
 */
int bearer_check(struct ctx *ctx, struct acct_token *t);

#endif
