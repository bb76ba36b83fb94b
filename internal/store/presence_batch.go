package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/openlines/openlines/internal/events"
)

// UserRef names a user of a workspace.
type UserRef struct{ UserID, WorkspaceID string }

// touchChunk bounds the users of one statement (PostgreSQL takes at most
// 65,535 parameters).
const touchChunk = 1000

// TouchPresence records a sign of life now for many users at once — what
// SetPresence(…, "") does for one: a user seen for the first time becomes
// online, and one who becomes available gives their lines room. A node
// calls it once per interval for every user with an open screen, so the
// cost is one transaction per interval, not one write per connection.
func (s *Store) TouchPresence(ctx context.Context, refs []UserRef) error {
	err := s.inTx(ctx, func(t *tx) error {
		now := micros(s.now())
		for start := 0; start < len(refs); start += touchChunk {
			chunk := refs[start:min(start+touchChunk, len(refs))]
			ids := make([]any, len(chunk))
			for i, r := range chunk {
				ids[i] = r.UserID
			}
			in := placeholders(1, len(chunk))
			rows, err := t.tx.QueryContext(t.ctx, `SELECT user_id, status, last_seen FROM presence WHERE user_id IN (`+in+`)`, ids...)
			if err != nil {
				return err
			}
			type row struct {
				status   string
				lastSeen int64
			}
			known := map[string]row{}
			for rows.Next() {
				var id string
				var r row
				if err := rows.Scan(&id, &r.status, &r.lastSeen); err != nil {
					rows.Close()
					return err
				}
				known[id] = r
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if _, err := t.tx.ExecContext(t.ctx, `UPDATE presence SET last_seen = $1 WHERE user_id IN (`+placeholders(2, len(chunk))+`)`,
				append([]any{now}, ids...)...); err != nil {
				return err
			}
			for _, r := range chunk {
				old, ok := known[r.UserID]
				if !ok { // a first sign of life is a user at the screen
					if _, err := t.exec(qSetPresence, r.UserID, r.WorkspaceID, "online", now); err != nil {
						return err
					}
					old = row{status: "offline"}
					t.emit(events.Event{Type: events.PresenceChanged, WorkspaceID: r.WorkspaceID, UserIDs: []string{r.UserID}, Status: "online"})
				}
				status := old.status
				if !ok {
					status = "online"
				}
				if s.presenceOf(status, now, r.UserID).Online && !s.presenceOf(old.status, old.lastSeen, r.UserID).Online {
					if err := t.capacityForUser(r.WorkspaceID, r.UserID); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	return dbErr(err, "touch presence")
}

// placeholders returns "$from, $from+1, …" for n parameters.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$")
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}
