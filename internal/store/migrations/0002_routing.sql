-- Routing (SPEC §5): offers, per-operator load counters, presence, absences.

-- queued_at orders a line's waiting sessions (first come, first served).
-- offered_alone is the operator of a single-operator offer (evenly, strictly);
-- offer_deadline is when that offer moves on (a timer stored as data); tried
-- lists the operators already tried this round (strictly), comma-separated.
ALTER TABLE sessions ADD COLUMN queued_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN offered_alone TEXT;
ALTER TABLE sessions ADD COLUMN offer_deadline BIGINT;
ALTER TABLE sessions ADD COLUMN tried TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_waiting ON sessions (line_id, queued_at, id) WHERE status = 'queued';
CREATE INDEX sessions_deadline ON sessions (offer_deadline) WHERE offer_deadline IS NOT NULL;
CREATE INDEX sessions_operator ON sessions (operator_id) WHERE operator_id IS NOT NULL;

-- Who currently sees a session's offer: one row in evenly and strictly
-- modes, every eligible operator in the all mode.
CREATE TABLE session_offers (
	session_id TEXT NOT NULL REFERENCES sessions(id),
	user_id    TEXT NOT NULL REFERENCES users(id),
	line_id    TEXT NOT NULL,
	offered_at BIGINT NOT NULL,
	PRIMARY KEY (session_id, user_id)
);
CREATE INDEX session_offers_user ON session_offers (user_id);
CREATE INDEX session_offers_line ON session_offers (line_id);

-- Load counters, kept in the same transaction as every session change.
-- open_total: open sessions an operator holds or is offered alone, across
-- all lines (the hard cap). line_load: the same per line, with the counts of
-- the kinds a line's limit may exclude.
CREATE TABLE operator_load (
	user_id    TEXT PRIMARY KEY REFERENCES users(id),
	open_total INTEGER NOT NULL DEFAULT 0 CHECK (open_total >= 0)
);
CREATE TABLE line_load (
	line_id         TEXT NOT NULL REFERENCES lines(id),
	user_id         TEXT NOT NULL REFERENCES users(id),
	open_count      INTEGER NOT NULL DEFAULT 0 CHECK (open_count >= 0),
	answered_count  INTEGER NOT NULL DEFAULT 0 CHECK (answered_count >= 0),
	waiting_count   INTEGER NOT NULL DEFAULT 0 CHECK (waiting_count >= 0),
	closing_count   INTEGER NOT NULL DEFAULT 0 CHECK (closing_count >= 0),
	last_offered_at BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (line_id, user_id)
);
CREATE INDEX line_load_user ON line_load (user_id);

CREATE TABLE presence (
	user_id      TEXT PRIMARY KEY REFERENCES users(id),
	workspace_id TEXT NOT NULL REFERENCES workspaces(id),
	status       TEXT NOT NULL CHECK (status IN ('online','away','dnd','offline')),
	last_seen    BIGINT NOT NULL
);

CREATE TABLE absences (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces(id),
	user_id      TEXT NOT NULL REFERENCES users(id),
	kind         TEXT NOT NULL CHECK (kind IN ('lunch','vacation','sick_leave','other')),
	starts_at    BIGINT NOT NULL,
	ends_at      BIGINT NOT NULL,
	note         TEXT NOT NULL DEFAULT '',
	end_handled  BOOLEAN NOT NULL DEFAULT FALSE,
	CHECK (ends_at > starts_at)
);
CREATE INDEX absences_user ON absences (user_id, starts_at);
CREATE INDEX absences_end ON absences (ends_at) WHERE NOT end_handled;
