-- Quick answers (SPEC §8, issue 14). A workspace's sections are made the
-- first time anyone of it opens quick answers, named in that person's
-- language; quick_sections_seeded records that it happened, so that
-- sections deleted later do not come back. Each engine adds the search's
-- text index (0014_quick_answers.sqlite.sql, .postgres.sql; see
-- docs/ARCHITECTURE.md, "Quick answers").
ALTER TABLE workspaces ADD COLUMN quick_sections_seeded BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE quick_sections (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces(id),
	name         TEXT NOT NULL,
	position     INTEGER NOT NULL,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL,
	UNIQUE (workspace_id, name)
);

-- search is the title and text folded in Go (quickanswer.Fold: lower
-- case, accents dropped, ё as е), so that one substring test serves both
-- engines; text_key (quickanswer.Key) keeps identical texts from being
-- saved twice; source_message_id, the message an answer was saved from,
-- makes saving that message again update it. all_lines is false when the
-- answer is shared with the lines of quick_answer_lines only.
CREATE TABLE quick_answers (
	id                TEXT PRIMARY KEY,
	workspace_id      TEXT NOT NULL REFERENCES workspaces(id),
	section_id        TEXT NOT NULL REFERENCES quick_sections(id),
	title             TEXT NOT NULL,
	text              TEXT NOT NULL,
	search            TEXT NOT NULL,
	text_key          TEXT NOT NULL,
	all_lines         BOOLEAN NOT NULL,
	use_count         BIGINT NOT NULL DEFAULT 0,
	source_message_id TEXT,
	created_by        TEXT,
	created_at        BIGINT NOT NULL,
	updated_by        TEXT,
	updated_at        BIGINT NOT NULL,
	UNIQUE (workspace_id, text_key),
	UNIQUE (workspace_id, source_message_id)
);
-- The search walks one workspace's answers most used first.
CREATE INDEX quick_answers_usage ON quick_answers (workspace_id, use_count DESC, id);
-- A section's answers, most used first (the section filter without a term).
CREATE INDEX quick_answers_section ON quick_answers (section_id, use_count DESC, id);

CREATE TABLE quick_answer_lines (
	answer_id TEXT NOT NULL REFERENCES quick_answers(id) ON DELETE CASCADE,
	line_id   TEXT NOT NULL REFERENCES lines(id) ON DELETE CASCADE,
	PRIMARY KEY (answer_id, line_id)
);
CREATE INDEX quick_answer_lines_line ON quick_answer_lines (line_id);
