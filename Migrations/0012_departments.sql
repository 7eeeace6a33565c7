-- Several EDs in one service. Every arrival belongs to one department (an ED site), and each department's
-- board has its own revision, so a board waiting on one department is not woken by another's changes.
-- The service registers the departments it is configured with when it starts; `ed` is the department of a
-- one-ED service and of every arrival made before departments existed.
CREATE TABLE departments (
    code     text   PRIMARY KEY CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    -- The department's board revision, taken from one sequence for all departments: a revision names one
    -- department's board at one moment, so an ETag from one department's board never matches another's.
    revision bigint NOT NULL DEFAULT 0 CHECK (revision >= 0)
);

CREATE SEQUENCE worklist_revision_seq;
INSERT INTO departments (code, revision) SELECT 'ed', revision FROM worklist_state;
SELECT setval('worklist_revision_seq', GREATEST(revision, 1), revision > 0) FROM worklist_state;

-- A producer writing plain SQL without naming a department puts the arrival in `ed`; the worker sends an
-- arrival whose department the service is not configured with to the failed list, where an admin sees it.
ALTER TABLE arrivals ADD COLUMN department text NOT NULL DEFAULT 'ed' REFERENCES departments (code);
CREATE INDEX arrivals_department_idx ON arrivals (department, id);

CREATE FUNCTION departments_notify_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('edtriage_worklist', NEW.code);
    RETURN NULL;
END
$$;

CREATE TRIGGER departments_notify AFTER UPDATE OF revision ON departments
    FOR EACH ROW EXECUTE FUNCTION departments_notify_revision();

-- worklist_state, the one revision of before, stays for processes of the previous version while a rolling upgrade
-- replaces them: their writes still bump it, and this trigger carries each bump to `ed`'s board, so the boards of
-- upgraded API processes see those changes.
CREATE FUNCTION worklist_state_bumps_default_department() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE departments SET revision = nextval('worklist_revision_seq') WHERE code = 'ed';
    RETURN NULL;
END
$$;

CREATE TRIGGER worklist_state_to_default_department AFTER UPDATE ON worklist_state
    FOR EACH ROW EXECUTE FUNCTION worklist_state_bumps_default_department();

GRANT SELECT, INSERT, UPDATE (revision) ON departments TO edtriage_app;
GRANT USAGE ON SEQUENCE worklist_revision_seq TO edtriage_app;
GRANT INSERT (department) ON arrivals TO edtriage_intake;
