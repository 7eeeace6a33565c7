-- A producer's own role: a registration system or integration engine that writes arrivals with plain SQL
-- needs to add rows to the queue and nothing else. It may insert the columns a producer supplies (the
-- queue's state, lease and audit columns keep their defaults) and read back only the new row's id and its
-- own keys; it cannot read patient data, change or delete a row, or touch the board or the audit.
-- Like edtriage_app it is NOLOGIN: the operator grants it to a login role per producer.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'edtriage_intake') THEN
        CREATE ROLE edtriage_intake NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

GRANT USAGE ON SCHEMA public TO edtriage_intake;
GRANT INSERT (source, external_id, patient_ref, payload) ON arrivals TO edtriage_intake;
GRANT SELECT (id, source, external_id) ON arrivals TO edtriage_intake;
GRANT INSERT (arrival_id, position, content_type, data, sha256, byte_size) ON arrival_images TO edtriage_intake;
