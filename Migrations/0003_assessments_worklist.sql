-- One immutable row per scoring of one arrival.
CREATE TABLE assessments (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    arrival_id     bigint           NOT NULL REFERENCES arrivals (id),
    scoring_round  integer          NOT NULL,
    attempt        integer          NOT NULL CHECK (attempt >= 1),
    esi_level      smallint         NOT NULL CHECK (esi_level BETWEEN 1 AND 5),
    rules_level    smallint         NOT NULL CHECK (rules_level BETWEEN 1 AND 5),
    news2_total    smallint,
    scores         jsonb            NOT NULL,
    findings       jsonb            NOT NULL CHECK (jsonb_typeof(findings) = 'array'),
    explanation    text             NOT NULL,
    confidence     double precision NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    scorer_name    text             NOT NULL,
    scorer_version text             NOT NULL,
    rules_version  text             NOT NULL,
    -- The presentation that was scored, and the SHA-256 of its canonical JSON.
    input          jsonb            NOT NULL,
    input_sha256   text             NOT NULL CHECK (input_sha256 ~ '^[0-9a-f]{64}$'),
    created_at     timestamptz      NOT NULL DEFAULT now(),
    -- Exactly one assessment per scoring round, whatever the number of deliveries.
    UNIQUE (arrival_id, scoring_round)
);

CREATE FUNCTION reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % rejected', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER assessments_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON assessments
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();

-- The board: one row per patient, pointing at the current assessment and the latest decision.
-- `version` is the row's ETag; discharged rows stay (for the record) but leave the board.
CREATE TABLE worklist (
    arrival_id       bigint      PRIMARY KEY REFERENCES arrivals (id),
    assessment_id    bigint      NOT NULL REFERENCES assessments (id),
    proposed_level   smallint    NOT NULL CHECK (proposed_level BETWEEN 1 AND 5),
    effective_level  smallint    NOT NULL CHECK (effective_level BETWEEN 1 AND 5),
    status           text        NOT NULL
                                 CHECK (status IN ('awaiting_confirmation', 'confirmed', 'overridden', 'discharged')),
    decided_by       text,
    decided_role     text,
    decided_at       timestamptz,
    assessed_at      timestamptz NOT NULL,
    version          integer     NOT NULL DEFAULT 1 CHECK (version >= 1)
);

CREATE INDEX worklist_board_idx ON worklist (effective_level, arrival_id) WHERE status <> 'discharged';

-- Confirm / override / discharge, one row per decision. `row_version` is the worklist version the
-- decision produced: unique, so two racing decisions on the same version cannot both commit.
CREATE TABLE decisions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    arrival_id    bigint      NOT NULL REFERENCES arrivals (id),
    assessment_id bigint      NOT NULL REFERENCES assessments (id),
    kind          text        NOT NULL CHECK (kind IN ('confirm', 'override', 'discharge')),
    level         smallint    CHECK (level BETWEEN 1 AND 5),
    reason        text,
    actor         text        NOT NULL,
    role          text        NOT NULL,
    request_id    text,
    row_version   integer     NOT NULL,
    decided_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (arrival_id, row_version),
    CHECK (kind <> 'override' OR (level IS NOT NULL AND reason IS NOT NULL AND length(btrim(reason)) > 0)),
    CHECK (kind <> 'confirm' OR level IS NOT NULL)
);

CREATE INDEX decisions_assessment_idx ON decisions (assessment_id);

CREATE TRIGGER decisions_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON decisions
    FOR EACH STATEMENT EXECUTE FUNCTION reject_change();

-- The board's revision: bumped in the same transaction as every change to the worklist, so a
-- long-polling board knows whether anything changed. Every bump notifies `edtriage_worklist`.
CREATE TABLE worklist_state (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),
    revision bigint  NOT NULL
);
INSERT INTO worklist_state (revision) VALUES (0);

CREATE FUNCTION worklist_notify_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('edtriage_worklist', NEW.revision::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER worklist_state_notify AFTER UPDATE ON worklist_state
    FOR EACH ROW EXECUTE FUNCTION worklist_notify_revision();
