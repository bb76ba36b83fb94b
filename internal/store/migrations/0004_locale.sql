-- The interface language a user chose: '' (follow the browser), 'en' or 'ru'.
ALTER TABLE users ADD COLUMN locale TEXT NOT NULL DEFAULT '';
