package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openlines/openlines/internal/access"
	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

func (s *Server) registerAPI() {
	s.handle("POST /api/v1/auth/login", public, s.login)
	s.handle("POST /api/v1/auth/logout", public, s.logout)
	s.handle("GET /api/v1/me", member, s.me)
	s.handle("GET /api/v1/tokens", member, s.listTokens)
	s.handle("POST /api/v1/tokens", member, s.createToken)
	s.handle("DELETE /api/v1/tokens/{id}", member, s.deleteToken)

	s.handle("GET /api/v1/workspace", member, s.getWorkspace)
	s.handle("PATCH /api/v1/workspace", needs(access.SettingsEdit), s.patchWorkspace)
	s.registerRights()

	s.handle("GET /api/v1/users", member, s.listUsers)
	s.handle("POST /api/v1/users", needs(access.SettingsEdit), s.createUser)
	s.handle("GET /api/v1/users/{id}", member, s.getUser)
	s.handle("PATCH /api/v1/users/{id}", member, s.patchUser)
	s.handle("POST /api/v1/users/{id}/deactivate", needs(access.SettingsEdit), s.deactivateUser)

	s.handle("GET /api/v1/lines", member, s.listLines)
	s.handle("POST /api/v1/lines", needs(access.LinesEdit), s.createLine)
	s.handle("GET /api/v1/lines/{id}", needs(access.LinesView), s.getLine)
	s.handle("PATCH /api/v1/lines/{id}", needs(access.LinesEdit), s.patchLine)
	s.handle("DELETE /api/v1/lines/{id}", needs(access.LinesEdit), s.deleteLine)
	s.handle("GET /api/v1/lines/{id}/channels", needs(access.LinesView), s.listChannels)
	s.handle("POST /api/v1/lines/{id}/channels", needs(access.ChannelsConnect), s.createChannel)
	s.handle("GET /api/v1/channels/{id}", member, s.getChannel)
	s.handle("POST /api/v1/channels/{id}/messages", inboundOf, s.inbound)
	s.handle("GET /api/v1/channels/{id}/keys", needs(access.ChannelsConnect), s.listChannelKeys)
	s.handle("POST /api/v1/channels/{id}/keys", needs(access.ChannelsConnect), s.createChannelKey)
	s.handle("DELETE /api/v1/channels/{id}/keys/{key_id}", needs(access.ChannelsConnect), s.deleteChannelKey)

	s.handle("GET /api/v1/dialogs", member, s.listDialogs)
	s.handle("GET /api/v1/dialogs/export", member, s.exportDialogs)
	s.handle("GET /api/v1/dialogs/{id}", member, s.getDialog)
	s.handle("GET /api/v1/dialogs/{id}/messages", member, s.listMessages)
	s.handle("GET /api/v1/dialogs/{id}/sessions", member, s.dialogHistory)
	s.handle("POST /api/v1/dialogs/{id}/messages", member, s.reply)
	s.handle("POST /api/v1/dialogs/{id}/read", member, s.markRead)
	s.registerRouting()
	s.registerWidget()
	s.registerFiles()
	s.registerChannelAdmin()
	s.registerQuickAnswers()
	s.registerStats()
}

// --- workspace ---

type workspaceView struct {
	workspace.Workspace
	LineLimit   *int `json:"line_limit"` // null: unlimited
	ActiveLines int  `json:"active_lines"`
}

func (s *Server) workspaceView(r *http.Request, wsID string) (workspaceView, error) {
	ws, err := s.store.GetWorkspace(r.Context(), wsID)
	if err != nil {
		return workspaceView{}, err
	}
	ls, err := s.store.ListLines(r.Context(), wsID)
	if err != nil {
		return workspaceView{}, err
	}
	v := workspaceView{Workspace: ws}
	if n := ws.Plan.LineLimit(); n != workspace.Unlimited {
		v.LineLimit = &n
	}
	for _, l := range ls {
		if l.Active {
			v.ActiveLines++
		}
	}
	return v, nil
}

func (s *Server) getWorkspace(w http.ResponseWriter, r *http.Request, p principal) error {
	v, err := s.workspaceView(r, p.ws())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) patchWorkspace(w http.ResponseWriter, r *http.Request, p principal) error {
	var req struct {
		Name     *string `json:"name"`
		Plan     *string `json:"plan"`
		Timezone *string `json:"timezone"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	var plan workspace.Plan
	if req.Plan != nil {
		if !p.User.ServerAdmin {
			return apperr.New(apperr.Forbidden, "only a server administrator may change the plan")
		}
		var err error
		if plan, err = workspace.ParsePlan(*req.Plan); err != nil {
			return err
		}
	}
	if req.Name != nil {
		name := strings.TrimSpace(*req.Name)
		if name == "" || len(name) > 200 {
			return apperr.FieldError("name", "is required, at most 200 characters")
		}
		if err := s.store.RenameWorkspace(r.Context(), p.ws(), name); err != nil {
			return err
		}
	}
	if req.Timezone != nil {
		// The statistics are recomputed in the new zone (store).
		if err := s.store.SetWorkspaceTimezone(r.Context(), p.ws(), *req.Timezone); err != nil {
			return err
		}
	}
	deactivated := []string{}
	if req.Plan != nil {
		ids, err := s.store.SetPlan(r.Context(), p.ws(), plan)
		if err != nil {
			return err
		}
		deactivated = append(deactivated, ids...)
	}
	v, err := s.workspaceView(r, p.ws())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"workspace": v, "deactivated_line_ids": deactivated})
	return nil
}

// --- users ---

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, p principal) error {
	us, err := s.store.ListUsers(r.Context(), p.ws(), peopleScope(p))
	return writeList(w, "users", us, err)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := s.seeUser(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	u, err := s.store.GetUser(r.Context(), p.ws(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

type userRequest struct {
	Email    *string `json:"email"`
	Name     *string `json:"name"`
	Password *string `json:"password"`
	Role     *string `json:"role"`
	Active   *bool   `json:"active"`
	Locale   *string `json:"locale"`

	hash string // of Password, computed before any transaction (argon2 is slow)
}

// hashPassword validates and hashes a new password outside the transaction,
// so that the single SQLite writer is never held for an argon2 computation.
func (req *userRequest) hashPassword(s *Server, ctx context.Context) error {
	if req.Password == nil {
		return nil
	}
	if err := user.ValidatePassword(*req.Password); err != nil {
		return err
	}
	var err error
	if serr := s.withHashSlot(ctx, func() { req.hash, err = user.HashPassword(*req.Password) }); serr != nil {
		return serr
	}
	return err
}

// apply validates the request's fields onto u.
func (req *userRequest) apply(u *user.User) error {
	var err error
	if req.Email != nil {
		if u.Email, err = user.NormalizeEmail(*req.Email); err != nil {
			return err
		}
	}
	if req.Name != nil {
		if u.Name, err = user.ValidateName(*req.Name); err != nil {
			return err
		}
	}
	if req.Role != nil {
		if u.Role, err = user.ParseRole(*req.Role); err != nil {
			return err
		}
	}
	if req.Active != nil {
		u.Active = *req.Active
	}
	if req.Locale != nil {
		if err := user.ValidateLocale(*req.Locale); err != nil {
			return err
		}
		u.Locale = *req.Locale
	}
	if req.hash != "" {
		u.PasswordHash = req.hash
	}
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, p principal) error {
	var req userRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"email", req.Email}, {"name", req.Name}, {"password", req.Password}, {"role", req.Role}} {
		if f.v == nil {
			return apperr.FieldError(f.name, "is required")
		}
	}
	u := user.User{WorkspaceID: p.ws(), Active: true}
	if err := req.apply(&u); err != nil {
		return err
	}
	if err := req.hashPassword(s, r.Context()); err != nil {
		return err
	}
	u.PasswordHash = req.hash
	u, err := s.store.CreateUser(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request, p principal) error {
	var req userRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := s.seeUser(r.Context(), p, id); err != nil {
		return err
	}
	if p.Rights.Narrowed {
		return apperr.New(apperr.Forbidden, "an API token narrowed to some permissions cannot change accounts")
	}
	if !p.Rights.Can(access.SettingsEdit) {
		// Others may change their own name, password and language only.
		if id != p.User.ID {
			return apperr.New(apperr.Forbidden, "changing other users needs the settings.edit permission")
		}
		if req.Email != nil || req.Role != nil || req.Active != nil {
			return apperr.New(apperr.Forbidden, "changing e-mail, role or active needs the settings.edit permission")
		}
	}
	if err := req.hashPassword(s, r.Context()); err != nil {
		return err
	}
	u, err := s.store.UpdateUser(r.Context(), p.ws(), id, req.apply)
	s.auth.forget(id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) deactivateUser(w http.ResponseWriter, r *http.Request, p principal) error {
	u, err := s.store.UpdateUser(r.Context(), p.ws(), r.PathValue("id"), func(u *user.User) error { u.Active = false; return nil })
	s.auth.forget(r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// --- lines ---

// lineRequest is a line's JSON with every field optional: absent fields keep
// their current (or default) value. working_hours.week merges by weekday.
// The read-only fields are accepted and ignored, so a client may send back
// the object it read.
type lineRequest struct {
	Name   *string `json:"name"`
	Active *bool   `json:"active"`
	line.Settings

	ID          json.RawMessage `json:"id"`
	WorkspaceID json.RawMessage `json:"workspace_id"`
	CreatedAt   json.RawMessage `json:"created_at"`
	UpdatedAt   json.RawMessage `json:"updated_at"`
}

// listLines lists every line for lines.view; anyone else gets the names
// of the lines they work on, which the inbox shows.
func (s *Server) listLines(w http.ResponseWriter, r *http.Request, p principal) error {
	if !p.Rights.Can(access.LinesView) {
		ls, err := s.store.LineNames(r.Context(), p.ws(), p.User.ID)
		return writeList(w, "lines", ls, err)
	}
	ls, err := s.store.ListLines(r.Context(), p.ws())
	return writeList(w, "lines", ls, err)
}

func (s *Server) getLine(w http.ResponseWriter, r *http.Request, p principal) error {
	l, err := s.store.GetLine(r.Context(), p.ws(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *Server) createLine(w http.ResponseWriter, r *http.Request, p principal) error {
	req := lineRequest{Settings: line.DefaultsIn(callerLocale(r, p))}
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return apperr.FieldError("name", "is required")
	}
	name, err := line.ValidateName(*req.Name)
	if err != nil {
		return err
	}
	if req.Active != nil && !*req.Active {
		return apperr.FieldError("active", "a new line is active; deactivate it after creating it")
	}
	if err := req.Settings.Validate(); err != nil {
		return err
	}
	l, err := s.store.CreateLine(r.Context(), p.ws(), name, req.Settings)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, l)
	return nil
}

func (s *Server) patchLine(w http.ResponseWriter, r *http.Request, p principal) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	l, err := s.store.UpdateLine(r.Context(), p.ws(), r.PathValue("id"), func(l *line.Line) error {
		req := lineRequest{Settings: l.Settings}
		if err := decodeInto(body, &req); err != nil {
			return err
		}
		if req.Name != nil {
			name, err := line.ValidateName(*req.Name)
			if err != nil {
				return err
			}
			l.Name = name
		}
		if req.Active != nil {
			l.Active = *req.Active
		}
		if err := req.Settings.Validate(); err != nil {
			return err
		}
		l.Settings = req.Settings
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *Server) deleteLine(w http.ResponseWriter, r *http.Request, p principal) error {
	var req struct {
		Confirm *string `json:"confirm"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Confirm == nil {
		return apperr.FieldError("confirm", "is required: send the line's name to confirm deleting it with all its dialogs")
	}
	// The line's files go from the blob store once the rows are gone (a
	// file sent meanwhile stays on disk, unreferenced: harmless).
	files, err := s.store.LineAttachments(r.Context(), p.ws(), r.PathValue("id"))
	if err != nil {
		return err
	}
	err = s.store.DeleteLine(r.Context(), p.ws(), r.PathValue("id"), func(l line.Line) error {
		if *req.Confirm != l.Name {
			return apperr.FieldError("confirm", "does not match the line's name %q; nothing was deleted", l.Name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range files {
		if s.cfg.Files == nil {
			break
		}
		if err := s.cfg.Files.Delete(context.WithoutCancel(r.Context()), id); err != nil {
			logger(r).Warn("files: delete a deleted line's file", "file", id, "error", err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- channels ---

func (s *Server) listChannels(w http.ResponseWriter, r *http.Request, p principal) error {
	cs, err := s.store.ListChannels(r.Context(), p.ws(), r.PathValue("id"))
	return writeList(w, "channels", cs, err)
}

func (s *Server) createChannel(w http.ResponseWriter, r *http.Request, p principal) error {
	var req struct {
		Type     string          `json:"type"`
		Name     string          `json:"name"`
		Settings json.RawMessage `json:"settings"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := channel.ValidateType(req.Type); err != nil {
		return err
	}
	name, err := channel.ValidateName(req.Name, req.Type)
	if err != nil {
		return err
	}
	if req.Type == channel.TypeWidget {
		return s.newWidgetChannel(w, r, p, name, req.Settings)
	}
	if len(req.Settings) > 0 && string(req.Settings) != "null" {
		return apperr.FieldError("settings", "a %s channel has no settings", req.Type)
	}
	// With its first key, shown this once: what the connector posts with.
	secret, hash, err := user.NewSecret(ChannelKeyPrefix)
	if err != nil {
		return err
	}
	c, k, err := s.store.CreateChannelWithKey(r.Context(), channel.Channel{WorkspaceID: p.ws(), LineID: r.PathValue("id"), Type: req.Type, Name: name},
		hash, keyHint(secret))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		channel.Channel
		Key channelKeyCreated `json:"key"`
	}{c, channelKeyCreated{k, secret}})
	return nil
}

// getChannel answers the whole channel with lines.view. Anyone else of the
// workspace gets its id and kind only: the inbox draws each dialog's
// channel icon from it (dialogs carry channel_id), and operators seldom
// have lines.view. A kind tells nothing the dialog does not already show.
func (s *Server) getChannel(w http.ResponseWriter, r *http.Request, p principal) error {
	c, err := s.store.GetChannel(r.Context(), p.ws(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if !p.Rights.Can(access.LinesView) {
		writeJSON(w, http.StatusOK, struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		}{c.ID, c.Type})
		return nil
	}
	h, err := s.store.ChannelHealth(r.Context(), c.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		channel.Channel
		Health store.ChannelHealth `json:"health"`
	}{c, h})
	return nil
}

// inbound takes a customer message from a connector: 201 when new, 200 with
// the first delivery's ids when the external id was seen before.
func (s *Server) inbound(w http.ResponseWriter, r *http.Request, p principal) error {
	var req struct {
		Customer struct {
			ExternalID string `json:"external_id"`
			Name       string `json:"name"`
		} `json:"customer"`
		Message struct {
			ExternalID string `json:"external_id"`
			Text       string `json:"text"`
		} `json:"message"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	channelID, err := channelOf(r, p)
	if err != nil {
		return err
	}
	in := dialog.Inbound{
		WorkspaceID: p.ws(), ChannelID: channelID,
		Customer:   dialog.Customer{ExternalID: req.Customer.ExternalID, Name: req.Customer.Name},
		ExternalID: req.Message.ExternalID, Text: req.Message.Text,
	}
	if err := in.Validate(); err != nil {
		return err
	}
	ch, lineActive, err := s.store.InboundTarget(r.Context(), p.ws(), in.ChannelID)
	if err != nil {
		return err
	}
	if !ch.Active || !lineActive {
		return apperr.New(apperr.Conflict, "channel %s or its line is not active; the message was not accepted", ch.ID)
	}
	in.LineID = ch.LineID
	res, err := s.store.Ingest(r.Context(), in)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	} else {
		s.inbounds.WithLabelValues(ch.Type).Inc()
	}
	writeJSON(w, status, res)
	return nil
}

// --- dialogs ---

func validStatus(st string) bool {
	for _, v := range dialog.Statuses {
		if v == st {
			return true
		}
	}
	return false
}

func timeParam(v, name string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, apperr.FieldError(name, "%q is not an RFC 3339 time such as 2026-01-31T09:00:00Z", v)
	}
	return t, nil
}

func intParam(v, name string, def, lo, hi int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, apperr.FieldError(name, "%q is not a number in %d..%d", v, lo, hi)
	}
	return n, nil
}

func (s *Server) getDialog(w http.ResponseWriter, r *http.Request, p principal) error {
	if _, err := s.seeDialog(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	d, err := s.store.GetDialog(r.Context(), p.ws(), r.PathValue("id"))
	if err != nil {
		return err
	}
	ds := []dialog.Dialog{d}
	if err := s.store.FillUnread(r.Context(), p.User.ID, ds); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ds[0])
	return nil
}

// markRead moves the caller's read marker of the dialog to now: its
// unread count is 0 on every screen of the caller, after a reload too.
func (s *Server) markRead(w http.ResponseWriter, r *http.Request, p principal) error {
	id := r.PathValue("id")
	if _, err := s.seeDialog(r.Context(), p, id); err != nil {
		return err
	}
	if err := s.store.MarkRead(r.Context(), p.ws(), p.User.ID, id, time.Now()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request, p principal) error {
	limit, err := intParam(r.URL.Query().Get("limit"), "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	if _, err := s.seeDialog(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	ms, err := s.store.ListMessages(r.Context(), p.ws(), r.PathValue("id"), r.URL.Query().Get("after"), limit)
	return writeList(w, "messages", ms, err)
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request, p principal) error {
	f, err := s.seeDialog(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeToDialog(w, r, p, func(ctx context.Context, wsID, dialogID, userID, text string) (dialog.Message, error) {
		return s.store.AddOperatorReply(ctx, wsID, dialogID, store.Writer{UserID: userID, MayIntercept: p.Rights.Covers(access.DialogsIntercept, f)}, text)
	})
}

// writeToDialog takes {"text"} for the dialog of the path and stores it with add.
func (s *Server) writeToDialog(w http.ResponseWriter, r *http.Request, p principal,
	add func(ctx context.Context, wsID, dialogID, userID, text string) (dialog.Message, error)) error {
	var req struct {
		Text string `json:"text"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := dialog.ValidateText("text", req.Text); err != nil {
		return err
	}
	m, err := add(r.Context(), p.ws(), r.PathValue("id"), p.User.ID, req.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

// callerLocale is the caller's interface language: the one they chose, or
// the browser's first language.
func callerLocale(r *http.Request, p principal) string {
	if p.User.Locale != "" {
		return p.User.Locale
	}
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(r.Header.Get("Accept-Language"))), "ru") {
		return "ru"
	}
	return "en"
}
