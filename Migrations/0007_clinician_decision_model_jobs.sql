-- A clinician's decision stands: an assessment written after a confirm or override never changes the
-- row's effective level or state. The board row remembers which assessment the clinician decided on
-- (a newer one is shown as advisory) and the most urgent level suggested since then that is more urgent
-- than the clinician's (a review alert until a clinician decides again).
ALTER TABLE worklist
    ADD COLUMN decided_assessment_id bigint REFERENCES assessments (id),
    ADD COLUMN review_level smallint CHECK (review_level BETWEEN 1 AND 5),
    ADD CHECK (review_level IS NULL OR review_level < effective_level);

UPDATE worklist w
SET decided_assessment_id = d.assessment_id
FROM (SELECT DISTINCT ON (arrival_id) arrival_id, assessment_id FROM decisions
      WHERE kind IN ('confirm', 'override') ORDER BY arrival_id, id DESC) d
WHERE d.arrival_id = w.arrival_id AND w.status IN ('confirmed', 'overridden');

CREATE INDEX decisions_arrival_idx ON decisions (arrival_id, id);

-- The model phase as claimed work, like the arrivals queue: one job per rules assessment that a model
-- should follow, leased with FOR UPDATE SKIP LOCKED so no two processes score the same one, retried
-- with backoff, and finished exactly once: `done` (the model's assessment is written), `unavailable`
-- (written with the reason after the last attempt) or `dropped` (new vitals or a discharge made it moot).
CREATE TABLE model_jobs (
    arrival_id      bigint      NOT NULL REFERENCES arrivals (id),
    scoring_round   integer     NOT NULL,
    rules_assessment_id bigint  NOT NULL UNIQUE REFERENCES assessments (id),
    state           text        NOT NULL DEFAULT 'queued'
                                CHECK (state IN ('queued', 'processing', 'done', 'unavailable', 'dropped')),
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    lease_token     uuid,
    lease_until     timestamptz,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (arrival_id, scoring_round),
    CHECK ((state = 'processing') = (lease_token IS NOT NULL AND lease_until IS NOT NULL))
);

CREATE INDEX model_jobs_open_idx ON model_jobs (next_attempt_at, arrival_id) WHERE state IN ('queued', 'processing');

-- Rules assessments still waiting for their model phase become jobs.
INSERT INTO model_jobs (arrival_id, scoring_round, rules_assessment_id)
SELECT a.arrival_id, a.scoring_round, a.id
FROM assessments a
JOIN worklist w ON w.assessment_id = a.id
WHERE a.phase = 'rules' AND a.model ->> 'status' = 'pending' AND w.status <> 'discharged';

-- Each process that runs a model says so every poll interval, so the board can tell "the model is on
-- its way" from "no model is running" or "the model server is down".
CREATE TABLE model_lanes (
    lane_id      uuid        PRIMARY KEY,
    model        text        NOT NULL,
    available    boolean     NOT NULL,
    reason       text,
    heartbeat_at timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE ON model_jobs TO edtriage_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON model_lanes TO edtriage_app;
