package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openlines/openlines/internal/access"
	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/user"
)

// SessionCookie names the sign-in cookie.
const SessionCookie = "openlines_session"

// principal is who makes a request, with their rights.
type principal struct {
	User   user.User
	Rights access.Rights
	// ViaCookie is true for a browser session, false for an API token.
	ViaCookie bool
	// Channel, for a channel key, is the one channel whose inbound it may
	// post to; User then names only the workspace (no user acts).
	Channel string
	// credHash is the hash of the cookie's or token's secret; expires is
	// when a cookie session ends (zero for a token).
	credHash string
	expires  time.Time
}

func (p principal) ws() string { return p.User.WorkspaceID }

// authenticate resolves the caller and their rights from a bearer token or
// the session cookie, and enforces the route's rule.
func (s *Server) authenticate(r *http.Request, acc rule) (principal, error) {
	if acc.public {
		return principal{}, nil
	}
	var p principal
	var err error
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return p, apperr.New(apperr.Unauthorized, "the Authorization header must be \"Bearer <token>\"")
		}
		tok = strings.TrimSpace(tok)
		p.credHash = user.HashSecret(tok)
		if strings.HasPrefix(tok, ChannelKeyPrefix) {
			return s.channelKey(r, acc, p)
		}
		if e, ok := s.auth.get(p.credHash); ok && e.channel == "" {
			p.User, p.Rights = e.user, e.rights
		} else if p.User, err = s.store.UserByAPIToken(r.Context(), p.credHash); err == nil {
			if p.Rights, err = s.store.Rights(r.Context(), p.User, p.credHash); err == nil {
				s.auth.put(p.credHash, p.User, p.Rights, time.Time{})
			}
		}
	} else if c, cerr := r.Cookie(SessionCookie); cerr == nil && c.Value != "" {
		p.ViaCookie = true
		p.credHash = user.HashSecret(c.Value)
		if e, ok := s.auth.get(p.credHash); ok && e.channel == "" {
			p.User, p.Rights, p.expires = e.user, e.rights, e.expires
		} else if p.User, p.expires, err = s.store.AuthSession(r.Context(), p.credHash); err == nil {
			if p.Rights, err = s.store.Rights(r.Context(), p.User, ""); err == nil {
				s.auth.put(p.credHash, p.User, p.Rights, p.expires)
			}
		}
	} else {
		return p, apperr.New(apperr.Unauthorized, "sign in or send an API token")
	}
	if err != nil {
		return p, err
	}
	if acc.perm != "" {
		if err := p.Rights.Need(acc.perm); err != nil {
			return p, err
		}
	}
	return p, nil
}

// ChannelKeyPrefix starts every channel key's secret.
const ChannelKeyPrefix = "olc_"

// channelKey resolves a channel key: it is accepted only by the routes of a
// channel's own inbound (rule.channel), whose handlers check that the path
// names its channel (channelOf).
func (s *Server) channelKey(r *http.Request, acc rule, p principal) (principal, error) {
	if e, ok := s.auth.get(p.credHash); ok && e.channel != "" {
		p.User, p.Channel = e.user, e.channel
	} else {
		c, err := s.store.ChannelByKey(r.Context(), p.credHash)
		if err != nil {
			return p, err
		}
		s.auth.putChannel(p.credHash, c.WorkspaceID, c.ID)
		p.User, p.Channel = user.User{WorkspaceID: c.WorkspaceID}, c.ID
	}
	if !acc.channel {
		return p, apperr.New(apperr.Forbidden, "a channel key only posts to its own channel (messages, typing); this needs a user's token")
	}
	return p, nil
}

// channelOf is the channel a request's path names, refused (not found)
// when the caller is another channel's key.
func channelOf(r *http.Request, p principal) (string, error) {
	id := r.PathValue("id")
	if p.Channel != "" && p.Channel != id {
		return "", apperr.NotFoundf("channel %s not found", id)
	}
	return id, nil
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ principal) error {
	var req loginRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	wrong := apperr.New(apperr.Unauthorized, "wrong e-mail or password")
	email, err := user.NormalizeEmail(req.Email)
	if err != nil || req.Password == "" || len(req.Password) > 1024 {
		return wrong
	}
	ip := s.clientIP(r)
	if ok, wait := s.logins.reserve(email, ip); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return apperr.New(apperr.RateLimited, "too many failed sign-ins; try again in %d minutes", int(wait.Minutes())+1)
	}
	u, err := s.store.UserByEmail(r.Context(), email)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		s.logins.release(email, ip)
		return err
	}
	found := err == nil
	var match bool
	if err := s.withHashSlot(r.Context(), func() {
		if found {
			match = user.CheckPassword(u.PasswordHash, req.Password)
		} else {
			user.BurnPasswordCheck(req.Password) // the same time as a real check
		}
	}); err != nil {
		s.logins.release(email, ip)
		return err
	}
	if !found || !match || !u.Active {
		return wrong // the reservation stands as the failure
	}
	s.logins.succeed(email, ip)
	secret, hash, err := user.NewSecret("ols_")
	if err != nil {
		return err
	}
	exp, err := s.store.CreateAuthSession(r.Context(), u.ID, hash, s.cfg.SessionTTL)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: secret, Path: "/", Expires: exp, MaxAge: int(time.Until(exp).Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies || s.isHTTPS(r),
	})
	writeJSON(w, http.StatusOK, map[string]any{"user": u, "expires_at": exp})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ principal) error {
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		hash := user.HashSecret(c.Value)
		if err := s.store.DeleteAuthSession(r.Context(), hash); err != nil {
			return err
		}
		s.auth.drop(hash) // this node at once; others through auth.revoked
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.cfg.SecureCookies || s.isHTTPS(r)})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, p principal) error {
	ws, err := s.store.GetWorkspace(r.Context(), p.ws())
	if err != nil {
		return err
	}
	pr, err := s.store.GetPresence(r.Context(), p.User.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": p.User, "workspace": ws, "presence": pr, "permissions": p.Rights.Grants})
	return nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, p principal) error {
	var req struct {
		Name string `json:"name"`
		// Permissions narrows the token to a subset of its user's rights.
		Permissions json.RawMessage `json:"permissions"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" || len(req.Name) > 200 {
		return apperr.FieldError("name", "is required, at most 200 characters")
	}
	limit, err := tokenPermissions(req.Permissions, p)
	if err != nil {
		return err
	}
	secret, hash, err := user.NewSecret("olt_")
	if err != nil {
		return err
	}
	tok, err := s.store.CreateAPIToken(r.Context(), p.User, req.Name, hash, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": tok, "secret": secret})
	return nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, p principal) error {
	ts, err := s.store.ListAPITokens(r.Context(), p.ws(), p.User.ID)
	return writeList(w, "tokens", ts, err)
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := s.store.DeleteAPIToken(r.Context(), p.ws(), p.User.ID, r.PathValue("id")); err != nil {
		return err
	}
	s.auth.forget(p.User.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
