package store

import (
	"database/sql"

	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/session"
)

// On PostgreSQL every statement is a round trip, and a customer message
// costs five. Most messages of a batch change nothing but themselves — the
// customer writes again while the session waits in the queue or is in work
// with nobody or pinned (session.Unchanged) — so a batch first reads the state
// of all its messages in one statement and writes those messages with two
// multi-row statements (the messages, the dialogs' last activity); the rest
// go through ingestOne, a message at a time, in the same transaction. The
// batch's lines are locked already (lockLines), so the sessions read cannot
// change under it. Any error sends the whole batch the slow way.

// ingestFast writes the messages of the batch that change nothing, marking
// them done and filling their results.
func (t *tx) ingestFast(batch []*ingestReq, failed, done []bool, results []ingestRes) error {
	var keys valuesList
	for i, r := range batch {
		if !failed[i] {
			keys.row(i, "INTEGER", r.in.ChannelID, "TEXT", r.in.ExternalID, "TEXT", r.in.Customer.ExternalID, "TEXT")
		}
	}
	if len(keys.args) == 0 {
		return nil
	}
	agg := "group_concat"
	if t.s.engine == Postgres {
		agg = "string_agg"
	}
	// The audience of a session left unchanged is who holds it (in the
	// row), is offered it or joined it: read here with the state, so the
	// transaction needs no audience query of its own (fillAudience).
	rows, err := t.tx.QueryContext(t.ctx, `SELECT v.column1, m.id IS NOT NULL, c.id, c.name, d.id, d.line_id,
		`+prefixed("s.", sessionRowCols)+`,
		(SELECT `+agg+`(o.user_id, ',') FROM session_offers o WHERE o.session_id = s.id),
		(SELECT `+agg+`(p.user_id, ',') FROM session_participants p WHERE p.session_id = s.id)
		FROM (VALUES `+keys.sql()+`) AS v
		LEFT JOIN messages m ON m.channel_id = v.column2 AND m.external_id = v.column3
		LEFT JOIN customers c ON c.channel_id = v.column2 AND c.external_id = v.column4
		LEFT JOIN dialogs d ON d.channel_id = c.channel_id AND d.customer_id = c.id
		LEFT JOIN sessions s ON s.id = d.session_id AND s.status NOT IN ('closed', 'spam')`, keys.args...)
	if err != nil {
		return err
	}
	type state struct {
		fresh                              bool // not a message seen before
		customer, name, dialogID, dialogLn sql.NullString
		s                                  sessionRow
		offered, joined                    sql.NullString
	}
	states := make([]state, len(batch))
	for rows.Next() {
		var i int
		var st state
		var dup bool
		if err := rows.Scan(append(append([]any{&i, &dup, &st.customer, &st.name, &st.dialogID, &st.dialogLn}, nullableDests(&st.s)...), &st.offered, &st.joined)...); err != nil {
			rows.Close()
			return err
		}
		st.fresh = !dup
		if i >= 0 && i < len(states) {
			states[i] = st
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	settings := map[string]lineRules{}
	serving := map[operatorKey]bool{} // whether an operator still serves sessions of a line
	slowKeys := map[string]bool{}     // a customer with a message going the slow way: the later ones too, in order
	seenExt := map[string]bool{}
	var msgs, touches valuesList
	lastAt := map[string]int64{}
	var order []string
	written := 0
	for i, r := range batch {
		if failed[i] {
			continue
		}
		in, st := r.in, states[i]
		key, ext := in.ChannelID+"\x00"+in.Customer.ExternalID, in.ChannelID+"\x00"+in.ExternalID
		fast := st.fresh && in.File == nil && !slowKeys[key] && !seenExt[ext] && st.customer.Valid && st.dialogID.Valid && st.s.ID != "" &&
			(in.Customer.Name == "" || in.Customer.Name == st.name.String) &&
			st.s.LineID == in.LineID && st.dialogLn.String == in.LineID
		seenExt[ext] = true
		if fast {
			lr, ok := settings[in.LineID]
			if !ok {
				if lr, err = t.readLine(in.LineID); err != nil {
					return err
				}
				settings[in.LineID] = lr
			}
			at := micros(in.At)
			fast = session.Unchanged(&st.s, lr.settings, at, false)
			if !fast && st.s.Status == dialog.StatusInWork && st.s.OperatorID != "" && !st.s.Pinned {
				// In work with an operator: unchanged while they still serve it
				// (SPEC §5: otherwise the message returns it to the queue).
				k := operatorKey{st.s.OperatorID, in.LineID, st.s.Direct}
				stays, ok := serving[k]
				if !ok {
					why, err := t.operatorGone(lr, &st.s, at)
					if err != nil {
						return err
					}
					stays = why == ""
					serving[k] = stays
				}
				fast = session.Unchanged(&st.s, lr.settings, at, stays)
			}
		}
		if !fast {
			slowKeys[key] = true
			continue
		}
		at := micros(in.At)
		res := dialog.InboundResult{CustomerID: st.customer.String, DialogID: st.dialogID.String, SessionID: st.s.ID, MessageID: newID()}
		msgs.row(res.MessageID, "", in.WorkspaceID, "", res.DialogID, "", res.SessionID, "", in.ChannelID, "", dialog.In, "", nil, "", in.ExternalID, "", in.Text, "", at, "")
		if _, ok := lastAt[res.DialogID]; !ok {
			order = append(order, res.DialogID)
		}
		lastAt[res.DialogID] = max(lastAt[res.DialogID], at)
		results[i], done[i] = ingestRes{res: res}, true
		written++
		t.emitKnown(customerMessageCreated(in, res, in.LineID), st.s.OperatorID, st.offered.String, st.joined.String)
	}
	if len(msgs.args) == 0 {
		return nil
	}
	t.s.fastIngested.Add(int64(written))
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO messages (id, workspace_id, dialog_id, session_id, channel_id, direction, author_id, external_id, text, created_at)
		VALUES `+msgs.sql(), msgs.args...); err != nil {
		return err
	}
	for _, id := range order {
		touches.row(id, "TEXT", lastAt[id], "BIGINT")
	}
	_, err = t.tx.ExecContext(t.ctx, `UPDATE dialogs SET last_message_at = GREATEST(dialogs.last_message_at, v.column2)
		FROM (VALUES `+touches.sql()+`) AS v WHERE dialogs.id = v.column1`, touches.args...)
	return err
}

// operatorKey names what operatorGone's answer depends on: the operator,
// the line, and whether the session was given to them directly.
type operatorKey struct {
	user, line string
	direct     bool
}
