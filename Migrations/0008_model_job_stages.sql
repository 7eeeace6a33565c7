-- Images are read in a stage of their own: an arrival with images gets the model's text score first
-- (phase 'model', so the board never waits on the image encoder), then its score with the images
-- (phase 'vision'). The job row carries the stage it is at.
ALTER TABLE model_jobs
    ADD COLUMN stage text NOT NULL DEFAULT 'text' CHECK (stage IN ('text', 'images'));

ALTER TABLE assessments DROP CONSTRAINT assessments_phase_check;
ALTER TABLE assessments ADD CONSTRAINT assessments_phase_check CHECK (phase IN ('rules', 'model', 'vision'));
