package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/session"
)

var (
	// qDialogState reads a dialog's channel and latest session without a
	// lock: writers then lock the session's line and the session, the one
	// lock order of the store (line, session, dialog).
	qDialogState = q(`SELECT d.id, d.channel_id, d.session_id, s.status, s.operator_id FROM dialogs d LEFT JOIN sessions s ON s.id = d.session_id
		WHERE d.workspace_id = $1 AND d.id = $2`)
)

// The dialog list reads one table plus the customer and the latest session.
const dialogSelect = `SELECT d.id, d.workspace_id, d.line_id, d.channel_id, d.status, d.operator_id, d.created_at, d.last_message_at,
	c.id, c.external_id, c.name, c.email, c.phone,
	s.id, s.line_id, s.status, s.operator_id, s.answered, s.pinned, s.off_hours, s.opened_at, s.first_response_at, s.closed_at,
	rt.scale, rt.value, rt.comment, rt.created_at,
	lm.text, lm.direction, lm.kind, lm.created_at
	FROM dialogs d JOIN customers c ON c.id = d.customer_id LEFT JOIN sessions s ON s.id = d.session_id
	LEFT JOIN ratings rt ON rt.session_id = d.session_id
	LEFT JOIN messages lm ON lm.id = (SELECT m.id FROM messages m WHERE m.dialog_id = d.id AND m.kind = 'text'
		ORDER BY m.created_at DESC, m.id DESC LIMIT 1)`

func scanDialog(sc interface{ Scan(...any) error }) (dialog.Dialog, error) {
	var d dialog.Dialog
	var op, sid, sline, sstatus, sop sql.NullString
	var created, last int64
	var answered, pinned, offHours sql.NullBool
	var opened, firstResp, closed, ratedAt, ratingValue sql.NullInt64
	var scale, comment, lmText, lmDir, lmKind sql.NullString
	var lmAt sql.NullInt64
	err := sc.Scan(&d.ID, &d.WorkspaceID, &d.LineID, &d.ChannelID, &d.Status, &op, &created, &last,
		&d.Customer.ID, &d.Customer.ExternalID, &d.Customer.Name, &d.Customer.Email, &d.Customer.Phone,
		&sid, &sline, &sstatus, &sop, &answered, &pinned, &offHours, &opened, &firstResp, &closed,
		&scale, &ratingValue, &comment, &ratedAt, &lmText, &lmDir, &lmKind, &lmAt)
	if err != nil {
		return d, err
	}
	d.OperatorID = fromNullString(op)
	d.CreatedAt, d.LastMessageAt = fromMicros(created), fromMicros(last)
	if lmText.Valid {
		d.LastMessage = &dialog.LastMessage{Text: lmText.String, Direction: lmDir.String, Kind: lmKind.String, CreatedAt: fromMicros(lmAt.Int64)}
	}
	if sid.Valid {
		d.Session = &dialog.Session{
			ID: sid.String, DialogID: d.ID, LineID: sline.String, Status: sstatus.String, OperatorID: fromNullString(sop), OfferedTo: []string{},
			Answered: answered.Bool, Pinned: pinned.Bool, OffHours: offHours.Bool, OpenedAt: fromMicros(opened.Int64),
			FirstResponseAt: fromNullMicros(firstResp), ClosedAt: fromNullMicros(closed),
		}
		if scale.Valid {
			d.Session.Rating = &dialog.Rating{Scale: scale.String, Value: int(ratingValue.Int64), Comment: comment.String, CreatedAt: fromMicros(ratedAt.Int64)}
		}
	}
	return d, nil
}

// GetDialog returns a dialog of the workspace with its customer and latest session.
func (s *Store) GetDialog(ctx context.Context, wsID, id string) (dialog.Dialog, error) {
	d, err := scanDialog(s.read.QueryRowContext(ctx, dialogSelect+` WHERE d.workspace_id = $1 AND d.id = $2`, wsID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, apperr.NotFoundf("dialog %s not found", id)
	}
	if err == nil {
		ds := []dialog.Dialog{d}
		err = s.fillOffers(ctx, ds)
		d = ds[0]
	}
	return d, dbErr(err, "get dialog")
}

// ListDialogs returns one page of the workspace's dialogs, most recent
// activity first, paged by a keyset cursor on (last_message_at, id).
func (s *Store) ListDialogs(ctx context.Context, wsID string, f dialog.ListFilter) (dialog.Page, error) {
	if f.Scope != nil && !f.Scope.All {
		return s.listScoped(ctx, wsID, f)
	}
	var where strings.Builder
	args := []any{wsID}
	where.WriteString(` WHERE d.workspace_id = $1`)
	if f.Search != "" {
		if p, done, err := s.listSearch(ctx, wsID, f); done || err != nil {
			return p, err
		}
	}
	filterDialogs(&where, &args, f, false)
	filterSearch(&where, &args, f.Search)
	s.filterHistory(&where, &args, f)
	if f.Cursor != "" {
		at, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return dialog.Page{}, err
		}
		args = append(args, at, id)
		fmt.Fprintf(&where, " AND (d.last_message_at < $%d OR (d.last_message_at = $%d AND d.id < $%d))", len(args)-1, len(args)-1, len(args))
	}
	limit := pageLimit(f)
	args = append(args, limit+1)
	rows, err := s.read.QueryContext(ctx, dialogSelect+where.String()+fmt.Sprintf(" ORDER BY d.last_message_at DESC, d.id DESC LIMIT $%d", len(args)), args...)
	return s.dialogPage(ctx, rows, err, limit)
}

func pageLimit(f dialog.ListFilter) int {
	if f.Limit <= 0 {
		return 50
	}
	return f.Limit
}

// filterDialogs appends the list filters on the dialogs' columns. off
// writes them so that no index can serve them (an empty string appended, a zero added, in both
// engines): within a caller's scope the scope finds the rows, and a
// planner that walked a line's or a status's index instead would read
// every other operator's dialogs looking for the caller's.
func filterDialogs(where *strings.Builder, args *[]any, f dialog.ListFilter, off bool) {
	add := func(col, op string, v any) {
		if off {
			if col == "d.last_message_at" {
				col += " + 0"
			} else {
				col += " || ''"
			}
		}
		*args = append(*args, v)
		fmt.Fprintf(where, " AND %s %s $%d", col, op, len(*args))
	}
	if f.LineID != "" {
		add("d.line_id", "=", f.LineID)
	}
	if f.ChannelID != "" {
		add("d.channel_id", "=", f.ChannelID)
	}
	if f.Status == dialog.StatusOpen {
		where.WriteString(" AND d.status NOT IN ('closed','spam')")
	} else if f.Status != "" {
		add("d.status", "=", f.Status)
	}
	if f.OperatorID != "" {
		add("d.operator_id", "=", f.OperatorID)
	}
	if f.OfferedTo != "" {
		*args = append(*args, f.OfferedTo)
		fmt.Fprintf(where, " AND d.session_id IN (SELECT session_id FROM session_offers WHERE user_id = $%d)", len(*args))
	}
	if !f.From.IsZero() {
		add("d.last_message_at", ">=", micros(f.From))
	}
	if !f.To.IsZero() {
		add("d.last_message_at", "<", micros(f.To))
	}
}

// dialogPage reads a page of dialogs (one more than limit tells whether
// another page follows) with their offers.
func (s *Store) dialogPage(ctx context.Context, rows *sql.Rows, err error, limit int) (dialog.Page, error) {
	if err != nil {
		return dialog.Page{}, dbErr(err, "list dialogs")
	}
	ds, err := collect(rows, scanDialog)
	if err != nil {
		return dialog.Page{}, dbErr(err, "list dialogs")
	}
	p := dialog.Page{Dialogs: ds}
	if len(ds) > limit {
		p.Dialogs = ds[:limit]
		last := p.Dialogs[limit-1]
		p.NextCursor = encodeCursor(micros(last.LastMessageAt), last.ID)
	}
	return p, dbErr(s.fillOffers(ctx, p.Dialogs), "list dialogs")
}

// fillOffers loads who is offered each open session, in one query.
func (s *Store) fillOffers(ctx context.Context, ds []dialog.Dialog) error {
	var ss []*dialog.Session
	for i := range ds {
		if se := ds[i].Session; se != nil {
			ss = append(ss, se)
		}
	}
	return s.offersOf(ctx, ss)
}

// offersOf fills OfferedTo of each queued session of ss, in one query.
func (s *Store) offersOf(ctx context.Context, ss []*dialog.Session) error {
	byID := map[string]*dialog.Session{}
	var args []any
	var marks []string
	for _, se := range ss {
		if se.Status == dialog.StatusQueued {
			byID[se.ID] = se
			args = append(args, se.ID)
			marks = append(marks, fmt.Sprintf("$%d", len(args)))
		}
	}
	if len(args) == 0 {
		return nil
	}
	rows, err := s.read.QueryContext(ctx, `SELECT session_id, user_id FROM session_offers WHERE session_id IN (`+strings.Join(marks, ",")+`)
		ORDER BY offered_at, user_id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var sid, uid string
		if err := rows.Scan(&sid, &uid); err != nil {
			return err
		}
		byID[sid].OfferedTo = append(byID[sid].OfferedTo, uid)
	}
	return rows.Err()
}

func encodeCursor(at int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at, 10) + ":" + id))
}

func decodeCursor(c string) (int64, string, error) {
	bad := apperr.FieldError("cursor", "is not a cursor this server returned")
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", bad
	}
	at, id, ok := strings.Cut(string(b), ":")
	if u, err := uuid.Parse(id); !ok || err != nil || u.String() != id {
		return 0, "", bad // the id goes to SQL: no NUL or invalid UTF-8 from a forged cursor
	}
	n, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		return 0, "", bad
	}
	return n, id, nil
}

const messageCols = `m.id, m.dialog_id, m.session_id, m.direction, m.kind, m.author_id, m.external_id, m.text, m.created_at,
	CASE WHEN m.kind = 'rating_request' THEN (SELECT rating_token FROM sessions s WHERE s.id = m.session_id) END, m.meta,
	CASE WHEN m.direction = 'out' THEN (SELECT o.state FROM outbox o WHERE o.message_id = m.id) END,
	CASE WHEN m.direction = 'out' THEN (SELECT o.last_error FROM outbox o WHERE o.message_id = m.id) END,
	a.id, a.name, a.content_type, a.size, a.sha256`

// messageFrom is what messageCols read from: a message with its file.
const messageFrom = `messages m LEFT JOIN attachments a ON a.message_id = m.id`

func scanMessage(sc interface{ Scan(...any) error }) (dialog.Message, error) {
	var m dialog.Message
	var sid, author, ext, token, meta, state, lastErr, fileID, fileName, fileType, fileHash sql.NullString
	var created int64
	var fileSize sql.NullInt64
	err := sc.Scan(&m.ID, &m.DialogID, &sid, &m.Direction, &m.Kind, &author, &ext, &m.Text, &created, &token, &meta, &state, &lastErr,
		&fileID, &fileName, &fileType, &fileSize, &fileHash)
	m.RatingToken = token.String
	if fileID.Valid {
		m.Attachment = &dialog.Attachment{ID: fileID.String, Name: fileName.String, ContentType: fileType.String, Size: fileSize.Int64,
			Image: dialog.IsImage(fileType.String), SHA256: fileHash.String}
	}
	if state.Valid {
		m.Delivery = &dialog.Delivery{State: state.String, Error: lastErr.String}
	}
	if meta.Valid && meta.String != "" {
		var ev dialog.Event
		if json.Unmarshal([]byte(meta.String), &ev) == nil {
			m.Event = &ev
		}
	}
	m.SessionID, m.AuthorID, m.ExternalID = fromNullString(sid), fromNullString(author), fromNullString(ext)
	m.CreatedAt = fromMicros(created)
	return m, err
}

// ListMessages returns a dialog's messages in order, after the message id
// `after` when given, at most limit of them.
func (s *Store) ListMessages(ctx context.Context, wsID, dialogID, after string, limit int) ([]dialog.Message, error) {
	if _, err := s.GetDialog(ctx, wsID, dialogID); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	query := `SELECT ` + messageCols + ` FROM ` + messageFrom + ` WHERE m.workspace_id = $1 AND m.dialog_id = $2`
	args := []any{wsID, dialogID}
	if after != "" {
		var at int64
		err := s.read.QueryRowContext(ctx, `SELECT created_at FROM messages WHERE dialog_id = $1 AND id = $2`, dialogID, after).Scan(&at)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, apperr.FieldError("after", "message %s is not in this dialog", after)
		}
		if err != nil {
			return nil, dbErr(err, "list messages")
		}
		query += ` AND (m.created_at > $3 OR (m.created_at = $3 AND m.id > $4))`
		args = append(args, at, after)
	}
	args = append(args, limit)
	rows, err := s.read.QueryContext(ctx, query+fmt.Sprintf(` ORDER BY m.created_at, m.id LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, dbErr(err, "list messages")
	}
	ms, err := collect(rows, scanMessage)
	return ms, dbErr(err, "list messages")
}

// AddOperatorMessage is AddOperatorReply by a writer without the intercept
// right.
func (s *Store) AddOperatorMessage(ctx context.Context, wsID, dialogID, userID, text string) (dialog.Message, error) {
	return s.AddOperatorReply(ctx, wsID, dialogID, Writer{UserID: userID}, text)
}

// Writer is who writes into a dialog (session.Writer).
type Writer = session.Writer

// AddOperatorReply appends an operator's reply to the dialog's open
// session (the state machine's OperatorWrote: SPEC §4).
func (s *Store) AddOperatorReply(ctx context.Context, wsID, dialogID string, wr Writer, text string) (dialog.Message, error) {
	return s.addOperatorReply(ctx, wsID, dialogID, wr, text, nil)
}

func (s *Store) addOperatorReply(ctx context.Context, wsID, dialogID string, wr Writer, text string, file *dialog.Attachment) (dialog.Message, error) {
	var m dialog.Message
	err := s.inTx(ctx, func(t *tx) error {
		var id, channelID string
		var sid, status, op sql.NullString
		err := t.row(qDialogState, []any{wsID, dialogID}, &id, &channelID, &sid, &status, &op)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("dialog %s not found", dialogID)
		}
		if err != nil {
			return err
		}
		if !sid.Valid || !dialog.IsOpen(status.String) {
			return apperr.New(apperr.Conflict, "the dialog has no open session; the customer has to write first")
		}
		r, lr, err := t.lockSession(wsID, sid.String)
		if err != nil {
			return err
		}
		var f session.ReplyFacts
		needOffered, needJoined, needCounted := session.ReplyNeeds(&r, wr)
		if needOffered {
			if f.Offered, err = queryStrings(t, qSessionOffered, r.ID); err != nil {
				return err
			}
		}
		if needJoined {
			if f.Joined, err = t.joined(r.ID, wr.UserID); err != nil {
				return err
			}
		}
		if needCounted {
			var l session.Load
			err := t.row(qLineLoadOf, []any{lr.id, wr.UserID}, &l.Open, &l.Answered, &l.Waiting, &l.Closing)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			f.Counted = l.Counted(lr.settings.LimitExcludes)
		}
		at := micros(s.now())
		next, fx, err := session.OperatorWrote(r, lr.settings, at, wr, text, f)
		if err != nil {
			return err
		}
		if file != nil {
			for i, e := range fx {
				if snd, ok := e.(session.Send); ok && snd.Author == wr.UserID {
					snd.File = file
					fx[i] = snd
				}
			}
		}
		sent, err := t.apply(&r, &next, fx, at)
		if err != nil {
			return err
		}
		for _, sm := range sent {
			if sm.AuthorID != nil {
				m = sm
			}
		}
		_, err = t.exec(qTouchDialog, dialogID, at, r.ID, next.Status, next.OperatorID)
		return err
	})
	return m, dbErr(err, "add message")
}

// DialogOfSession returns the dialog id of a session of the workspace.
func (s *Store) DialogOfSession(ctx context.Context, wsID, sessionID string) (string, error) {
	return s.dialogOf(ctx, "sessions", "session", wsID, sessionID)
}

// MessageDialog returns the dialog id of a message of the workspace.
func (s *Store) MessageDialog(ctx context.Context, wsID, messageID string) (string, error) {
	return s.dialogOf(ctx, "messages", "message", wsID, messageID)
}

// dialogOf returns the dialog_id of the row id of table (sessions,
// messages: a constant, never input) of the workspace.
func (s *Store) dialogOf(ctx context.Context, table, what, wsID, id string) (string, error) {
	var d string
	err := s.read.QueryRowContext(ctx, `SELECT dialog_id FROM `+table+` WHERE workspace_id = $1 AND id = $2`, wsID, id).Scan(&d)
	if errors.Is(err, sql.ErrNoRows) {
		return "", apperr.NotFoundf("%s %s not found", what, id)
	}
	return d, dbErr(err, "find the dialog of a "+what)
}

// DialogOfCustomer returns the dialog of a customer (by external id) on a
// channel of the workspace.
func (s *Store) DialogOfCustomer(ctx context.Context, wsID, channelID, externalID string) (string, error) {
	var id string
	err := s.read.QueryRowContext(ctx, `SELECT d.id FROM dialogs d JOIN customers c ON c.id = d.customer_id
		WHERE d.workspace_id = $1 AND d.channel_id = $2 AND c.external_id = $3`, wsID, channelID, externalID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", apperr.NotFoundf("no dialog of customer %s on channel %s", externalID, channelID)
	}
	return id, dbErr(err, "find dialog")
}

var qJoined = q(`SELECT COUNT(*) FROM session_participants WHERE session_id = $1 AND user_id = $2`)

// joined reports whether the user joined the session.
func (t *tx) joined(sessionID, userID string) (bool, error) {
	var n int
	err := t.row(qJoined, []any{sessionID, userID}, &n)
	return n > 0, err
}
