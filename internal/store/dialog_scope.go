package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/openlines/openlines/internal/dialog"
)

// listScoped is ListDialogs within a caller's scope (access.DialogScope):
// the dialogs whose latest session one of the scope's holders holds, or the
// caller is offered or joined.
//
// The scope's dialogs are gathered first, each branch by its own index
// (the holders' from dialogs_operator without touching the table), with
// their last activity; the page is chosen among them and only its rows are
// joined with customers, sessions and previews. A plan that walked the
// recent, a line's or a status's index instead — which both engines'
// planners chose for an OR of the scope's terms — reads every other
// operator's dialogs looking for the caller's: 40–120 ms on 100,000
// dialogs against 2–9 ms this way (docs/BENCHMARKS.md). The cost grows with
// the scope, not the workspace.
func (s *Store) listScoped(ctx context.Context, wsID string, f dialog.ListFilter) (dialog.Page, error) {
	sc := f.Scope
	args := []any{wsID}
	holders := bind(&args, sc.Holders)
	args = append(args, sc.Me)
	me := len(args)
	open := ""
	if sc.OpenOnly {
		open = " AND d.status NOT IN ('closed','spam')"
	}
	// CROSS JOIN keeps SQLite's join order (from the caller's offers and
	// participations outwards); PostgreSQL plans it as any inner join.
	branches := []string{
		fmt.Sprintf(`SELECT d.id, d.last_message_at FROM session_offers o CROSS JOIN sessions s CROSS JOIN dialogs d
			WHERE o.user_id = $%d AND s.id = o.session_id AND d.id = s.dialog_id AND d.workspace_id = $1`, me),
		fmt.Sprintf(`SELECT d.id, d.last_message_at FROM session_participants p CROSS JOIN sessions s CROSS JOIN dialogs d
			WHERE p.user_id = $%d AND s.id = p.session_id AND d.id = s.dialog_id AND d.session_id = s.id AND d.workspace_id = $1`+open, me),
	}
	if holders != "" {
		branches = append(branches, `SELECT d.id, d.last_message_at FROM dialogs d WHERE d.workspace_id = $1 AND d.operator_id IN (`+holders+`)`+open)
	}
	return s.pageAmong(ctx, strings.Join(branches, " UNION "), args, f, f.Search)
}

// pageAmong is one page of the list among the dialogs scope (SQL giving id
// and last_message_at) finds, each checked against the filters and, when
// search is not "", the search term: the page is chosen among them and
// only its rows are joined. $1 in args is the workspace.
func (s *Store) pageAmong(ctx context.Context, scope string, args []any, f dialog.ListFilter, search string) (dialog.Page, error) {
	var where strings.Builder
	where.WriteString(" WHERE 1 = 1")
	filterDialogs(&where, &args, f, true)
	filterSearch(&where, &args, search)
	s.filterHistory(&where, &args, f)
	from := "scope sc"
	if where.Len() > len(" WHERE 1 = 1") {
		from = "scope sc CROSS JOIN dialogs d"
		where.WriteString(" AND d.id = sc.id")
	}
	if f.Cursor != "" {
		at, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return dialog.Page{}, err
		}
		args = append(args, at, id)
		fmt.Fprintf(&where, " AND (sc.at < $%d OR (sc.at = $%d AND sc.id < $%d))", len(args)-1, len(args)-1, len(args))
	}
	limit := pageLimit(f)
	args = append(args, limit+1)
	query := `WITH scope(id, at) AS MATERIALIZED (` + scope + `),
		page(id, at) AS MATERIALIZED (SELECT sc.id, sc.at FROM ` + from + where.String() + fmt.Sprintf(` ORDER BY sc.at DESC, sc.id DESC LIMIT $%d) `, len(args)) +
		strings.Replace(dialogSelect, "FROM dialogs d JOIN", "FROM page pg CROSS JOIN dialogs d JOIN", 1) + ` WHERE d.id = pg.id ORDER BY pg.at DESC, pg.id DESC`
	rows, err := s.read.QueryContext(ctx, query, args...)
	return s.dialogPage(ctx, rows, err, limit)
}
