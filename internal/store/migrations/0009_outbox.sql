-- The outbox (SPEC §11): every text that must reach a customer — operator
-- messages and the line's auto-replies — has a row here, written in the
-- transaction that writes the message. Delivery workers claim the oldest
-- waiting row of each dialog (in order per dialog), deliver it through the
-- channel and record the outcome; the row keeps the message's delivery state.
CREATE TABLE outbox (
	message_id   TEXT PRIMARY KEY REFERENCES messages(id),
	workspace_id TEXT NOT NULL,
	channel_id   TEXT NOT NULL,
	dialog_id    TEXT NOT NULL,
	state        TEXT NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_at      BIGINT NOT NULL,
	lease_until  BIGINT NOT NULL DEFAULT 0,
	give_up_at   BIGINT NOT NULL,
	last_error   TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_at) WHERE state = 'queued';
CREATE INDEX outbox_dialog_queued ON outbox (dialog_id, created_at, message_id) WHERE state = 'queued';
