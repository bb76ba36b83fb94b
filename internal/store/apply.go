package store

import (
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/session"
	"github.com/openlines/openlines/internal/stats"
)

// apply writes a transition of the session state machine (package
// session) in the transaction: the new state (saveSession keeps the
// counters and the dialog in step), then each effect in order. It knows no
// rule: what a transition means was decided by the state machine; this
// turns it into rows and events. It returns the messages it sent to the
// customer, in order.
func (t *tx) apply(old, next *sessionRow, fx []session.Effect, at int64) ([]dialog.Message, error) {
	if *old != *next {
		if err := t.saveSession(old, next); err != nil {
			return nil, err
		}
		if old.LineID != next.LineID {
			// Transferred to another line: the one it left may have room.
			t.emit(events.Event{Type: events.Capacity, WorkspaceID: next.WorkspaceID, LineID: old.LineID})
		}
	}
	var sent []dialog.Message
	var byOperator []events.Event
	for _, f := range fx {
		var err error
		switch f := f.(type) {
		case session.Send:
			var m dialog.Message
			if m, err = t.send(next, f, at); err == nil {
				err = t.enqueue(next, m, at)
				m.Delivery = &dialog.Delivery{State: OutQueued}
			}
			if err == nil {
				sent = append(sent, m)
				e := t.messageCreated(next, m)
				if f.Author == "" {
					t.emit(e)
				} else {
					// Screens learn what the operator's message did to the
					// session (taken by the reply) before the message.
					e.Status = next.Status
					byOperator = append(byOperator, e)
				}
			}
		case session.Event:
			err = t.event(next, f.Author, f.Event, at)
		case session.SetTimer:
			err = t.setTimer(next, string(f.Timer), f.Due)
		case session.ClearTimer:
			if f.Timer == "" {
				_, err = t.exec(qClearTimers, next.ID)
			} else {
				err = t.clearTimer(next, string(f.Timer))
			}
		case session.DropOffers:
			if f.User == "" {
				err = t.dropOffers(next.ID)
			} else {
				err = t.dropOffer(next.ID, f.User)
			}
		case session.Offer:
			if !f.Again {
				_, err = t.exec(qInsertOffer, next.ID, f.User, next.LineID, at)
			}
			if err == nil {
				_, err = t.exec(qLastOffered, next.LineID, f.User, f.Seq)
			}
		case session.Joined:
			_, err = t.exec(qAddParticipant, next.ID, f.User, at)
		case session.Rated:
			if err = t.insertRating(next, f, at); err == nil {
				err = t.statsOf(next, next.OperatorID, stats.OfRating(f.Scale, f.Value))
			}
		case session.Voted:
			if err = t.statsVote(next, f.Voter, f.Score); err == nil {
				_, err = t.exec(qUpsertVote, next.ID, f.Voter, next.WorkspaceID, f.Score, f.Comment, at, next.LineID, next.OperatorID)
			}
		case session.Answer:
			err = t.statsOf(next, f.Operator, stats.OfMessages(1))
		case session.Close:
			// Counted with the session's state by saveSession.
		case session.Announce:
			t.announce(next, f, at)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, e := range byOperator {
		t.emit(e)
	}
	return sent, nil
}

// send writes a text for the customer to the timeline.
func (t *tx) send(r *sessionRow, f session.Send, at int64) (dialog.Message, error) {
	m := dialog.Message{ID: newID(), DialogID: r.DialogID, SessionID: &r.ID, Direction: dialog.Out, Kind: f.Kind, Text: f.Text, CreatedAt: fromMicros(at)}
	if f.Author != "" {
		m.AuthorID = &f.Author
	}
	_, err := t.exec(qInsertAt, m.ID, r.DialogID, r.ID, nullStr(f.Author), f.Text, at, dialog.Out, f.Kind, nil)
	if err == nil && f.File != nil {
		m.Attachment = f.File
		err = t.insertAttachment(r.WorkspaceID, r.DialogID, m.ID, f.File, at)
	}
	return m, err
}

func (t *tx) messageCreated(r *sessionRow, m dialog.Message) events.Event {
	return events.Event{Type: events.MessageCreated, WorkspaceID: r.WorkspaceID, LineID: r.LineID, DialogID: r.DialogID,
		SessionID: r.ID, MessageID: m.ID, At: m.CreatedAt, Data: &m}
}

// announce turns an Announce into the event the screens and the routing
// engine receive.
func (t *tx) announce(r *sessionRow, a session.Announce, at int64) {
	e := events.Event{WorkspaceID: r.WorkspaceID, LineID: r.LineID, DialogID: r.DialogID, SessionID: r.ID, Reason: a.Reason, UserIDs: a.Users}
	switch a.Kind {
	case session.Changed:
		e.Type, e.Status = events.SessionChanged, r.Status
	case session.Taken:
		e.Type, e.Status = events.SessionTaken, r.Status
	case session.Requeued:
		e.Type = events.SessionRequeued
	case session.Offered:
		e.Type, e.At, e.Queued = events.SessionOffered, fromMicros(at), fromMicros(r.QueuedAt)
	case session.Opened:
		e.Type, e.Status, e.At = events.SessionOpened, r.Status, fromMicros(at)
	}
	t.emit(e)
}
