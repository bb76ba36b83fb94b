-- The dialog list's search (issue 11): each customer's name and external id
-- folded (dialog.Fold: Unicode lower case, ё as е), one per line, so that a
-- search is a LIKE over stored text. SQLite's lower() folds ASCII only, so
-- the store registers dialog.Fold as openlines_fold() on every connection
-- and triggers keep the column current whichever statement writes the
-- customer (PostgreSQL: a generated column, 0008_customer_search.postgres.sql).
ALTER TABLE customers ADD COLUMN search TEXT NOT NULL DEFAULT '';
UPDATE customers SET search = openlines_fold(name) || char(10) || openlines_fold(external_id);
CREATE TRIGGER customers_search_insert AFTER INSERT ON customers BEGIN
	UPDATE customers SET search = openlines_fold(NEW.name) || char(10) || openlines_fold(NEW.external_id) WHERE id = NEW.id;
END;
CREATE TRIGGER customers_search_update AFTER UPDATE OF name, external_id ON customers BEGIN
	UPDATE customers SET search = openlines_fold(NEW.name) || char(10) || openlines_fold(NEW.external_id) WHERE id = NEW.id;
END;
-- The search scans one workspace's keys (not the table), and finds the
-- dialogs of the customers it matched by customer.
CREATE INDEX customers_search ON customers (workspace_id, search, id);
CREATE INDEX dialogs_customer ON dialogs (customer_id);
