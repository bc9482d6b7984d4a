-- MedicalCare auth: the fixes of a security review (CONTRACT.md, "Amended").
-- Applied once by sql/migrate.sh, which records it in schema_migrations.

-- A second sign-up of an unverified address no longer replaces its password
-- (a takeover): it kills the code and mails a reset link instead, and from
-- then on no code is ever sent for the account (common/account.c).
ALTER TABLE users ADD COLUMN otp_disabled boolean NOT NULL DEFAULT false;
CREATE INDEX users_unverified_created_idx ON users (created_at) WHERE NOT is_verified;

-- Login locks are per email and client (common/limit.h): a stranger's
-- failures lock that stranger's address, never the owner's. client is the
-- budget key of the client address (an IPv4 address, an IPv6 /64), or ''
-- for a request without one (a program run from the shell).
ALTER TABLE login_failures ADD COLUMN client text NOT NULL DEFAULT '';
ALTER TABLE login_failures DROP CONSTRAINT login_failures_pkey;
ALTER TABLE login_failures ADD PRIMARY KEY (email, client);

-- Failed logins per email from any address within an hour; past the limit
-- every address but the account's known ones is locked for a while.
CREATE TABLE login_email_failures (
    email         text        PRIMARY KEY,
    failures      integer     NOT NULL CHECK (failures > 0),
    window_start  timestamptz NOT NULL,
    locked_until  timestamptz
);

-- The clients (budget keys) an account signed in from successfully, and when
-- last: they stay open while the email is locked for everyone else.
CREATE TABLE login_known_clients (
    user_id          bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client           text        NOT NULL CHECK (client <> ''),
    last_success_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, client)
);
CREATE INDEX login_known_clients_last_idx ON login_known_clients (last_success_at);

-- Budgets are taken before the work and given back when it was no failure
-- (a right password), so a row may go back to 0 hits.
ALTER TABLE client_limits DROP CONSTRAINT client_limits_hits_check;
ALTER TABLE client_limits ADD CONSTRAINT client_limits_hits_check CHECK (hits >= 0);

-- resend-otp is an event too (otp_requested), whatever the address.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_event_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_event_check
    CHECK (event IN ('signup', 'otp_verified', 'login_success', 'login_failure', 'lockout',
                     'reset_requested', 'reset_completed', 'token_rejected', 'client_limited',
                     'otp_requested'));

-- An address that has no account is kept only as a keyed hash (HMAC-SHA256
-- under a key derived from JWT_SECRET_KEY, lower-case hex): enough to
-- correlate attempts, never the address. Earlier rows that hold the address
-- of no account lose it.
ALTER TABLE audit_events ADD COLUMN email_hmac text CHECK (email_hmac ~ '^[0-9a-f]{64}$');
ALTER TABLE audit_events ADD CHECK (email IS NULL OR email_hmac IS NULL);
CREATE INDEX audit_events_email_hmac_idx ON audit_events (email_hmac, created_at)
    WHERE email_hmac IS NOT NULL;
UPDATE audit_events a SET email = NULL
 WHERE a.email IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM users u WHERE lower(u.email) = a.email);

-- Log lines that must not repeat on every request (common/notice.h): when
-- each was last written, shared by every process and server.
CREATE TABLE log_notices (
    name       text        PRIMARY KEY,
    logged_at  timestamptz NOT NULL
);
