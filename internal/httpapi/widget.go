package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/channel/widget"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/input"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/user"
)

// The widget's public routes (docs/WIDGET.md): no cookie is ever read, a
// visitor is its bearer token (olv_…, only its SHA-256 stored), and every
// answer is for the sites the channel allows (CORS).

// VisitorTokenPrefix starts every widget visitor's token.
const VisitorTokenPrefix = "olv_"

func (s *Server) registerWidget() {
	s.raw("OPTIONS /widget/v1/", s.widgetPreflight)
	s.handle("GET /widget/v1/channels/{id}", public, s.widgetConfig)
	s.handle("POST /widget/v1/channels/{id}/visitors", public, s.widgetNewVisitor)
	s.handle("GET /widget/v1/messages", public, s.widgetMessages)
	s.handle("POST /widget/v1/messages", public, s.widgetSend)
	s.handle("POST /widget/v1/typing", public, s.widgetTyping)
	s.handle("POST /widget/v1/rating", public, s.widgetRate)
	s.handle("POST /widget/v1/seen", public, s.widgetSeen)
	s.raw("GET /widget/v1/socket", s.widgetSocket)
	s.raw("GET /widget.js", func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Web == nil {
			writeError(w, r, apperr.NotFoundf("this server serves no browser application"))
			return
		}
		s.cfg.Web.ServeHTTP(w, r)
	})
}

// widgetPreflight answers CORS preflights of the widget's routes. A
// preflight carries no token, so it cannot tell the channel: it allows
// the asking origin, and the request itself is refused (without CORS
// headers, so the page cannot read the answer) when the channel does not
// list it.
func (s *Server) widgetPreflight(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", o)
		h.Set("Access-Control-Allow-Methods", "GET, POST")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		h.Set("Access-Control-Max-Age", "600")
		h.Add("Vary", "Origin")
	}
	w.WriteHeader(http.StatusNoContent)
}

// widgetTarget is a widget channel with its settings, the line's settings
// and whether it takes messages now.
type widgetTarget struct {
	ch       channel.Channel
	settings widget.Settings
	line     line.Settings
	active   bool
}

// widgetChannel finds a widget channel by id (any workspace) and checks
// that the caller's site may use it, setting the CORS headers when it may.
func (s *Server) widgetChannel(w http.ResponseWriter, r *http.Request, id string) (widgetTarget, error) {
	ch, lineActive, err := s.store.InboundTarget(r.Context(), "", id)
	if err != nil || ch.Type != channel.TypeWidget {
		return widgetTarget{}, apperr.NotFoundf("no widget channel %s", id)
	}
	st, err := widget.Parse(ch.Settings)
	if err != nil {
		return widgetTarget{}, err
	}
	origin := r.Header.Get("Origin")
	if !st.Allows(origin) {
		return widgetTarget{}, apperr.New(apperr.Forbidden, "this site (%s) may not use the widget of channel %s", origin, id).With("origin_not_allowed", nil)
	}
	if origin != "" {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		// The widget reads how long to wait after a 429 (a cross-origin
		// page sees only the safelisted headers otherwise).
		w.Header().Set("Access-Control-Expose-Headers", "Retry-After")
		w.Header().Add("Vary", "Origin")
	}
	l, err := s.store.GetLine(r.Context(), ch.WorkspaceID, ch.LineID)
	if err != nil {
		return widgetTarget{}, err
	}
	return widgetTarget{ch: ch, settings: st, line: l.Settings, active: ch.Active && lineActive}, nil
}

// widgetVisitor authenticates the visitor of a request and their channel.
func (s *Server) widgetVisitor(w http.ResponseWriter, r *http.Request) (store.Visitor, widgetTarget, error) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || !strings.HasPrefix(tok, VisitorTokenPrefix) {
		return store.Visitor{}, widgetTarget{}, apperr.New(apperr.Unauthorized, "the widget's routes need \"Authorization: Bearer olv_…\" (a visitor's token)")
	}
	v, err := s.store.VisitorByToken(r.Context(), user.HashSecret(strings.TrimSpace(tok)))
	if err != nil {
		return v, widgetTarget{}, err
	}
	t, err := s.widgetChannel(w, r, v.ChannelID)
	return v, t, err
}

func (s *Server) widgetConfig(w http.ResponseWriter, r *http.Request, _ principal) error {
	t, err := s.widgetChannel(w, r, r.PathValue("id"))
	if err != nil {
		return err
	}
	if !t.active {
		return apperr.NotFoundf("widget channel %s is not active", t.ch.ID)
	}
	writeJSON(w, http.StatusOK, widget.PublicConfig(t.ch.ID, t.settings, t.line, s.store.Now()))
	return nil
}

func (s *Server) widgetNewVisitor(w http.ResponseWriter, r *http.Request, _ principal) error {
	var req struct {
		Name     string `json:"name"`
		Email    string `json:"email"`
		Phone    string `json:"phone"`
		Locale   string `json:"locale"`
		UserID   string `json:"user_id"`
		UserHash string `json:"user_hash"`
	}
	t, err := s.widgetChannel(w, r, r.PathValue("id"))
	if err != nil {
		return err
	}
	if !t.active {
		return apperr.NotFoundf("widget channel %s is not active", t.ch.ID)
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := limit(w, s.widget.visitorsPerIP, s.clientIP(r), "new conversations from this address"); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"name", req.Name}, {"email", req.Email}, {"phone", req.Phone}, {"user_id", req.UserID}} {
		if len(f.v) > 200 {
			return apperr.FieldError(f.name, "is longer than 200 bytes").With("too_long", map[string]any{"max": 200})
		}
		if err := input.Text(f.name, f.v); err != nil {
			return err
		}
	}
	if req.Email != "" && !plausibleEmail(req.Email) {
		return apperr.FieldError("email", "%q is not an e-mail address", req.Email)
	}
	for _, f := range t.settings.Prechat.Required {
		if v := map[string]string{"name": req.Name, "email": req.Email, "phone": req.Phone}[f]; strings.TrimSpace(v) == "" {
			return apperr.FieldError(f, "is required").With("required", nil)
		}
	}
	id := store.NewID()
	customer := widget.AnonymousCustomer(id)
	if req.UserID != "" || t.settings.IdentityRequired {
		sealed, err := s.store.ChannelSecret(r.Context(), t.ch.WorkspaceID, t.ch.ID)
		if err != nil {
			return err
		}
		secret, err := s.openSecret(sealed, t.ch.ID)
		if err != nil {
			return err
		}
		if req.UserID == "" || !widget.Verify(secret, req.UserID, req.UserHash) {
			return apperr.New(apperr.Forbidden, "the user's identity signature does not match (user_hash must be hex HMAC-SHA256 of user_id with the channel's identity secret)").With("identity_invalid", nil)
		}
		customer = widget.VerifiedCustomer(req.UserID)
	}
	token, hash, err := user.NewSecret(VisitorTokenPrefix)
	if err != nil {
		return err
	}
	contact := dialog.Customer{Name: strings.TrimSpace(req.Name), Email: strings.TrimSpace(req.Email), Phone: strings.TrimSpace(req.Phone)}
	v, err := s.store.CreateVisitor(r.Context(), store.Visitor{ID: id, WorkspaceID: t.ch.WorkspaceID, ChannelID: t.ch.ID, Customer: customer}, hash, contact)
	if err != nil {
		return err
	}
	name := contact.Name
	if name == "" {
		name = contact.Email
	}
	writeJSON(w, http.StatusCreated, map[string]any{"visitor_id": v.ID, "token": token, "customer": map[string]string{"name": name}})
	return nil
}

// plausibleEmail is the widget's check of an e-mail's shape: one @ with
// text on both sides and a dot in the domain. Whether it exists is the
// operator's concern.
func plausibleEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(s, " <>\"")
}

// visitorDialog is the visitor's dialog, "" before their first message.
func (s *Server) visitorDialog(ctx context.Context, v store.Visitor) (string, error) {
	id, err := s.store.DialogOfCustomer(ctx, v.WorkspaceID, v.ChannelID, v.Customer)
	if apperr.Is(err, apperr.NotFound) {
		return "", nil
	}
	return id, err
}

func (s *Server) widgetMessages(w http.ResponseWriter, r *http.Request, _ principal) error {
	v, t, err := s.widgetVisitor(w, r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	lim := 100
	if l := q.Get("limit"); l != "" {
		if lim, err = strconv.Atoi(l); err != nil || lim < 1 || lim > 200 {
			return apperr.FieldError("limit", "must be between 1 and 200").With("out_of_range", map[string]any{"min": 1, "max": 200})
		}
	}
	dialogID, err := s.visitorDialog(r.Context(), v)
	if err != nil {
		return err
	}
	out := struct {
		Messages []*widget.Message `json:"messages"`
		Session  widgetSession     `json:"session"`
	}{Messages: []*widget.Message{}}
	if dialogID != "" {
		if out.Messages, err = s.visitorMessages(r.Context(), v.WorkspaceID, dialogID, q.Get("after"), lim, widget.LineViewOf(t.line)); err != nil {
			return err
		}
		if out.Session, err = s.visitorSession(r.Context(), v.WorkspaceID, dialogID, widget.LineViewOf(t.line)); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// visitorMessages reads a page of the dialog as the visitor sees it.
func (s *Server) visitorMessages(ctx context.Context, wsID, dialogID, after string, limit int, ls widget.LineView) ([]*widget.Message, error) {
	ms, err := s.store.ListMessages(ctx, wsID, dialogID, after, limit)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	out := []*widget.Message{}
	for _, m := range ms {
		if v := widget.View(m, ls, func(id string) string { return s.operatorName(ctx, wsID, id, names) }, s.fileLink); v != nil {
			out = append(out, v)
		}
	}
	return out, nil
}

// operatorName is a user's name for the widget, remembered in names.
func (s *Server) operatorName(ctx context.Context, wsID, id string, names map[string]string) string {
	if n, ok := names[id]; ok {
		return n
	}
	n := ""
	if u, err := s.store.GetUser(ctx, wsID, id); err == nil {
		n = u.Name
	}
	names[id] = n
	return n
}

// widgetSession is the state of the visitor's latest session.
type widgetSession struct {
	Status *string `json:"status"`
	Rating struct {
		Asked bool   `json:"asked"`
		Scale string `json:"scale"`
		Value *int   `json:"value"`
	} `json:"rating"`
}

func (s *Server) visitorSession(ctx context.Context, wsID, dialogID string, ls widget.LineView) (widgetSession, error) {
	var ws widgetSession
	ws.Rating.Scale = ls.RatingScale
	d, err := s.store.GetDialog(ctx, wsID, dialogID)
	if err != nil {
		return ws, err
	}
	if d.Session != nil {
		st := d.Session.Status
		ws.Status = &st
		if d.Session.Rating != nil {
			v := d.Session.Rating.Value
			ws.Rating.Value, ws.Rating.Scale = &v, d.Session.Rating.Scale
		}
	}
	token, err := s.store.RatingAsked(ctx, wsID, dialogID)
	ws.Rating.Asked = token != ""
	return ws, err
}

func (s *Server) widgetSend(w http.ResponseWriter, r *http.Request, _ principal) error {
	var req struct {
		ClientID string `json:"client_id"`
		Text     string `json:"text"`
		Name     string `json:"name"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	v, t, err := s.widgetVisitor(w, r)
	if err != nil {
		return err
	}
	if !t.active {
		return apperr.New(apperr.Conflict, "the widget's channel or its line is not active; the message was not accepted")
	}
	if !validClientID(req.ClientID) {
		return apperr.FieldError("client_id", "is required: an id of at most 64 letters, digits, '-' or '_' that the widget chose")
	}
	if n := len([]rune(req.Text)); n > widget.MaxMessageText {
		return apperr.FieldError("text", "is longer than %d characters", widget.MaxMessageText).With("too_long", map[string]any{"max": widget.MaxMessageText})
	}
	if err := limit(w, s.widget.messagesPerVis, v.ID, "messages"); err != nil {
		return err
	}
	if err := limit(w, s.widget.messagesPerIP, s.clientIP(r), "messages from this address"); err != nil {
		return err
	}
	in := dialog.Inbound{WorkspaceID: v.WorkspaceID, ChannelID: v.ChannelID, LineID: t.ch.LineID,
		Customer:   dialog.Customer{ExternalID: v.Customer, Name: strings.TrimSpace(req.Name)},
		ExternalID: widget.ExternalID(v.ID, req.ClientID), Text: req.Text}
	if err := in.Validate(); err != nil {
		return err
	}
	res, err := s.store.Ingest(r.Context(), in)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	} else {
		s.inbounds.WithLabelValues(widget.Type).Inc()
	}
	client := req.ClientID
	writeJSON(w, status, map[string]any{"message": widget.Message{ID: res.MessageID, Direction: dialog.In, Kind: dialog.KindText,
		Text: req.Text, CreatedAt: s.store.Now().UTC(), ClientID: &client}})
	return nil
}

func (s *Server) widgetTyping(w http.ResponseWriter, r *http.Request, _ principal) error {
	if err := decode(r, &struct{}{}); err != nil {
		return err
	}
	v, _, err := s.widgetVisitor(w, r)
	if err != nil {
		return err
	}
	if err := limit(w, s.widget.typingPerVisitor, v.ID, "typing notices"); err != nil {
		return err
	}
	dialogID, err := s.visitorDialog(r.Context(), v)
	if err != nil {
		return err
	}
	if dialogID != "" {
		if err := s.publishCustomerTyping(r.Context(), v.WorkspaceID, dialogID); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// publishCustomerTyping tells the dialog's operators that the customer types.
func (s *Server) publishCustomerTyping(ctx context.Context, wsID, dialogID string) error {
	ev := events.Event{Type: events.Typing, WorkspaceID: wsID, DialogID: dialogID, Reason: "customer", At: time.Now().UTC()}
	if err := s.typingAudience(ctx, principal{}, &ev, true); err != nil {
		return err
	}
	if s.cfg.Publish != nil {
		s.cfg.Publish([]events.Event{ev})
	}
	return nil
}

func (s *Server) widgetRate(w http.ResponseWriter, r *http.Request, _ principal) error {
	req, err := decodeRating(r)
	if err != nil {
		return err
	}
	v, _, err := s.widgetVisitor(w, r)
	if err != nil {
		return err
	}
	dialogID, err := s.visitorDialog(r.Context(), v)
	if err != nil {
		return err
	}
	token := ""
	if dialogID != "" {
		if token, err = s.store.RatingAsked(r.Context(), v.WorkspaceID, dialogID); err != nil {
			return err
		}
	}
	if token == "" {
		return apperr.New(apperr.Conflict, "no conversation of yours waits for a rating")
	}
	if err := s.store.Rate(r.Context(), token, req.value, req.comment); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) widgetSeen(w http.ResponseWriter, r *http.Request, _ principal) error {
	var req struct {
		MessageID string `json:"message_id"`
		Read      bool   `json:"read"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if !input.ID(req.MessageID) {
		return apperr.FieldError("message_id", "is required: a message's id")
	}
	v, _, err := s.widgetVisitor(w, r)
	if err != nil {
		return err
	}
	dialogID, err := s.visitorDialog(r.Context(), v)
	if err != nil {
		return err
	}
	if dialogID == "" {
		return apperr.NotFoundf("no message %s in your conversation", req.MessageID)
	}
	if err := s.store.MarkSeen(r.Context(), v.WorkspaceID, dialogID, req.MessageID, req.Read); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// validClientID: 1 to 64 of A-Z, a-z, 0-9, '-' and '_' (a UUID fits).
func validClientID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
