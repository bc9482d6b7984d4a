-- MedicalCare auth: per-client-address limits and the audit trail.
-- Applied once by sql/migrate.sh, which records it in schema_migrations.

-- One fixed window per limit and client address (common/limit.h): hits
-- counts the requests (signup, resend_otp, forgot_password) or the failures
-- (login, verify_otp) since window_start. Rows whose window is over are
-- inert; bin/medicalcare-prune deletes them.
CREATE TABLE client_limits (
    scope         text        NOT NULL
                              CHECK (scope IN ('login', 'signup', 'verify_otp', 'resend_otp', 'forgot_password')),
    address       inet        NOT NULL,
    window_start  timestamptz NOT NULL,
    hits          integer     NOT NULL CHECK (hits > 0),
    PRIMARY KEY (scope, address)
);
CREATE INDEX client_limits_window_idx ON client_limits (window_start);

-- Security events (common/audit.h), kept AUDIT_RETENTION_DAYS days.
-- Never a password, code, token or hash: who, what, when, from where.
CREATE TABLE audit_events (
    id              bigserial   PRIMARY KEY,
    created_at      timestamptz NOT NULL DEFAULT now(),
    event           text        NOT NULL
                                CHECK (event IN ('signup', 'otp_verified', 'login_success', 'login_failure',
                                                 'lockout', 'reset_requested', 'reset_completed',
                                                 'token_rejected', 'client_limited')),
    -- The account, when known; the event outlives it.
    user_id         bigint      REFERENCES users (id) ON DELETE SET NULL,
    -- The normalized address the request named, when it named one.
    email           text        CHECK (email = lower(email) AND length(email) <= 254),
    client_address  inet,
    user_agent      text        CHECK (length(user_agent) <= 256),
    -- A fixed word or two from the program ("wrong password", "token expired", "login").
    detail          text        CHECK (length(detail) <= 64)
);
CREATE INDEX audit_events_created_idx ON audit_events (created_at);
CREATE INDEX audit_events_user_idx ON audit_events (user_id, created_at) WHERE user_id IS NOT NULL;
CREATE INDEX audit_events_email_idx ON audit_events (email, created_at) WHERE email IS NOT NULL;
