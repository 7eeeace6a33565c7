-- The service's own database role. Migrations run as the owner; the service connects as edtriage_app,
-- which gets only the privileges granted in later files (audit_log: INSERT and SELECT, nothing else).
-- Roles are cluster-wide, so the role may already exist (another database, or created by the operator
-- with LOGIN and a password); concurrent migrations of two databases may race on creating it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'edtriage_app') THEN
        CREATE ROLE edtriage_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO edtriage_app;
