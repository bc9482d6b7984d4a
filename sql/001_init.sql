-- MedicalCare auth: accounts, one-time codes, reset tokens, login lockout, mail outbox.
-- Applied once by sql/migrate.sh, which records it in schema_migrations.

CREATE TABLE users (
    id             bigserial PRIMARY KEY,
    email          text        NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    full_name      text        NOT NULL CHECK (length(full_name) BETWEEN 1 AND 100),
    password_hash  text        NOT NULL,
    is_verified    boolean     NOT NULL DEFAULT false,
    -- Access tokens whose iat is below this are rejected (set by a password reset).
    token_min_iat  bigint      NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
-- Case-insensitive uniqueness; every lookup goes through lower(email).
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

-- At most one live sign-up code per account; a new one replaces it.
CREATE TABLE otp_codes (
    user_id     bigint      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    code_hash   bytea       NOT NULL CHECK (length(code_hash) = 32), -- HMAC-SHA256, never the code
    expires_at  timestamptz NOT NULL,
    attempts    integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX otp_codes_expires_idx ON otp_codes (expires_at);

CREATE TABLE reset_tokens (
    id          bigserial   PRIMARY KEY,
    user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32), -- SHA-256, never the token
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reset_tokens_user_live_idx ON reset_tokens (user_id) WHERE used_at IS NULL;
CREATE INDEX reset_tokens_expires_idx ON reset_tokens (expires_at);

-- Failed logins per normalized email, whether or not an account exists.
CREATE TABLE login_failures (
    email         text        PRIMARY KEY,
    failures      integer     NOT NULL CHECK (failures > 0),
    window_start  timestamptz NOT NULL,
    locked_until  timestamptz
);

-- Mail is queued here in the transaction that needs it, then delivered.
-- The message is sealed (AES-256-GCM under a key derived from JWT_SECRET_KEY)
-- and wiped once sent, failed for good, or expired.
CREATE TABLE mail_outbox (
    id               bigserial   PRIMARY KEY,
    kind             text        NOT NULL CHECK (kind IN ('otp', 'reset', 'password_changed')),
    recipient        text        NOT NULL,
    user_id          bigint      REFERENCES users (id) ON DELETE SET NULL,
    message          bytea,
    status           text        NOT NULL DEFAULT 'pending'
                                 CHECK (status IN ('pending', 'sent', 'failed', 'expired')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    locked_until     timestamptz,
    last_error       text,
    expires_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    CHECK (status <> 'pending' OR message IS NOT NULL)
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX mail_outbox_recipient_idx ON mail_outbox (recipient, kind, created_at);
