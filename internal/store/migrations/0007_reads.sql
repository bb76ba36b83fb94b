-- Read markers: how far each user has read each dialog, so that unread
-- counts survive reloads and follow the user across devices.
CREATE TABLE dialog_reads (
	user_id   TEXT NOT NULL REFERENCES users(id),
	dialog_id TEXT NOT NULL REFERENCES dialogs(id),
	read_at   BIGINT NOT NULL,
	PRIMARY KEY (user_id, dialog_id)
);
CREATE INDEX dialog_reads_dialog ON dialog_reads (dialog_id);
