-- MedicalCare auth: sessions and refresh tokens (docs/CONTRACT.md, SE-*).
-- Applied once by sql/migrate.sh, which records it in schema_migrations.
--
-- A session starts at each sign-in (verify-otp, login). Every access token
-- names it in its sid claim, and profile accepts the token only while the row
-- is live: not revoked, used (refreshed) within SESSION_IDLE_MINUTES and
-- started within SESSION_MAX_MINUTES (common/session.h).
CREATE TABLE sessions (
    -- The sid claim: 16 CSPRNG bytes as base64url text.
    id            text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{22,64}$'),
    user_id       bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz NOT NULL DEFAULT now(),
    user_agent    text        CHECK (char_length(user_agent) <= 256),
    client_address inet,
    revoked_at    timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id, created_at);
CREATE INDEX sessions_last_used_idx ON sessions (last_used_at);

-- Refresh tokens, stored only as their SHA-256, each good for one use: a
-- refresh spends it (spent_at) and makes its successor in the same session.
CREATE TABLE refresh_tokens (
    id          bigserial   PRIMARY KEY,
    session_id  text        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    spent_at    timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- The events of sessions: a sign-out, a session revoked by its owner, a
-- spent refresh token presented again too late (its session is revoked).
ALTER TABLE audit_events DROP CONSTRAINT audit_events_event_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_event_check
    CHECK (event IN ('signup', 'otp_verified', 'login_success', 'login_failure', 'lockout',
                     'reset_requested', 'reset_completed', 'token_rejected', 'client_limited',
                     'otp_requested', 'logout', 'session_revoked', 'refresh_reused'));
