package store

import (
	"context"
	"database/sql"
	"errors"
	"hash/fnv"
	"slices"
	"sync"

	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/routing"
	"github.com/openlines/openlines/internal/session"
)

// The inbound path is the hottest of the product. Every customer message of
// the process goes through the ingester, which commits the messages waiting
// at that moment in one transaction (group commit): under load a batch of
// hundreds costs one fsync, and a lone message is committed at once.

var (
	qFindInbound = q(`SELECT m.id, m.dialog_id, m.session_id, d.customer_id FROM messages m JOIN dialogs d ON d.id = m.dialog_id
		WHERE m.channel_id = $1 AND m.external_id = $2`)
	// The customer and their dialog on the channel, in one round trip.
	qFindCustomer = q(`SELECT c.id, c.name, d.id, d.line_id, d.session_id, d.status, d.operator_id
		FROM customers c LEFT JOIN dialogs d ON d.channel_id = c.channel_id AND d.customer_id = c.id
		WHERE c.channel_id = $1 AND c.external_id = $2`)
	// New customers and dialogs may race with another writer (PostgreSQL
	// runs several): the loser inserts nothing and reads the winner's row.
	qInsertCustomer = q(`INSERT INTO customers (id, workspace_id, channel_id, external_id, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (channel_id, external_id) DO NOTHING RETURNING id`)
	qRenameCustomer = q(`UPDATE customers SET name = $2 WHERE id = $1`)
	qInsertDialog   = q(`INSERT INTO dialogs (id, workspace_id, line_id, channel_id, customer_id, status, operator_id, session_id, created_at, last_message_at)
		VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, $7, $7) ON CONFLICT (channel_id, customer_id) DO NOTHING RETURNING id`)
	// A session with its line's settings, in one round trip.
	qReadSession = q(`SELECT ` + prefixed("s.", sessionRowCols) + `, l.workspace_id, l.active, l.settings, l.updated_at
		FROM sessions s JOIN lines l ON l.id = s.line_id WHERE s.id = $1`)
	qOperatorServes = q(`SELECT u.active, EXISTS (SELECT 1 FROM line_queue q WHERE q.line_id = $2 AND q.user_id = $1),
		COALESCE(p.status, 'offline'), COALESCE(p.last_seen, 0),
		EXISTS (SELECT 1 FROM absences a WHERE a.user_id = $1 AND a.starts_at <= $3 AND a.ends_at > $3)
		FROM users u LEFT JOIN presence p ON p.user_id = u.id WHERE u.id = $1`)
	qInsertMessage = q(`INSERT INTO messages (id, workspace_id, dialog_id, session_id, channel_id, direction, author_id, external_id, text, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`)
	qTouchDialog = q(`UPDATE dialogs SET last_message_at = $2, session_id = $3, status = $4, operator_id = $5 WHERE id = $1`)
	// Setting line_id costs a foreign-key check and an index update: only
	// when a new session of the dialog starts on another line.
	qSetDialogLine = q(`UPDATE dialogs SET line_id = $2 WHERE id = $1`)
	qLockLineOnly  = q(`SELECT 1 FROM lines WHERE id = $1{{FOR_UPDATE}}`)
)

// Ingest stores a customer message idempotently on (channel, external id):
// it finds or creates the customer and the dialog, opens a session when none
// is open, and appends the message. A message seen before is not written
// again; its first ids come back with Duplicate set. The caller has checked
// that the channel belongs to in.WorkspaceID and is bound to in.LineID.
func (s *Store) Ingest(ctx context.Context, in dialog.Inbound) (dialog.InboundResult, error) {
	if in.At.IsZero() {
		in.At = s.now()
	}
	return s.ingest.submit(ctx, in)
}

type ingestReq struct {
	in   dialog.Inbound
	done chan ingestRes // buffered: the writer never waits for the caller
}

type ingestRes struct {
	res dialog.InboundResult
	err error
}

type ingester struct {
	s        *Store
	maxBatch int
	queues   []chan *ingestReq // one per writer
	mu       sync.RWMutex      // held for reading while submitting; for writing to close
	closed   bool
	wg       sync.WaitGroup
}

func startIngester(s *Store, maxBatch int) *ingester {
	if maxBatch <= 0 {
		maxBatch = 256
	}
	ig := &ingester{s: s, maxBatch: maxBatch}
	// SQLite has one writer anyway. PostgreSQL is bound by round trips, not
	// by the disk, so a few batches are written side by side. Deadlocks are
	// ruled out by construction: a line's messages always go to the same
	// writer (so two writers never touch the same line, dialog or session),
	// and a batch locks its lines first, in id order, before any other row
	// — the order every routing transaction uses (line, session, dialog).
	writers := 1
	if s.engine == Postgres {
		writers = 4
	}
	for range writers {
		q := make(chan *ingestReq, 4*maxBatch)
		ig.queues = append(ig.queues, q)
		ig.wg.Add(1)
		go ig.run(q)
	}
	return ig
}

// queueOf is the writer queue of a line.
func (ig *ingester) queueOf(lineID string) chan *ingestReq {
	if len(ig.queues) == 1 {
		return ig.queues[0]
	}
	h := fnv.New32a()
	h.Write([]byte(lineID))
	return ig.queues[h.Sum32()%uint32(len(ig.queues))]
}

func (ig *ingester) submit(ctx context.Context, in dialog.Inbound) (dialog.InboundResult, error) {
	r := &ingestReq{in: in, done: make(chan ingestRes, 1)}
	ig.mu.RLock()
	if ig.closed {
		ig.mu.RUnlock()
		return dialog.InboundResult{}, Unavailable(errIngestClosed, CauseShutdown)
	}
	select {
	case ig.queueOf(in.LineID) <- r:
		ig.mu.RUnlock()
	case <-ctx.Done():
		ig.mu.RUnlock()
		return dialog.InboundResult{}, dbErr(ctx.Err(), "ingest")
	}
	select {
	case res := <-r.done:
		return res.res, res.err
	case <-ctx.Done():
		// The message may still be committed; a retry with the same
		// external id then gets its ids back.
		return dialog.InboundResult{}, dbErr(ctx.Err(), "ingest")
	}
}

// stop lets the queued messages commit and ends the writer.
func (ig *ingester) stop() {
	ig.mu.Lock()
	if !ig.closed {
		ig.closed = true
		for _, q := range ig.queues {
			close(q)
		}
	}
	ig.mu.Unlock()
	ig.wg.Wait()
}

var errIngestClosed = errors.New("the inbound writer is stopped")

func (ig *ingester) run(reqs chan *ingestReq) {
	defer ig.wg.Done()
	batch := make([]*ingestReq, 0, ig.maxBatch)
	for r := range reqs {
		batch = append(batch[:0], r)
	fill:
		for len(batch) < ig.maxBatch {
			select {
			case r, ok := <-reqs:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		ig.commit(batch)
	}
}

// commit writes a batch in one transaction. An item that fails is taken out
// and the rest written again, so one bad message never fails its neighbours;
// a uniqueness race with another node is retried, finding the winner's row.
func (ig *ingester) commit(batch []*ingestReq) {
	results := make([]ingestRes, len(batch))
	failed := make([]bool, len(batch))
	fast := ig.s.engine == Postgres && len(batch) > 1
	for attempt := 0; ; attempt++ {
		bad, fastFailed := -1, false
		err := ig.s.inTx(context.Background(), func(t *tx) error {
			if err := t.lockLines(batch, failed); err != nil {
				return err
			}
			done := make([]bool, len(batch))
			if fast {
				if err := t.ingestFast(batch, failed, done, results); err != nil {
					fastFailed = true
					return err
				}
			}
			for i, r := range batch {
				if failed[i] || done[i] {
					continue
				}
				res, err := ingestOne(t, r.in)
				if err != nil {
					bad = i
					return err
				}
				results[i] = ingestRes{res: res}
			}
			return nil
		})
		switch {
		case err == nil:
		case fastFailed:
			fast = false // the batch again, a message at a time
			continue
		case bad >= 0 && isUniqueViolation(err) && attempt < 10:
			continue // a race with another writer: the retry finds its row
		case bad >= 0 && attempt < len(batch)+3:
			failed[bad] = true
			results[bad] = ingestRes{err: dbErr(err, "store inbound message")}
			continue
		default:
			for i := range results {
				if !failed[i] {
					results[i] = ingestRes{err: dbErr(err, "store inbound message")}
				}
			}
		}
		break
	}
	for i, r := range batch {
		r.done <- results[i]
	}
}

// lockLines locks the lines of a batch's messages in id order, first, so
// that the batch takes its locks in the order of every routing transaction
// (line, then session, then dialog) and cannot deadlock with them. SQLite
// has one writer: nothing to order.
func (t *tx) lockLines(batch []*ingestReq, failed []bool) error {
	if t.s.engine != Postgres {
		return nil
	}
	var ids []string
	for i, r := range batch {
		if !failed[i] && !slices.Contains(ids, r.in.LineID) {
			ids = append(ids, r.in.LineID)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		var one int
		if err := t.row(qLockLineOnly, []any{id}, &one); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	return nil
}

func ingestOne(t *tx, in dialog.Inbound) (dialog.InboundResult, error) {
	var res dialog.InboundResult
	var sessionID sql.NullString
	err := t.row(qFindInbound, []any{in.ChannelID, in.ExternalID}, &res.MessageID, &res.DialogID, &sessionID, &res.CustomerID)
	if err == nil {
		res.SessionID, res.Duplicate = sessionID.String, true
		return res, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return res, err
	}
	at := micros(in.At)

	var name string
	var dialogID, dialogLine, dialogStatus, operatorID sql.NullString
	find := func() error {
		return t.row(qFindCustomer, []any{in.ChannelID, in.Customer.ExternalID}, &res.CustomerID, &name,
			&dialogID, &dialogLine, &sessionID, &dialogStatus, &operatorID)
	}
	switch err := find(); {
	case errors.Is(err, sql.ErrNoRows):
		err = t.row(qInsertCustomer, []any{newID(), in.WorkspaceID, in.ChannelID, in.Customer.ExternalID, in.Customer.Name, at}, &res.CustomerID)
		if errors.Is(err, sql.ErrNoRows) {
			err = find() // another writer created the customer first
		}
		if err != nil {
			return res, err
		}
	case err != nil:
		return res, err
	case in.Customer.Name != "" && in.Customer.Name != name:
		if _, err := t.exec(qRenameCustomer, res.CustomerID, in.Customer.Name); err != nil {
			return res, err
		}
	}
	if !dialogID.Valid {
		err := t.row(qInsertDialog, []any{newID(), in.WorkspaceID, in.LineID, in.ChannelID, res.CustomerID, dialog.StatusQueued, at}, &dialogID.String)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			err = find() // another writer created the dialog first
		case err == nil:
			dialogID.Valid, dialogLine, dialogStatus = true, sql.NullString{String: in.LineID, Valid: true}, sql.NullString{String: dialog.StatusQueued, Valid: true}
		}
		if err != nil {
			return res, err
		}
	}
	res.DialogID = dialogID.String
	lineID, status := dialogLine.String, dialogStatus.String
	dialogOnLine := lineID

	existing := sessionID.Valid && dialog.IsOpen(status)
	var r sessionRow
	var st line.Settings
	if !existing {
		// A new session is routed by the channel's line.
		lr, err := t.readLine(in.LineID)
		if err != nil {
			return res, err
		}
		st, lineID = lr.settings, in.LineID
		r = session.New(newID(), in.WorkspaceID, res.DialogID, lineID, st, at)
		if err := t.insertSession(&r); err != nil {
			return res, err
		}
		sessionID, status, operatorID = sql.NullString{String: r.ID, Valid: true}, r.Status, sql.NullString{}
	}
	res.SessionID = sessionID.String
	res.MessageID = newID()
	if _, err := t.exec(qInsertMessage, res.MessageID, in.WorkspaceID, res.DialogID, res.SessionID, in.ChannelID, dialog.In, nil, in.ExternalID, in.Text, at); err != nil {
		return res, err
	}
	said := in.Text
	if in.File != nil {
		if err := t.insertAttachment(in.WorkspaceID, res.DialogID, res.MessageID, in.File, at); err != nil {
			return res, err
		}
		said = "" // a file is no answer to a rating request, whatever its name
	}
	// Screens get the customer's message before what it causes (auto-replies).
	t.emit(customerMessageCreated(in, res, lineID))
	if existing {
		var err error
		if status, operatorID, lineID, err = t.customerWrote(in.WorkspaceID, sessionID.String, said, at); err != nil {
			return res, err
		}
	} else {
		next, fx := session.Open(r, st, at)
		if _, err := t.apply(&r, &next, fx, at); err != nil {
			return res, err
		}
	}
	if _, err := t.exec(qTouchDialog, res.DialogID, at, res.SessionID, status, operatorID); err != nil {
		return res, err
	}
	if lineID != dialogOnLine {
		if _, err := t.exec(qSetDialogLine, res.DialogID, lineID); err != nil {
			return res, err
		}
	}
	return res, nil
}

// customerWrote applies a customer message to an open session (the state
// machine's CustomerWrote) and returns the session's status, operator and
// line afterwards.
func (t *tx) customerWrote(wsID, sessionID, text string, at int64) (string, sql.NullString, string, error) {
	fail := func(err error) (string, sql.NullString, string, error) { return "", sql.NullString{}, "", err }
	r, lr, err := t.readSession(sessionID)
	if err != nil {
		return fail(err)
	}
	if !session.Unchanged(&r, lr.settings, at, false) {
		// A change may move load: lock the line, then the session, as every
		// routing decision does.
		if r, lr, err = t.lockSession(wsID, sessionID); err != nil {
			return fail(err)
		}
		gone := ""
		if session.ChecksOperator(&r) {
			if gone, err = t.operatorGone(lr, &r, at); err != nil {
				return fail(err)
			}
		}
		next, fx := session.CustomerWrote(r, lr.settings, at, text, gone)
		if _, err := t.apply(&r, &next, fx, at); err != nil {
			return fail(err)
		}
		r = next
	}
	return r.Status, sql.NullString{String: r.OperatorID, Valid: r.OperatorID != ""}, r.LineID, nil
}

// customerMessageCreated is the event of a stored customer message, with
// the message itself for the screens.
func customerMessageCreated(in dialog.Inbound, res dialog.InboundResult, lineID string) events.Event {
	ext := in.ExternalID
	return events.Event{Type: events.MessageCreated, WorkspaceID: in.WorkspaceID, LineID: lineID, DialogID: res.DialogID,
		SessionID: res.SessionID, MessageID: res.MessageID, At: in.At, Customer: in.ChannelID + "/" + in.Customer.ExternalID, Data: &dialog.Message{ID: res.MessageID, DialogID: res.DialogID,
			SessionID: &res.SessionID, Direction: dialog.In, Kind: dialog.KindText, ExternalID: &ext, Text: in.Text, CreatedAt: in.At, Attachment: in.File}}
}

// operatorGone tells why (a reason code) the operator of r can no longer
// serve it on its line, or "" when they still can (session.OperatorGone).
func (t *tx) operatorGone(lr lineRules, r *sessionRow, at int64) (string, error) {
	var f session.Serving
	var status string
	var lastSeen int64
	if err := t.row(qOperatorServes, []any{r.OperatorID, lr.id, at}, &f.Active, &f.InQueue, &status, &lastSeen, &f.Absent); err != nil {
		return "", err
	}
	f.Online = routing.Online(status, lastSeen, at)
	return session.OperatorGone(r, lr.settings, f), nil
}

// readSession reads a session and its line's rules, without locks.
func (t *tx) readSession(id string) (sessionRow, lineRules, error) {
	var r sessionRow
	var lr lineRules
	var js string
	var updated int64
	err := t.row(qReadSession, []any{id}, &r.ID, &r.WorkspaceID, &r.DialogID, &r.LineID, &r.Status, nullable(&r.OperatorID), nullable(&r.OfferedAlone),
		&r.Answered, &r.Pinned, &r.OffHours, &r.OpenedAt, &r.QueuedAt, nullableInt(&r.FirstResponseAt), nullableInt(&r.ClosedAt),
		nullableInt(&r.OfferDeadline), &r.Tried, &r.Direct, &r.OffHoursSent, &r.Rated, nullable(&r.RatingToken), nullableInt(&r.RatingRequestedAt),
		&lr.workspaceID, &lr.active, &js, &updated)
	if err != nil {
		return r, lr, err
	}
	lr.id = r.LineID
	lr.settings, err = t.s.settings.get(lr.id, updated, js)
	lr.rules = routing.RulesOf(lr.settings)
	return r, lr, err
}
