-- Several appends in one call, in order: a transaction that changes many arrivals (a batch of registrations,
-- a worker's batch of assessments) pays one round trip for its audit rows instead of one per row. Each row
-- still goes through audit_append, with its checks and its hash.
CREATE FUNCTION audit_append_all(contents text[]) RETURNS bigint[]
    LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    content text;
    seqs    bigint[] := '{}';
BEGIN
    FOREACH content IN ARRAY contents LOOP
        seqs := seqs || audit_append(content);
    END LOOP;
    RETURN seqs;
END
$$;

REVOKE ALL ON FUNCTION audit_append_all(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_append_all(text[]) TO edtriage_app;
