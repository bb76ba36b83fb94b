package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/openlines/openlines/internal/access"
	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/channel/widget"
	"github.com/openlines/openlines/internal/store"
)

// A widget channel's administration: its settings, its identity secret
// (sealed at rest with the server key, package secret) and, for every
// channel, its health.

func (s *Server) registerChannelAdmin() {
	s.handle("PATCH /api/v1/channels/{id}", needs(access.ChannelsConnect), s.patchChannel)
	s.handle("GET /api/v1/channels/{id}/identity-secret", needs(access.ChannelsConnect), s.getIdentitySecret)
	s.handle("POST /api/v1/channels/{id}/identity-secret", needs(access.ChannelsConnect), s.rotateIdentitySecret)
}

// secretContext binds a sealed identity secret to its channel's row.
func secretContext(channelID string) string { return "channels.identity_secret:" + channelID }

func (s *Server) openSecret(sealed, channelID string) (string, error) {
	if sealed == "" {
		return "", apperr.New(apperr.Conflict, "channel %s has no identity secret", channelID)
	}
	b, err := s.secrets.Open(sealed, secretContext(channelID))
	if err != nil {
		return "", apperr.Wrap(err, "open the channel's identity secret")
	}
	return string(b), nil
}

// newWidgetChannel creates a widget channel: settings validated, an
// identity secret made and sealed, in one insert.
func (s *Server) newWidgetChannel(w http.ResponseWriter, r *http.Request, p principal, name string, raw json.RawMessage) error {
	st, err := widget.Parse(raw)
	if err != nil {
		return err
	}
	js, err := json.Marshal(st)
	if err != nil {
		return err
	}
	id := store.NewID()
	c, err := s.store.CreateChannel(r.Context(), channel.Channel{ID: id, WorkspaceID: p.ws(), LineID: r.PathValue("id"), Type: channel.TypeWidget, Name: name,
		Settings: js, IdentitySecret: s.secrets.Seal([]byte(widget.NewIdentitySecret()), secretContext(id))})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) patchChannel(w http.ResponseWriter, r *http.Request, p principal) error {
	var req struct {
		Name     *string         `json:"name"`
		Active   *bool           `json:"active"`
		Settings json.RawMessage `json:"settings"`
	}
	if _, err := s.store.GetChannel(r.Context(), p.ws(), r.PathValue("id")); err != nil {
		return err // an unknown channel is 404 whatever the body
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	c, err := s.store.UpdateChannel(r.Context(), p.ws(), r.PathValue("id"), func(c *channel.Channel) error {
		if req.Name != nil {
			name, err := channel.ValidateName(*req.Name, c.Type)
			if err != nil {
				return err
			}
			c.Name = name
		}
		if req.Active != nil {
			c.Active = *req.Active
		}
		if len(req.Settings) > 0 && string(req.Settings) != "null" {
			if c.Type != channel.TypeWidget {
				return apperr.FieldError("settings", "a %s channel has no settings", c.Type)
			}
			cur, err := widget.Parse(c.Settings)
			if err != nil {
				return err
			}
			next, err := widget.Merge(cur, req.Settings)
			if err != nil {
				return err
			}
			if c.Settings, err = json.Marshal(next); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) widgetChannelOf(r *http.Request, p principal) (channel.Channel, error) {
	c, err := s.store.GetChannel(r.Context(), p.ws(), r.PathValue("id"))
	if err != nil {
		return c, err
	}
	if c.Type != channel.TypeWidget {
		return c, apperr.New(apperr.Conflict, "channel %s is a %s channel: only a widget has an identity secret", c.ID, c.Type)
	}
	return c, nil
}

func (s *Server) getIdentitySecret(w http.ResponseWriter, r *http.Request, p principal) error {
	c, err := s.widgetChannelOf(r, p)
	if err != nil {
		return err
	}
	sealed, err := s.store.ChannelSecret(r.Context(), p.ws(), c.ID)
	if err != nil {
		return err
	}
	secret, err := s.openSecret(sealed, c.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"secret": secret})
	return nil
}

func (s *Server) rotateIdentitySecret(w http.ResponseWriter, r *http.Request, p principal) error {
	c, err := s.widgetChannelOf(r, p)
	if err != nil {
		return err
	}
	secret := widget.NewIdentitySecret()
	if err := s.store.SetChannelSecret(r.Context(), p.ws(), c.ID, s.secrets.Seal([]byte(secret), secretContext(c.ID))); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"secret": secret})
	return nil
}
