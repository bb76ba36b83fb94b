-- One schema for both engines: TEXT ids (UUIDv7), BIGINT times in unix
-- microseconds (UTC), BOOLEAN flags, CHECK instead of enums.
CREATE TABLE workspaces (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	plan       TEXT NOT NULL CHECK (plan IN ('free','basic','standard','professional','enterprise')),
	created_at BIGINT NOT NULL
);

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
	email         TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL,
	role          TEXT NOT NULL CHECK (role IN ('administrator','director','manager')),
	password_hash TEXT NOT NULL,
	active        BOOLEAN NOT NULL DEFAULT TRUE,
	server_admin  BOOLEAN NOT NULL DEFAULT FALSE,
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL
);
CREATE INDEX users_workspace ON users (workspace_id, created_at, id);

CREATE TABLE auth_sessions (
	token_hash TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users(id),
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX auth_sessions_user ON auth_sessions (user_id);

CREATE TABLE api_tokens (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces(id),
	user_id      TEXT NOT NULL REFERENCES users(id),
	name         TEXT NOT NULL,
	token_hash   TEXT NOT NULL UNIQUE,
	created_at   BIGINT NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE lines (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces(id),
	name         TEXT NOT NULL,
	active       BOOLEAN NOT NULL,
	settings     TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL
);
CREATE INDEX lines_workspace ON lines (workspace_id, created_at, id);

-- The ordered queue of a line (SPEC §3); routing reads it in position order.
CREATE TABLE line_queue (
	line_id  TEXT NOT NULL REFERENCES lines(id),
	user_id  TEXT NOT NULL REFERENCES users(id),
	position INTEGER NOT NULL,
	PRIMARY KEY (line_id, user_id)
);
CREATE INDEX line_queue_user ON line_queue (user_id);

CREATE TABLE channels (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces(id),
	line_id      TEXT NOT NULL REFERENCES lines(id),
	type         TEXT NOT NULL,
	name         TEXT NOT NULL,
	active       BOOLEAN NOT NULL DEFAULT TRUE,
	created_at   BIGINT NOT NULL
);
CREATE INDEX channels_line ON channels (workspace_id, line_id, created_at);

CREATE TABLE customers (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces(id),
	channel_id   TEXT NOT NULL REFERENCES channels(id),
	external_id  TEXT NOT NULL,
	name         TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	UNIQUE (channel_id, external_id)
);

-- status, operator_id and session_id mirror the dialog's latest session so
-- that the dialog list filters and pages on one table.
CREATE TABLE dialogs (
	id              TEXT PRIMARY KEY,
	workspace_id    TEXT NOT NULL REFERENCES workspaces(id),
	line_id         TEXT NOT NULL REFERENCES lines(id),
	channel_id      TEXT NOT NULL REFERENCES channels(id),
	customer_id     TEXT NOT NULL REFERENCES customers(id),
	status          TEXT NOT NULL,
	operator_id     TEXT,
	session_id      TEXT,
	created_at      BIGINT NOT NULL,
	last_message_at BIGINT NOT NULL,
	UNIQUE (channel_id, customer_id)
);
CREATE INDEX dialogs_recent   ON dialogs (workspace_id, last_message_at, id);
CREATE INDEX dialogs_line     ON dialogs (workspace_id, line_id, last_message_at, id);
CREATE INDEX dialogs_channel  ON dialogs (workspace_id, channel_id, last_message_at, id);
CREATE INDEX dialogs_status   ON dialogs (workspace_id, status, last_message_at, id);
CREATE INDEX dialogs_operator ON dialogs (workspace_id, operator_id, last_message_at, id);

CREATE TABLE sessions (
	id                TEXT PRIMARY KEY,
	workspace_id      TEXT NOT NULL REFERENCES workspaces(id),
	dialog_id         TEXT NOT NULL REFERENCES dialogs(id),
	line_id           TEXT NOT NULL REFERENCES lines(id),
	status            TEXT NOT NULL CHECK (status IN ('queued','in_work','waiting_client','closing','closed','spam')),
	operator_id       TEXT,
	answered          BOOLEAN NOT NULL DEFAULT FALSE,
	pinned            BOOLEAN NOT NULL DEFAULT FALSE,
	off_hours         BOOLEAN NOT NULL DEFAULT FALSE,
	opened_at         BIGINT NOT NULL,
	first_response_at BIGINT,
	closed_at         BIGINT
);
-- A dialog has at most one open session (SPEC §1).
CREATE UNIQUE INDEX sessions_one_open ON sessions (dialog_id) WHERE status NOT IN ('closed','spam');
CREATE INDEX sessions_dialog ON sessions (dialog_id, opened_at);
CREATE INDEX sessions_line ON sessions (line_id, status);

CREATE TABLE messages (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces(id),
	dialog_id    TEXT NOT NULL REFERENCES dialogs(id),
	session_id   TEXT REFERENCES sessions(id),
	channel_id   TEXT NOT NULL REFERENCES channels(id),
	direction    TEXT NOT NULL CHECK (direction IN ('in','out','system')),
	author_id    TEXT REFERENCES users(id),
	external_id  TEXT,
	text         TEXT NOT NULL,
	created_at   BIGINT NOT NULL
);
-- Inbound delivery is idempotent on (channel, external message id) (SPEC §11).
CREATE UNIQUE INDEX messages_external ON messages (channel_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX messages_dialog ON messages (dialog_id, created_at, id);
