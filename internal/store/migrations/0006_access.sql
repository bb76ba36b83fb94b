-- The rights model (SPEC §9): custom roles, teams, narrowed API tokens and
-- the audit log of settings changes. The predefined roles live in code
-- (internal/access); users.role keeps their key, and a user with a custom
-- role has its id in role_id (users.role then says 'manager', the least a
-- custom role could be mistaken for).
CREATE TABLE roles (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces(id),
	name         TEXT NOT NULL,
	permissions  TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL,
	UNIQUE (workspace_id, name)
);
ALTER TABLE users ADD COLUMN role_id TEXT REFERENCES roles(id);
CREATE INDEX users_role ON users (role_id);

CREATE TABLE teams (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces(id),
	name         TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL,
	UNIQUE (workspace_id, name)
);
CREATE TABLE team_members (
	team_id TEXT NOT NULL REFERENCES teams(id),
	user_id TEXT NOT NULL REFERENCES users(id),
	head    BOOLEAN NOT NULL DEFAULT FALSE,
	PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

-- NULL: the token acts with its user's rights; else a JSON subset of them.
ALTER TABLE api_tokens ADD COLUMN permissions TEXT;

-- The dialog list's scope filter finds sessions a user joined.
CREATE INDEX session_participants_user ON session_participants (user_id, session_id);

-- Append-only: no statement of the store updates or deletes a row.
CREATE TABLE audit_log (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces(id),
	actor_id     TEXT,
	actor_name   TEXT NOT NULL,
	entity       TEXT NOT NULL,
	entity_id    TEXT NOT NULL,
	action       TEXT NOT NULL,
	before_state TEXT,
	after_state  TEXT,
	created_at   BIGINT NOT NULL
);
CREATE INDEX audit_log_recent ON audit_log (workspace_id, created_at, id);
CREATE INDEX audit_log_entity ON audit_log (workspace_id, entity, created_at, id);
