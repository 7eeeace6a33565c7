-- What the service's role may do: nothing beyond what the queue, the board and the audit need.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;

GRANT SELECT, INSERT, UPDATE ON arrivals TO edtriage_app;
GRANT SELECT, INSERT ON arrival_images TO edtriage_app;
GRANT SELECT, INSERT ON vitals_observations TO edtriage_app;
GRANT SELECT, INSERT ON assessments TO edtriage_app;
GRANT SELECT, INSERT, UPDATE ON worklist TO edtriage_app;
GRANT SELECT, INSERT ON decisions TO edtriage_app;
GRANT SELECT, UPDATE ON worklist_state TO edtriage_app;
GRANT SELECT, INSERT ON audit_log TO edtriage_app;
GRANT SELECT ON schema_migrations TO edtriage_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO edtriage_app;
