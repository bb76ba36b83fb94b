-- Channel keys (SPEC §11): a channel's own credential for its inbound, so
-- that a connector needs no user's token. Only the SHA-256 of the secret
-- is kept, with a hint (its first characters) to tell keys apart.
CREATE TABLE channel_keys (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces(id),
	channel_id   TEXT NOT NULL REFERENCES channels(id),
	hash         TEXT NOT NULL UNIQUE,
	hint         TEXT NOT NULL,
	created_at   BIGINT NOT NULL
);
CREATE INDEX channel_keys_channel ON channel_keys (channel_id, created_at);
