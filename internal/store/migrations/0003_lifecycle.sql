-- The session lifecycle (SPEC §4, §6, §7): message kinds, lifecycle timers,
-- ratings, participants and supervisor votes.

-- kind: text (a customer's or operator's message), auto (an auto-reply),
-- rating_request, event (a timeline event), note (a private note: never sent).
-- Events and notes have direction 'system' and are never sent to the customer.
ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'text';
UPDATE messages SET kind = 'event' WHERE direction = 'system';

-- direct: held by direct assignment (a transfer to the user, an intercept),
-- so the holder need not be in the line's queue.
ALTER TABLE sessions ADD COLUMN direct BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE sessions ADD COLUMN off_hours_sent BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE sessions ADD COLUMN rating_token TEXT;
ALTER TABLE sessions ADD COLUMN rating_requested_at BIGINT;
ALTER TABLE sessions ADD COLUMN rated BOOLEAN NOT NULL DEFAULT FALSE;
CREATE UNIQUE INDEX sessions_rating_token ON sessions (rating_token) WHERE rating_token IS NOT NULL;

-- Lifecycle timers are data: one row per pending timer, deleted by the
-- transaction that fires it, so a timer fires once, across restarts.
CREATE TABLE session_timers (
	session_id TEXT NOT NULL REFERENCES sessions(id),
	kind       TEXT NOT NULL CHECK (kind IN ('no_answer','auto_close','full_close')),
	due_at     BIGINT NOT NULL,
	PRIMARY KEY (session_id, kind)
);
CREATE INDEX session_timers_due ON session_timers (due_at);

CREATE TABLE ratings (
	session_id   TEXT PRIMARY KEY REFERENCES sessions(id),
	workspace_id TEXT NOT NULL REFERENCES workspaces(id),
	line_id      TEXT NOT NULL,
	operator_id  TEXT,
	scale        TEXT NOT NULL CHECK (scale IN ('like','stars')),
	value        INTEGER NOT NULL,
	comment      TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL
);
CREATE INDEX ratings_operator ON ratings (workspace_id, operator_id, created_at);

CREATE TABLE session_participants (
	session_id TEXT NOT NULL REFERENCES sessions(id),
	user_id    TEXT NOT NULL REFERENCES users(id),
	joined_at  BIGINT NOT NULL,
	PRIMARY KEY (session_id, user_id)
);

CREATE TABLE session_votes (
	session_id   TEXT NOT NULL REFERENCES sessions(id),
	voter_id     TEXT NOT NULL REFERENCES users(id),
	workspace_id TEXT NOT NULL REFERENCES workspaces(id),
	score        INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
	comment      TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL,
	PRIMARY KEY (session_id, voter_id)
);
