-- MedicalCare auth: password checks of logins in progress (common/limit.h).
-- Applied once by sql/migrate.sh, which records it in schema_migrations.
--
-- A login reserves its check here, in a short transaction under the email's
-- advisory lock, then hashes with no transaction open and no lock held, then
-- settles in a second short transaction that deletes its row and counts the
-- failure (or forgets the failures) under the lock again. Until it settles, a
-- reservation counts against the failure budgets of login_failures and
-- login_email_failures as if it had failed, so a burst checks no more
-- passwords than the budgets allow. A row older than the reservation's life
-- (LIMIT_LOGIN_ATTEMPT_TTL, a process that died while hashing) counts no
-- more, and bin/medicalcare-prune deletes it.
CREATE TABLE login_attempts (
    id          bigserial   PRIMARY KEY,
    email       text        NOT NULL,
    -- The client's budget key (common/client.h), '' for none.
    client      text        NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_email_client_idx ON login_attempts (email, client);
CREATE INDEX login_attempts_started_idx ON login_attempts (started_at);
