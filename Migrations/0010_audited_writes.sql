-- The service role may no longer write the audit trail directly, nor change the board, an assessment or a
-- decision without the audit row that describes the change. Both rules live in functions owned by the
-- migration owner, a role the service cannot assume, so the service alone cannot switch them off.

-- One append to the hash chain. The caller sends the row's canonical content (the JSON the hash covers);
-- the function checks it names the next sequence number and this transaction's time, takes every column
-- from it, and computes the hash itself, so a stored row's hash always covers exactly what the row says and
-- links to the row before it. Appends are serialized by the same advisory lock the caller takes first
-- (to read the head it numbers the content with).
CREATE FUNCTION audit_append(content text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    entry     jsonb := content::jsonb;
    head_seq  bigint;
    head_hash text;
    now_us    bigint := (extract(epoch FROM now()) * 1000000)::int8;
BEGIN
    PERFORM pg_advisory_xact_lock(418581342580);  -- "audit" in ASCII
    SELECT seq, hash INTO head_seq, head_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
    IF jsonb_typeof(entry) IS DISTINCT FROM 'object'
       OR EXISTS (SELECT 1 FROM jsonb_object_keys(entry) AS key
                  WHERE key NOT IN ('seq', 'occurred_at_us', 'actor', 'role', 'action', 'entity', 'entity_id',
                                    'request_id', 'before', 'after'))
       OR jsonb_typeof(entry -> 'actor') IS DISTINCT FROM 'string'
       OR jsonb_typeof(entry -> 'role') IS DISTINCT FROM 'string'
       OR jsonb_typeof(entry -> 'action') IS DISTINCT FROM 'string'
       OR jsonb_typeof(entry -> 'entity') IS DISTINCT FROM 'string'
       OR COALESCE(jsonb_typeof(entry -> 'entity_id'), 'absent') NOT IN ('string', 'null')
       OR COALESCE(jsonb_typeof(entry -> 'request_id'), 'absent') NOT IN ('string', 'null') THEN
        RAISE EXCEPTION 'audit content is not an audit entry' USING ERRCODE = 'check_violation';
    END IF;
    IF entry -> 'seq' IS DISTINCT FROM to_jsonb(COALESCE(head_seq, 0) + 1)
       OR entry -> 'occurred_at_us' IS DISTINCT FROM to_jsonb(now_us) THEN
        RAISE EXCEPTION 'audit content must name seq % and this transaction''s time', COALESCE(head_seq, 0) + 1
            USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO audit_log (seq, occurred_at, actor, role, action, entity, entity_id, request_id, before, after,
                           prev_hash, hash)
    VALUES (COALESCE(head_seq, 0) + 1, now(), entry ->> 'actor', entry ->> 'role', entry ->> 'action',
            entry ->> 'entity', entry ->> 'entity_id', entry ->> 'request_id', entry -> 'before', entry -> 'after',
            COALESCE(head_hash, repeat('0', 64)),
            encode(sha256(convert_to(COALESCE(head_hash, repeat('0', 64)) || content, 'UTF8')), 'hex'));
    RETURN COALESCE(head_seq, 0) + 1;
END
$$;

REVOKE ALL ON FUNCTION audit_append(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_append(text) TO edtriage_app;
REVOKE INSERT ON audit_log FROM edtriage_app;

-- Checked at commit for every new or changed row of the board, the assessments and the decisions: the
-- transaction must have appended, for the same arrival, an audit row that describes this change (the
-- assessment or decision it names, the board state and level it records). Constraint triggers cannot be
-- disabled or skipped by a role that does not own the table.
CREATE FUNCTION require_audit_row() RETURNS trigger
    LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    audited   record;
    board     jsonb;
    described boolean;
BEGIN
    SELECT action, after INTO audited FROM audit_log
    WHERE entity = 'arrival' AND entity_id = NEW.arrival_id::text AND xmin = pg_current_xact_id()::xid
    ORDER BY seq DESC LIMIT 1;
    IF TG_TABLE_NAME = 'assessments' THEN
        described := audited.action LIKE 'assessment.%' AND audited.after -> 'assessment_id' = to_jsonb(NEW.id);
    ELSIF TG_TABLE_NAME = 'decisions' THEN
        described := audited.action = 'decision.' || NEW.kind AND audited.after -> 'decision_id' = to_jsonb(NEW.id);
    ELSE
        board := CASE WHEN audited.action LIKE 'assessment.%' THEN audited.after -> 'board' ELSE audited.after END;
        described := board ->> 'state' = NEW.status AND board -> 'effective_level' = to_jsonb(NEW.effective_level);
    END IF;
    IF described IS NOT TRUE THEN
        RAISE EXCEPTION '% change for arrival % has no audit row describing it', TG_TABLE_NAME, NEW.arrival_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER worklist_audited AFTER INSERT OR UPDATE ON worklist
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_row();
CREATE CONSTRAINT TRIGGER assessments_audited AFTER INSERT ON assessments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_row();
CREATE CONSTRAINT TRIGGER decisions_audited AFTER INSERT ON decisions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION require_audit_row();
