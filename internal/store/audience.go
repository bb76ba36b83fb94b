package store

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/openlines/openlines/internal/events"
)

// lost remembers, per session, who stopped holding it (holders) or lost an
// offer of it (others) in this transaction: the audience an event must
// still reach once the rows no longer name them.
type lost struct{ holders, others []string }

// lose records that users stopped holding (holder) or being offered a session.
func (t *tx) lose(sessionID string, holder bool, users ...string) {
	if t.lost == nil {
		t.lost = map[string]*lost{}
	}
	l := t.lost[sessionID]
	if l == nil {
		l = &lost{}
		t.lost[sessionID] = l
	}
	if holder {
		l.holders = append(l.holders, users...)
	} else {
		l.others = append(l.others, users...)
	}
}

// dropOffers deletes every offer of a session, remembering who had one.
func (t *tx) dropOffers(sessionID string) error {
	users, err := queryStrings(t, qDeleteOffers, sessionID)
	if err != nil {
		return err
	}
	t.lose(sessionID, false, users...)
	return nil
}

// dropOffer deletes one user's offer of a session.
func (t *tx) dropOffer(sessionID, userID string) error {
	if _, err := t.exec(qDeleteOffer, sessionID, userID); err != nil {
		return err
	}
	t.lose(sessionID, false, userID)
	return nil
}

// qAudience reads who holds, is offered or joined each of a JSON array of
// sessions: one statement, prepared once, for any number of them.
var qAudience = q(`SELECT id, 'h', operator_id FROM sessions WHERE id IN ({{IDS $1}}) AND operator_id IS NOT NULL
	UNION ALL SELECT session_id, 'o', user_id FROM session_offers WHERE session_id IN ({{IDS $1}})
	UNION ALL SELECT session_id, 'j', user_id FROM session_participants WHERE session_id IN ({{IDS $1}})`)

// emitKnown emits an event of a session this transaction leaves as it
// found it, with the audience its caller read: the holder and the
// comma-separated users offered or joined. fillAudience leaves such an
// event alone unless another event of the same session needs the query.
func (t *tx) emitKnown(e events.Event, holder, offered, joined string) {
	var h, a []string
	if holder != "" {
		h = []string{holder}
	}
	for _, list := range []string{offered, joined} {
		if list != "" {
			a = append(a, strings.Split(list, ",")...)
		}
	}
	e.Holders = h
	e.Audience = compactIDs(append(a, h...))
	if t.known == nil {
		t.known = map[int]bool{}
	}
	t.known[len(t.evs)] = true
	t.emit(e)
}

// fillAudience sets Holders and Audience on every event of a session, from
// the rows as this transaction leaves them plus whoever lost the session
// in it. One query per transaction, run before commit, unless every event
// of a session came with its audience (emitKnown).
func (t *tx) fillAudience() error {
	var ids []string
	seen := map[string]bool{}
	for i, ev := range t.evs {
		if ev.SessionID != "" && !seen[ev.SessionID] && !t.known[i] && ev.Type != events.TimersChanged && ev.Type != events.Capacity {
			seen[ev.SessionID] = true
			ids = append(ids, ev.SessionID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	js, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	holders := map[string][]string{}
	others := map[string][]string{}
	rows, err := t.query(qAudience, string(js))
	if err != nil {
		return err
	}
	for rows.Next() {
		var sid, kind, uid string
		if err := rows.Scan(&sid, &kind, &uid); err != nil {
			rows.Close()
			return err
		}
		if kind == "h" {
			holders[sid] = append(holders[sid], uid)
		} else {
			others[sid] = append(others[sid], uid)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range t.evs {
		ev := &t.evs[i]
		if !seen[ev.SessionID] {
			continue
		}
		h := slices.Clone(holders[ev.SessionID])
		a := slices.Clone(others[ev.SessionID])
		if l := t.lost[ev.SessionID]; l != nil {
			h = append(h, l.holders...)
			a = append(a, l.others...)
		}
		a = append(a, ev.UserIDs...)
		ev.Holders = compactIDs(h)
		ev.Audience = compactIDs(append(a, h...))
	}
	return nil
}

func compactIDs(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// bind appends vs to args and returns their placeholders' list.
func bind(args *[]any, vs []string) string {
	from := len(*args) + 1
	for _, v := range vs {
		*args = append(*args, v)
	}
	return placeholders(from, len(vs))
}
