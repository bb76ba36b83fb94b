package store

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/routing"
	"github.com/openlines/openlines/internal/session"
)

// Draining a backlog offers up to drainBatch waiting sessions in one
// transaction. Written one by one that is six statements an offer (the
// session, two counters, the offer, the evenly timestamp, the timeline
// event); here it is five multi-row statements for the batch, which
// matters most on PostgreSQL, where every statement is a round trip.

// offerBatch collects the offers of one distribution transaction.
type offerBatch struct {
	lr     lineRules
	at     int64
	why    string
	offers []batchedOffer
	perOp  map[string]*opOffers
}

type batchedOffer struct {
	r    sessionRow // after the offer
	name string     // the operator's, for the timeline
}

// opOffers is what one operator's offers add to their counters.
type opOffers struct {
	n   int
	l   session.Load
	seq int64 // the last offer's evenly timestamp
}

func newOfferBatch(lr lineRules, at int64, why string) *offerBatch {
	return &offerBatch{lr: lr, at: at, why: why, perOp: map[string]*opOffers{}}
}

// add offers r, a waiting session that nobody held or was offered, to op.
func (b *offerBatch) add(r sessionRow, op *routing.Operator, name string, wrapped bool, seq int64) {
	session.MarkOffered(&r, b.lr.settings, op, wrapped, b.at, seq)
	nl := r.Load()
	op.OpenTotal++
	op.Counted += nl.Counted(b.lr.settings.LimitExcludes)
	o := b.perOp[op.ID]
	if o == nil {
		o = &opOffers{}
		b.perOp[op.ID] = o
	}
	o.n++
	o.l.Open, o.l.Answered, o.l.Waiting, o.l.Closing = o.l.Open+nl.Open, o.l.Answered+nl.Answered, o.l.Waiting+nl.Waiting, o.l.Closing+nl.Closing
	o.seq = seq
	b.offers = append(b.offers, batchedOffer{r: r, name: name})
}

// rowsPerStatement bounds the rows of one multi-row statement (PostgreSQL
// takes at most 65,535 parameters, SQLite 32,766).
const rowsPerStatement = 200

// writeOffers stores the batch: sessions, offers and timeline events in
// multi-row statements, then the operators' counters (addOfferLoads).
func (t *tx) writeOffers(b *offerBatch) error {
	for start := 0; start < len(b.offers); start += rowsPerStatement {
		chunk := b.offers[start:min(start+rowsPerStatement, len(b.offers))]
		var sess, offers, evs valuesList
		for _, o := range chunk {
			r := o.r
			sess.row(r.ID, "TEXT", r.OfferedAlone, "TEXT", r.OfferDeadline, "BIGINT", r.Tried, "TEXT")
			offers.row(r.ID, "", r.OfferedAlone, "", r.LineID, "", b.at, "")
			ev := dialog.Ev("offered", "name", o.name, "reason", b.why)
			meta, err := json.Marshal(ev)
			if err != nil {
				return err
			}
			evs.row(newID(), "TEXT", r.DialogID, "TEXT", r.ID, "TEXT", ev.Text(), "TEXT", b.at, "BIGINT", string(meta), "TEXT")
		}
		if err := t.setOffers(chunk, &sess); err != nil {
			return err
		}
		if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO session_offers (session_id, user_id, line_id, offered_at) VALUES `+offers.sql(), offers.args...); err != nil {
			return err
		}
		if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO messages (id, workspace_id, dialog_id, session_id, channel_id, direction, author_id, external_id, text, created_at, kind, meta)
			SELECT v.column1, d.workspace_id, d.id, v.column3, d.channel_id, '`+dialog.System+`', NULL, NULL, v.column4, v.column5, '`+dialog.KindEvent+`', v.column6
			FROM (VALUES `+evs.sql()+`) AS v JOIN dialogs d ON d.id = v.column2`, evs.args...); err != nil {
			return err
		}
	}
	if err := t.addOfferLoads(b); err != nil {
		return err
	}
	for _, o := range b.offers {
		r := o.r
		t.emit(events.Event{Type: events.SessionOffered, WorkspaceID: r.WorkspaceID, LineID: r.LineID, DialogID: r.DialogID,
			SessionID: r.ID, UserIDs: []string{r.OfferedAlone}, Reason: b.why, At: fromMicros(b.at), Queued: fromMicros(r.QueuedAt)})
	}
	return nil
}

// addOfferLoads adds each operator's offers to their counters and sets
// evenly's timestamp: two multi-row upserts, the rows in operator id order
// (the order every transaction that touches several takes them in). The
// hard cap is checked on the totals the upsert returns.
func (t *tx) addOfferLoads(b *offerBatch) error {
	ids := make([]string, 0, len(b.perOp))
	for id := range b.perOp {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for start := 0; start < len(ids); start += rowsPerStatement {
		chunk := ids[start:min(start+rowsPerStatement, len(ids))]
		var totals, lines valuesList
		for _, id := range chunk {
			o := b.perOp[id]
			totals.row(id, "", o.n, "")
			lines.row(b.lr.id, "", id, "", o.l.Open, "", o.l.Answered, "", o.l.Waiting, "", o.l.Closing, "", o.seq, "")
		}
		rows, err := t.tx.QueryContext(t.ctx, `INSERT INTO operator_load (user_id, open_total) VALUES `+totals.sql()+`
			ON CONFLICT (user_id) DO UPDATE SET open_total = operator_load.open_total + excluded.open_total RETURNING open_total`, totals.args...)
		if err != nil {
			return err
		}
		over := false
		for rows.Next() {
			var total int
			if err := rows.Scan(&total); err != nil {
				rows.Close()
				return err
			}
			over = over || total > routing.HardCap
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if over {
			return apperr.New(apperr.Conflict, "an operator already has %d open sessions, the most anyone may have", routing.HardCap)
		}
		if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO line_load (line_id, user_id, open_count, answered_count, waiting_count, closing_count, last_offered_at)
			VALUES `+lines.sql()+` ON CONFLICT (line_id, user_id) DO UPDATE SET open_count = line_load.open_count + excluded.open_count,
			answered_count = line_load.answered_count + excluded.answered_count, waiting_count = line_load.waiting_count + excluded.waiting_count,
			closing_count = line_load.closing_count + excluded.closing_count, last_offered_at = excluded.last_offered_at`, lines.args...); err != nil {
			return err
		}
	}
	return nil
}

var qSetOffer = q(`UPDATE sessions SET offered_alone = $2, offer_deadline = $3, tried = $4 WHERE id = $1`)

// setOffers writes the offers onto their sessions: one multi-row UPDATE on
// PostgreSQL (a round trip saved per row); on SQLite, where a statement
// costs no round trip, a prepared UPDATE by primary key per row, which its
// planner runs faster than an UPDATE … FROM (VALUES …).
func (t *tx) setOffers(chunk []batchedOffer, sess *valuesList) error {
	if t.s.engine != Postgres {
		for _, o := range chunk {
			if _, err := t.exec(qSetOffer, o.r.ID, o.r.OfferedAlone, o.r.OfferDeadline, o.r.Tried); err != nil {
				return err
			}
		}
		return nil
	}
	_, err := t.tx.ExecContext(t.ctx, `UPDATE sessions SET offered_alone = v.column2, offer_deadline = v.column3, tried = v.column4
		FROM (VALUES `+sess.sql()+`) AS v WHERE sessions.id = v.column1`, sess.args...)
	return err
}

// valuesList builds the rows of a VALUES list with numbered parameters.
// A column given a type is cast to it, so that PostgreSQL knows the types
// of a VALUES list in a FROM clause (SQLite reads CAST as well).
type valuesList struct {
	b    strings.Builder
	args []any
}

// row adds a row of (value, type) pairs; an empty type means no cast.
func (v *valuesList) row(pairs ...any) {
	if v.b.Len() > 0 {
		v.b.WriteString(", ")
	}
	v.b.WriteString("(")
	for i := 0; i < len(pairs); i += 2 {
		if i > 0 {
			v.b.WriteString(", ")
		}
		v.args = append(v.args, pairs[i])
		p := "$" + strconv.Itoa(len(v.args))
		if typ := pairs[i+1].(string); typ != "" {
			p = "CAST(" + p + " AS " + typ + ")"
		}
		v.b.WriteString(p)
	}
	v.b.WriteString(")")
}

func (v *valuesList) sql() string { return v.b.String() }
