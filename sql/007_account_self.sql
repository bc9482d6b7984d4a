-- MedicalCare auth: account self-service (docs/CONTRACT.md AS-1 to AS-8).
-- Applied once by sql/migrate.sh, which records it in schema_migrations.
--
-- delete-account removes the account, and the audit trail keeps its events
-- with the account id: the foreign key that set audit_events.user_id to NULL
-- when the account went is dropped (the prune of unverified accounts drops
-- their ids itself, common/sql.c ST_AUDIT_FORGET_EMAIL).
ALTER TABLE audit_events DROP CONSTRAINT audit_events_user_id_fkey;

ALTER TABLE audit_events DROP CONSTRAINT audit_events_event_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_event_check
    CHECK (event IN ('signup', 'otp_verified', 'login_success', 'login_failure', 'lockout',
                     'reset_requested', 'reset_completed', 'token_rejected', 'client_limited',
                     'otp_requested', 'logout', 'session_revoked', 'refresh_reused',
                     'password_changed', 'account_deleted'));

-- The last mail of a deleted account (it is queued without a user_id, and its
-- address is wiped once it is sent, failed or expired).
ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_kind_check;
ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_kind_check
    CHECK (kind IN ('otp', 'reset', 'password_changed', 'account_deleted'));
