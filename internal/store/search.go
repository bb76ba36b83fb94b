package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"

	"modernc.org/sqlite"

	"github.com/openlines/openlines/internal/dialog"
)

// The dialog list's search compares the term with customers.search: the
// customer's name and external id folded (dialog.Fold), one per line. On
// SQLite the triggers of migration 0008 fill it with openlines_fold(),
// which is dialog.Fold registered on every connection (SQLite's lower()
// folds ASCII only); on PostgreSQL it is a generated column (lower() under
// the ICU root collation). The term is folded in Go, so that both engines
// compare it in one form. A substring has no B-tree index to use: the
// search reads the workspace's keys in the customers_search index.
func init() {
	if err := sqlite.RegisterDeterministicScalarFunction("openlines_fold", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return dialog.Fold(v), nil
		case []byte:
			return dialog.Fold(string(v)), nil
		case nil:
			return nil, nil
		default:
			return dialog.Fold(fmt.Sprint(v)), nil
		}
	}); err != nil {
		panic(err)
	}
}

// likePattern is the LIKE pattern (with ESCAPE '\') of a term anywhere
// in the text.
func likePattern(term string) string {
	return "%" + likeEscape(dialog.Fold(term)) + "%"
}

// likeEscape makes LIKE's wildcards and its escape literal (ESCAPE '\').
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// searchHitsMax is how many matching customers the workspace's search
// looks their dialogs up by; past it the term is common, and walking the
// recent dialogs meets a page of matches sooner.
var searchHitsMax = 1000

// listSearch is ListDialogs of the whole workspace with a search term. It
// reads the matching customers from the workspace's keys (customers_search)
// first. Up to searchHitsMax of them, the page is chosen among their
// dialogs, found by customer (dialogs_customer), as a caller's scope is
// (pageAmong): a rare term. More, and the list walks the recent dialogs
// checking each one's customer, which meets a page of common matches at
// once. Given the term's subquery or the customers' ids, both planners
// walked the recent dialogs for a rare term too (75–115 ms on SQLite with
// 100,000 dialogs), or sorted every match of a common one (110 ms).
func (s *Store) listSearch(ctx context.Context, wsID string, f dialog.ListFilter) (dialog.Page, bool, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id FROM customers WHERE workspace_id = $1 AND search LIKE $2 ESCAPE '\' LIMIT $3`,
		wsID, likePattern(f.Search), searchHitsMax+1)
	if err != nil {
		return dialog.Page{}, false, dbErr(err, "search customers")
	}
	ids, err := collect(rows, func(sc interface{ Scan(...any) error }) (string, error) {
		var id string
		return id, sc.Scan(&id)
	})
	switch {
	case err != nil:
		return dialog.Page{}, false, dbErr(err, "search customers")
	case len(ids) > searchHitsMax:
		return dialog.Page{}, false, nil // common: the caller walks the recent dialogs
	case len(ids) == 0:
		if f.Cursor != "" { // still refuse a forged cursor
			if _, _, err := decodeCursor(f.Cursor); err != nil {
				return dialog.Page{}, true, err
			}
		}
		return dialog.Page{Dialogs: []dialog.Dialog{}}, true, nil
	}
	// The workspace term is written so that no index serves it: SQLite
	// walked the workspace's recent index with it (100 ms for 100
	// customers among 100,000 dialogs) instead of dialogs_customer.
	args := []any{wsID}
	scope := `SELECT d.id, d.last_message_at FROM dialogs d WHERE d.customer_id IN (` + bind(&args, ids) + `) AND d.workspace_id || '' = $1`
	p, err := s.pageAmong(ctx, scope, args, f, "")
	return p, true, err
}

// filterSearch appends the search term's filter as a check of each listed
// dialog's customer: within a caller's scope, which has fewer dialogs than
// the workspace has customers, and for a common term.
func filterSearch(where *strings.Builder, args *[]any, term string) {
	if term == "" {
		return
	}
	*args = append(*args, likePattern(term))
	// LIMIT 1 keeps PostgreSQL from turning the check into a join driven
	// from the matching customers, which it chose without statistics (a
	// term all 100,000 customers match: 0.9 s, against 4 ms this way).
	fmt.Fprintf(where, ` AND EXISTS (SELECT 1 FROM customers c WHERE c.id = d.customer_id AND c.search LIKE $%d ESCAPE '\' LIMIT 1)`, len(*args))
}
