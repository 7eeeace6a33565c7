-- Model-assisted scoring (issue 4): the rules' assessment goes on the board at once, the model's
-- follows in a second phase and supersedes it. Each phase writes at most one assessment per round.
ALTER TABLE assessments
    ADD COLUMN phase text NOT NULL DEFAULT 'rules' CHECK (phase IN ('rules', 'model')),
    -- The model's view: status, distribution, calibration prior, identity, prompt version, seed.
    ADD COLUMN model jsonb CHECK (model IS NULL OR jsonb_typeof(model) = 'object');

ALTER TABLE assessments DROP CONSTRAINT assessments_arrival_id_scoring_round_key;
ALTER TABLE assessments ADD CONSTRAINT assessments_round_phase_key UNIQUE (arrival_id, scoring_round, phase);
