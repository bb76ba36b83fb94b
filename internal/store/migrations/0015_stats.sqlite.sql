-- Full-text search of the dialog history (issue 15): an FTS5 table of the
-- customers' and operators' texts, folded as the dialog list folds
-- (openlines_fold: lower case, ё as е), English stemmed by porter. It keeps
-- its own copy of the text with the dialog's id, so that it does not depend
-- on the rowids of messages (which VACUUM may change); deleting a line
-- deletes its rows (store/line.go).
CREATE VIRTUAL TABLE messages_fts USING fts5(text, dialog_id UNINDEXED, tokenize = 'porter unicode61 remove_diacritics 2');
INSERT INTO messages_fts (text, dialog_id) SELECT openlines_fold(text), dialog_id FROM messages WHERE kind = 'text';
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.kind = 'text' BEGIN
	INSERT INTO messages_fts (text, dialog_id) VALUES (openlines_fold(new.text), new.dialog_id);
END;
