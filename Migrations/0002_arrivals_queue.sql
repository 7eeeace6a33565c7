-- The inbound queue. Producers (POST /v1/arrivals, `edtriage ingest`, or plain SQL) insert rows;
-- workers claim them with FOR UPDATE SKIP LOCKED and a lease.
--
-- A row is scored once per scoring_round: a re-triage (new vitals) starts a new round, and
-- assessments are unique per (arrival_id, scoring_round), so a re-delivery never scores a round twice.
CREATE TABLE arrivals (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source          text        NOT NULL CHECK (length(source) BETWEEN 1 AND 128),
    external_id     text        NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
    patient_ref     text        NOT NULL CHECK (length(patient_ref) BETWEEN 1 AND 200),
    received_at     timestamptz NOT NULL DEFAULT now(),
    -- The clinical presentation (ClinicalPresentation's JSON). Fully validated by the worker at
    -- claim time with the same validator the API and ingest use before inserting.
    payload         jsonb       NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
    -- Plausible but extreme values the validator flagged at intake.
    intake_flags    jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(intake_flags) = 'array'),
    -- The database role that inserted the row, and the audit row recording its acceptance. The API and
    -- ingest audit in the inserting transaction; a plain-SQL insert is audited when first claimed.
    inserted_by     text        NOT NULL DEFAULT current_user,
    accepted_seq    bigint,
    state           text        NOT NULL DEFAULT 'queued'
                                CHECK (state IN ('queued', 'processing', 'done', 'failed')),
    scoring_round   integer     NOT NULL DEFAULT 1 CHECK (scoring_round >= 1),
    -- Claims made in the current round (reset when a new round starts or an admin requeues).
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    lease_token     uuid,
    lease_until     timestamptz,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, external_id),
    CHECK ((state = 'processing') = (lease_token IS NOT NULL AND lease_until IS NOT NULL))
);

CREATE INDEX arrivals_ready_idx ON arrivals (next_attempt_at, id) WHERE state = 'queued';
CREATE INDEX arrivals_leased_idx ON arrivals (lease_until) WHERE state = 'processing';
CREATE INDEX arrivals_failed_idx ON arrivals (updated_at) WHERE state = 'failed';

CREATE TABLE arrival_images (
    arrival_id   bigint  NOT NULL REFERENCES arrivals (id),
    position     integer NOT NULL CHECK (position >= 0),
    content_type text    NOT NULL CHECK (length(content_type) BETWEEN 1 AND 100),
    data         bytea   NOT NULL,
    sha256       text    NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    byte_size    integer NOT NULL CHECK (byte_size = octet_length(data)),
    PRIMARY KEY (arrival_id, position)
);

-- Wake listening workers whenever work becomes ready. The payload is empty so that notifications
-- of one transaction collapse into one, and no identifier travels on the channel.
CREATE FUNCTION arrivals_notify_ready() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('edtriage_arrivals', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER arrivals_notify_insert AFTER INSERT ON arrivals
    FOR EACH ROW WHEN (NEW.state = 'queued') EXECUTE FUNCTION arrivals_notify_ready();
CREATE TRIGGER arrivals_notify_requeue AFTER UPDATE OF state ON arrivals
    FOR EACH ROW WHEN (NEW.state = 'queued' AND OLD.state IS DISTINCT FROM 'queued')
    EXECUTE FUNCTION arrivals_notify_ready();

-- Re-triage observations: each set of vitals recorded after arrival, kept for the record.
CREATE TABLE vitals_observations (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    arrival_id    bigint      NOT NULL REFERENCES arrivals (id),
    scoring_round integer     NOT NULL,
    vitals        jsonb       NOT NULL CHECK (jsonb_typeof(vitals) = 'object'),
    recorded_by   text        NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (arrival_id, scoring_round)
);
