package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Actor is who makes a change, for the audit log. The HTTP layer puts it
// in the request's context once it knows the caller; changes made without
// one (the command line, the server's first run) are recorded as "system".
type Actor struct {
	ID, Name string
}

type actorKey struct{}

// WithActor returns ctx carrying who acts.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

func actorOf(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Name: "system"}
}

// AuditEntry is one recorded settings change.
type AuditEntry struct {
	ID        string          `json:"id"`
	ActorID   *string         `json:"actor_id"`
	ActorName string          `json:"actor_name"`
	Entity    string          `json:"entity"` // line, channel, user, role, team, workspace
	EntityID  string          `json:"entity_id"`
	Action    string          `json:"action"` // create, update, delete, plan…
	Before    json.RawMessage `json:"before"`
	After     json.RawMessage `json:"after"`
	CreatedAt time.Time       `json:"created_at"`
}

// AuditFilter selects audit entries; empty fields select all.
type AuditFilter struct {
	Entity, EntityID, ActorID string
	From, To                  time.Time
	Limit                     int
	Cursor                    string
}

// AuditPage is one page of the audit log, newest first.
type AuditPage struct {
	Entries    []AuditEntry `json:"entries"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

var qInsertAudit = q(`INSERT INTO audit_log (id, workspace_id, actor_id, actor_name, entity, entity_id, action, before_state, after_state, created_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`)

// secretKeys are the JSON keys whose values the audit log never stores.
var secretKeys = []string{"secret", "token", "password", "hash", "key"}

// snapshot is a record's JSON with secrets masked; nil stays NULL.
func snapshot(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	b, err = json.Marshal(mask(m))
	return string(b), err
}

// sameButTimes reports whether two records' JSON differ in nothing but
// updated_at.
func sameButTimes(before, after any) bool {
	if before == nil || after == nil {
		return false
	}
	norm := func(v any) string {
		b, _ := json.Marshal(v)
		var m map[string]any
		if json.Unmarshal(b, &m) != nil {
			return string(b)
		}
		delete(m, "updated_at")
		b, _ = json.Marshal(m)
		return string(b)
	}
	return norm(before) == norm(after)
}

func mask(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			lk := strings.ToLower(k)
			secret := false
			for _, s := range secretKeys {
				if strings.Contains(lk, s) && lk != "key" {
					secret = true
				}
			}
			if secret && e != nil && e != "" {
				x[k] = "***"
			} else {
				x[k] = mask(e)
			}
		}
	case []any:
		for i := range x {
			x[i] = mask(x[i])
		}
	}
	return v
}

// audit records a settings change in the transaction that makes it, so
// that a change is never without its entry.
func (t *tx) audit(wsID, entity, id, action string, before, after any) error {
	b, err := snapshot(before)
	if err != nil {
		return err
	}
	a, err := snapshot(after)
	if err != nil {
		return err
	}
	if action == "update" && sameButTimes(before, after) {
		return nil // nothing visible changed (a password change audits itself)
	}
	act := actorOf(t.ctx)
	_, err = t.exec(qInsertAudit, newID(), wsID, nullStr(act.ID), act.Name, entity, id, action, b, a, micros(t.s.now()))
	return err
}

// ListAudit returns a page of the workspace's audit log, newest first.
func (s *Store) ListAudit(ctx context.Context, wsID string, f AuditFilter) (AuditPage, error) {
	var where strings.Builder
	args := []any{wsID}
	where.WriteString(` WHERE workspace_id = $1`)
	add := func(cond string, v any) {
		args = append(args, v)
		fmt.Fprintf(&where, " AND "+cond, len(args))
	}
	if f.Entity != "" {
		add("entity = $%d", f.Entity)
	}
	if f.EntityID != "" {
		add("entity_id = $%d", f.EntityID)
	}
	if f.ActorID != "" {
		add("actor_id = $%d", f.ActorID)
	}
	if !f.From.IsZero() {
		add("created_at >= $%d", micros(f.From))
	}
	if !f.To.IsZero() {
		add("created_at < $%d", micros(f.To))
	}
	if f.Cursor != "" {
		at, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return AuditPage{}, err
		}
		args = append(args, at, id)
		fmt.Fprintf(&where, " AND (created_at < $%d OR (created_at = $%d AND id < $%d))", len(args)-1, len(args)-1, len(args))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	args = append(args, limit+1)
	rows, err := s.read.QueryContext(ctx, `SELECT id, actor_id, actor_name, entity, entity_id, action, before_state, after_state, created_at FROM audit_log`+
		where.String()+fmt.Sprintf(" ORDER BY created_at DESC, id DESC LIMIT $%d", len(args)), args...)
	if err != nil {
		return AuditPage{}, dbErr(err, "list audit")
	}
	es, err := collect(rows, func(sc interface{ Scan(...any) error }) (AuditEntry, error) {
		var e AuditEntry
		var actor, before, after *string
		var at int64
		err := sc.Scan(&e.ID, &actor, &e.ActorName, &e.Entity, &e.EntityID, &e.Action, &before, &after, &at)
		e.ActorID = actor
		e.Before, e.After = raw(before), raw(after)
		e.CreatedAt = fromMicros(at)
		return e, err
	})
	if err != nil {
		return AuditPage{}, dbErr(err, "list audit")
	}
	p := AuditPage{Entries: es}
	if len(es) > limit {
		p.Entries = es[:limit]
		last := p.Entries[limit-1]
		p.NextCursor = encodeCursor(micros(last.CreatedAt), last.ID)
	}
	return p, nil
}

func raw(s *string) json.RawMessage {
	if s == nil {
		return json.RawMessage("null")
	}
	return json.RawMessage(*s)
}
