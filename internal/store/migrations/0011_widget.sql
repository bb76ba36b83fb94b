-- The web-chat widget (SPEC §11, docs/WIDGET.md). A channel keeps its kind's
-- settings (JSON) and, sealed with the server key (package secret), the
-- secret a site signs its users' ids with. A widget visitor is a browser's
-- credential: only the SHA-256 of its token is kept; its customer is the
-- channel's customer with that external id ("v:" anonymous, "u:" verified).
ALTER TABLE channels ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE channels ADD COLUMN identity_secret TEXT NOT NULL DEFAULT '';
CREATE TABLE widget_visitors (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces(id),
	channel_id   TEXT NOT NULL REFERENCES channels(id),
	customer     TEXT NOT NULL,
	token_hash   TEXT NOT NULL UNIQUE,
	created_at   BIGINT NOT NULL
);
CREATE INDEX widget_visitors_channel ON widget_visitors (channel_id, customer);
-- A channel's health counts its waiting and failed texts.
CREATE INDEX outbox_channel_state ON outbox (channel_id, state);
