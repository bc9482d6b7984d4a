-- MedicalCare auth: two-factor sign-in (TOTP, RFC 6238), opt-in per account.
-- Applied once by sql/migrate.sh, which records it in schema_migrations.
--
-- Every row belongs to an account and goes with it (ON DELETE CASCADE).
-- Nothing secret is stored in the clear: the TOTP secret is sealed
-- (common/mfa_secret.h: AEAD under MFA_ENCRYPTION_KEY, bound to the
-- account's id), the emailed confirmation code and the recovery codes are
-- keyed hashes (HMAC-SHA256), an mfa_token is its SHA-256.

-- An account's second factor: made by POST /user/mfa/setup (a pending secret
-- and the code mailed to confirm it), turned on by POST /user/mfa/enable
-- (the pending secret becomes the secret), deleted by POST /user/mfa/disable.
-- The failure counter and its lock stay with the account while MFA is off,
-- so that disabling cannot be used to clear a lock: only a correct code
-- resets failures (a password reset does not).
CREATE TABLE user_mfa (
    user_id            bigint      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- The secret in use, sealed (nonce 12 + 20 bytes + tag 16); NULL while
    -- MFA is off. enabled_at is set exactly when it is.
    secret_sealed      bytea       CHECK (length(secret_sealed) = 48),
    enabled_at         timestamptz,
    -- The secret setup showed, waiting for enable; and the code it mailed.
    pending_sealed     bytea       CHECK (length(pending_sealed) = 48),
    pending_code_hash  bytea       CHECK (length(pending_code_hash) = 32),
    pending_expires_at timestamptz,
    -- Wrong email codes against the pending code: its own 5 tries.
    pending_attempts   integer     NOT NULL DEFAULT 0 CHECK (pending_attempts BETWEEN 0 AND 5),
    -- The last TOTP step accepted (totp_step()); a code is accepted only for a
    -- later step, in the UPDATE that records it. -1 for none.
    last_step          bigint      NOT NULL DEFAULT -1 CHECK (last_step >= -1),
    -- Consecutive wrong codes (TOTP or recovery) at any endpoint that takes
    -- one; the 10th locks every such endpoint until locked_until. locks
    -- counts the locks so far, each twice as long as the one before (15
    -- minutes up to 24 hours); a correct code sets failures and locks to 0.
    failures           integer     NOT NULL DEFAULT 0 CHECK (failures >= 0),
    locks              integer     NOT NULL DEFAULT 0 CHECK (locks >= 0),
    locked_until       timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((secret_sealed IS NULL) = (enabled_at IS NULL)),
    CHECK ((pending_sealed IS NULL) = (pending_code_hash IS NULL)
           AND (pending_code_hash IS NULL) = (pending_expires_at IS NULL))
);

-- Recovery codes: RECOVERY_COUNT at a time (common/recovery.h), each good
-- once in place of a TOTP code; a new set or disable deletes the old ones.
CREATE TABLE mfa_recovery_codes (
    id          bigserial   PRIMARY KEY,
    user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- recovery_digest(): HMAC-SHA256 of "<user_id>:<code>", never the code.
    code_hash   bytea       NOT NULL CHECK (length(code_hash) = 32),
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, code_hash)
);

-- The token a login with the right password answers when MFA is on, for
-- POST /auth/mfa/verify: 32 CSPRNG bytes, stored as their SHA-256, good for
-- 5 minutes, one success and 5 tries (attempts counted in the UPDATE that
-- checks it). Deleted on use, and by a password reset, change-password and
-- disable; the account's deletion takes it too.
CREATE TABLE mfa_tokens (
    id          bigserial   PRIMARY KEY,
    user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    expires_at  timestamptz NOT NULL,
    attempts    integer     NOT NULL DEFAULT 0 CHECK (attempts BETWEEN 0 AND 5),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mfa_tokens_user_idx ON mfa_tokens (user_id);
CREATE INDEX mfa_tokens_expires_idx ON mfa_tokens (expires_at);

-- The events of two-factor sign-in: a secret set up (code mailed), MFA on or
-- off, a second factor passed or failed, a failure that locked the account's
-- second factor, a new set of recovery codes, a recovery code used.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_event_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_event_check
    CHECK (event IN ('signup', 'otp_verified', 'login_success', 'login_failure', 'lockout',
                     'reset_requested', 'reset_completed', 'token_rejected', 'client_limited',
                     'otp_requested', 'logout', 'session_revoked', 'refresh_reused',
                     'password_changed', 'account_deleted',
                     'mfa_setup', 'mfa_enabled', 'mfa_disabled', 'mfa_verified',
                     'mfa_failure', 'mfa_lockout', 'mfa_recovery_codes', 'mfa_recovery_used'));

-- The mails: the setup confirmation code (the Part 1 OTP rules and limits),
-- and the notices of MFA on, MFA off, a new set of recovery codes, a recovery
-- code used (with how many are left), and a second-factor lock.
ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_kind_check;
ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_kind_check
    CHECK (kind IN ('otp', 'reset', 'password_changed', 'account_deleted',
                    'mfa_setup', 'mfa_enabled', 'mfa_disabled', 'mfa_recovery_codes',
                    'mfa_recovery_used', 'mfa_locked'));
