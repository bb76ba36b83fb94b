-- The machine-readable form of a timeline event (JSON {"code","params"}),
-- so that screens show it in the user's language; text keeps it in English.
ALTER TABLE messages ADD COLUMN meta TEXT;
