-- Full-text search of the dialog history (issue 15): customers' and
-- operators' texts, in Russian and in English at once (each config stems its
-- own language and keeps the other's words as they are), ё read as е. The
-- store's query repeats this expression exactly (store/history.go).
CREATE INDEX messages_fts ON messages USING gin (
	(to_tsvector('russian', translate(text, 'ёЁ', 'еЕ')) || to_tsvector('english', translate(text, 'ёЁ', 'еЕ')))
) WHERE kind = 'text';
