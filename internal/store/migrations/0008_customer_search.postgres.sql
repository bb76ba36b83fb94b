-- The dialog list's search (issue 11): each customer's name and external id
-- folded (lower case, ё as е), one per line, so that a search is a LIKE over
-- stored text. A generated column keeps it current whichever statement
-- writes the customer. lower() under the ICU root collation folds every
-- script whatever the database's LC_CTYPE (under C it would fold ASCII
-- only); SQLite applies dialog.Fold (0008_customer_search.sqlite.sql).
ALTER TABLE customers ADD COLUMN search TEXT NOT NULL GENERATED ALWAYS AS (
	translate(lower(name COLLATE "und-x-icu"), 'ё', 'е') || E'\n' || translate(lower(external_id COLLATE "und-x-icu"), 'ё', 'е')) STORED;
-- The search scans one workspace's keys (not the table), and finds the
-- dialogs of the customers it matched by customer.
CREATE INDEX customers_search ON customers (workspace_id, search, id);
CREATE INDEX dialogs_customer ON dialogs (customer_id);
