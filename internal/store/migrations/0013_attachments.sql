-- Files that messages carry (dialog.Attachment: SPEC §11); their bytes are
-- in the blob store (package attach) under the attachment's id. A message
-- carries at most one. A workspace's total is kept in workspace_files, so
-- the quota is a check of one row.
CREATE TABLE attachments (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces(id),
	dialog_id    TEXT NOT NULL REFERENCES dialogs(id),
	message_id   TEXT NOT NULL UNIQUE REFERENCES messages(id),
	name         TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size         BIGINT NOT NULL,
	sha256       TEXT NOT NULL,
	created_at   BIGINT NOT NULL
);
CREATE INDEX attachments_dialog ON attachments (dialog_id);
CREATE TABLE workspace_files (
	workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id),
	bytes        BIGINT NOT NULL
);
