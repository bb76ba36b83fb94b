package httpapi

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/openlines/openlines/internal/access"
	"github.com/openlines/openlines/internal/dialog"
)

// exportDialogs streams the dialog list as CSV (issue 15): the list's
// filters and scope, every matching dialog, newest activity first, read
// page by page so that memory stays flat whatever the count. UTF-8 with a
// byte-order mark so that Excel reads Cyrillic; times in the workspace's
// time zone; a cell that a spreadsheet would take for a formula (starting
// with = + - @, a tab or a carriage return) is prefixed with an apostrophe.
func (s *Server) exportDialogs(w http.ResponseWriter, r *http.Request, p principal) error {
	f, err := listFilter(r, p)
	if err != nil {
		return err
	}
	ctx := r.Context()
	_, loc, err := s.workspaceZone(r, p)
	if err != nil {
		return err
	}
	lines := map[string]string{}
	ls, err := s.store.ListLines(ctx, p.ws())
	if err != nil {
		return err
	}
	for _, l := range ls {
		lines[l.ID] = l.Name
	}
	users := map[string]string{}
	us, err := s.store.ListUsers(ctx, p.ws(), within(p, access.DialogsView))
	if err != nil {
		return err
	}
	for _, u := range us {
		users[u.ID] = u.Name
	}
	channels := map[string]string{}
	channelName := func(id string) string {
		if n, ok := channels[id]; ok {
			return n
		}
		c, err := s.store.GetChannel(ctx, p.ws(), id)
		channels[id] = c.Name
		if err != nil {
			channels[id] = ""
		}
		return channels[id]
	}
	f.Limit = 2000
	page, err := s.store.ListDialogs(ctx, p.ws(), f)
	if err != nil {
		return err // nothing written yet: a proper error answer
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="dialogs-`+s.store.Now().In(loc).Format("2006-01-02")+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte("\uFEFF"))
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	cw.Write(exportHeader)
	rc := http.NewResponseController(w)
	row := make([]string, len(exportHeader))
	for {
		for i := range page.Dialogs {
			exportRow(row, &page.Dialogs[i], loc, lines, users, channelName)
			cw.Write(row)
		}
		cw.Flush()
		rc.Flush() // an error is the client gone: the next write fails too
		if page.NextCursor == "" || cw.Error() != nil {
			return nil
		}
		f.Cursor = page.NextCursor
		if page, err = s.store.ListDialogs(ctx, p.ws(), f); err != nil {
			// The answer has begun: all that can be done is to cut it short,
			// which the client sees as a truncated download.
			logger(r).Error("dialog export stopped", "err", err)
			panic(http.ErrAbortHandler)
		}
	}
}

var exportHeader = []string{"dialog_id", "session_id", "status", "line", "channel", "customer", "customer_external_id", "customer_email",
	"customer_phone", "operator", "opened_at", "first_response_at", "closed_at", "last_message_at", "answered", "off_hours",
	"rating_scale", "rating", "rating_comment", "last_message"}

func exportRow(row []string, d *dialog.Dialog, loc *time.Location, lines, users map[string]string, channel func(string) string) {
	tm := func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return ""
		}
		return t.In(loc).Format("2006-01-02 15:04:05")
	}
	for i := range row {
		row[i] = ""
	}
	row[0], row[2], row[3], row[4] = d.ID, d.Status, lines[d.LineID], channel(d.ChannelID)
	row[5], row[6], row[7], row[8] = d.Customer.Name, d.Customer.ExternalID, d.Customer.Email, d.Customer.Phone
	if d.OperatorID != nil {
		row[9] = users[*d.OperatorID]
		if row[9] == "" {
			row[9] = *d.OperatorID
		}
	}
	last := d.LastMessageAt
	row[13] = tm(&last)
	if ss := d.Session; ss != nil {
		opened := ss.OpenedAt
		row[1], row[10], row[11], row[12] = ss.ID, tm(&opened), tm(ss.FirstResponseAt), tm(ss.ClosedAt)
		row[14], row[15] = strconv.FormatBool(ss.Answered), strconv.FormatBool(ss.OffHours)
		if rt := ss.Rating; rt != nil {
			row[16], row[17], row[18] = rt.Scale, strconv.Itoa(rt.Value), rt.Comment
		}
	}
	if d.LastMessage != nil {
		row[19] = d.LastMessage.Text
	}
	for i, v := range row {
		row[i] = csvSafe(v)
	}
}

// csvSafe neutralises a cell a spreadsheet would evaluate as a formula.
func csvSafe(v string) string {
	if v != "" {
		switch v[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return "'" + v
		}
	}
	return v
}
