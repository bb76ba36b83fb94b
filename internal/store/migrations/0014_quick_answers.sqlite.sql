-- 0014, SQLite's part: applied with 0014_quick_answers.sql as one migration,
-- after it.
-- num: each answer's row in quick_answers_fts (a rowid that VACUUM keeps).
ALTER TABLE quick_answers ADD COLUMN num INTEGER;
CREATE UNIQUE INDEX quick_answers_num ON quick_answers (num);

-- The search's index: FTS5's trigram tokenizer over the folded search
-- column, contentless (the text is in quick_answers already) and without
-- positions (the store checks each candidate's column for the substring).
CREATE VIRTUAL TABLE quick_answers_fts USING fts5(search, content='', contentless_delete=1, detail=none, tokenize='trigram case_sensitive 1');
CREATE TRIGGER quick_answers_fts_insert AFTER INSERT ON quick_answers BEGIN
	UPDATE quick_answers SET num = (SELECT COALESCE(MAX(num), 0) + 1 FROM quick_answers) WHERE id = NEW.id;
	INSERT INTO quick_answers_fts (rowid, search) SELECT num, search FROM quick_answers WHERE id = NEW.id;
END;
CREATE TRIGGER quick_answers_fts_update AFTER UPDATE OF search ON quick_answers BEGIN
	DELETE FROM quick_answers_fts WHERE rowid = OLD.num;
	INSERT INTO quick_answers_fts (rowid, search) VALUES (NEW.num, NEW.search);
END;
CREATE TRIGGER quick_answers_fts_delete AFTER DELETE ON quick_answers BEGIN
	DELETE FROM quick_answers_fts WHERE rowid = OLD.num;
END;
