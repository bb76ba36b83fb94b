-- Statistics (SPEC §10, issue 15): counters and time histograms per
-- workspace, day (yyyymmdd in the workspace's time zone), line, channel and
-- operator ('' for none), moved by the store in the transaction of every
-- session change (store/stats.go) and recomputed by `openlines stats
-- rebuild`. No foreign keys: deleting a line rebuilds its workspace's rows.
ALTER TABLE workspaces ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';

-- A vote counts for the line and operator the session had when it was cast.
ALTER TABLE session_votes ADD COLUMN line_id TEXT NOT NULL DEFAULT '';
ALTER TABLE session_votes ADD COLUMN operator_id TEXT NOT NULL DEFAULT '';
UPDATE session_votes SET line_id = (SELECT s.line_id FROM sessions s WHERE s.id = session_votes.session_id),
	operator_id = COALESCE((SELECT s.operator_id FROM sessions s WHERE s.id = session_votes.session_id), '');

-- frt and ttc are the first-response and time-to-close histograms of the
-- key's sessions, sparse: "bucket:count" pairs by bucket, comma-separated
-- (stats.Histogram.Encode). One row a key holds every figure, so that a
-- month's summary reads a few thousand rows, not a row a bucket.
CREATE TABLE stats_daily (
	workspace_id TEXT NOT NULL,
	day          INTEGER NOT NULL,
	line_id      TEXT NOT NULL,
	channel_id   TEXT NOT NULL,
	operator_id  TEXT NOT NULL,
	received     BIGINT NOT NULL DEFAULT 0,
	taken        BIGINT NOT NULL DEFAULT 0,
	closed       BIGINT NOT NULL DEFAULT 0,
	unanswered   BIGINT NOT NULL DEFAULT 0,
	spam         BIGINT NOT NULL DEFAULT 0,
	off_hours    BIGINT NOT NULL DEFAULT 0,
	messages     BIGINT NOT NULL DEFAULT 0,
	likes        BIGINT NOT NULL DEFAULT 0,
	dislikes     BIGINT NOT NULL DEFAULT 0,
	stars1       BIGINT NOT NULL DEFAULT 0,
	stars2       BIGINT NOT NULL DEFAULT 0,
	stars3       BIGINT NOT NULL DEFAULT 0,
	stars4       BIGINT NOT NULL DEFAULT 0,
	stars5       BIGINT NOT NULL DEFAULT 0,
	votes        BIGINT NOT NULL DEFAULT 0,
	vote_sum     BIGINT NOT NULL DEFAULT 0,
	frt          TEXT NOT NULL DEFAULT '',
	ttc          TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (workspace_id, day, line_id, channel_id, operator_id)
);

-- The staffing planner counts the sessions opened per hour of recent weeks.
CREATE INDEX sessions_opened ON sessions (workspace_id, opened_at);
