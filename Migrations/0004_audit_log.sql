-- Append-only, hash-chained audit trail (issue item 8).
-- hash = SHA-256(prev_hash ‖ canonical JSON of the row's content), computed by the service; content
-- = every column but the hashes, with occurred_at as integer microseconds since the Unix epoch and
-- before/after re-canonicalised from their stored jsonb, so any change to any column breaks the chain.
-- Appends are serialized by a transaction-scoped advisory lock, so seq has no gaps.
CREATE TABLE audit_log (
    seq         bigint      PRIMARY KEY CHECK (seq >= 1),
    occurred_at timestamptz NOT NULL,
    actor       text        NOT NULL,
    role        text        NOT NULL,
    action      text        NOT NULL,
    entity      text        NOT NULL,
    entity_id   text,
    request_id  text,
    before      jsonb,
    after       jsonb,
    prev_hash   text        NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    hash        text        NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);

CREATE INDEX audit_log_occurred_idx ON audit_log (occurred_at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, seq);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, seq);

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();
