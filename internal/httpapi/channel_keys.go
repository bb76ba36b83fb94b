package httpapi

import (
	"net/http"

	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/user"
)

// Channel keys (SPEC §11): a channel's own credential, so that a connector
// posts its channel's customer messages (and typing) without any user's
// token. A key is shown once, when made; the store keeps its hash. It is
// accepted only by the inbound routes of its own channel.

// channelKeyCreated is a new key with its secret, shown this once.
type channelKeyCreated struct {
	store.ChannelKey
	Secret string `json:"secret"`
}

func (s *Server) newChannelKey(r *http.Request, p principal, channelID string) (channelKeyCreated, error) {
	secret, hash, err := user.NewSecret(ChannelKeyPrefix)
	if err != nil {
		return channelKeyCreated{}, err
	}
	k, err := s.store.CreateChannelKey(r.Context(), p.ws(), channelID, hash, keyHint(secret))
	return channelKeyCreated{k, secret}, err
}

// keyHint is what a key's list shows of its secret: its first characters.
func keyHint(secret string) string { return secret[:len(ChannelKeyPrefix)+6] }

func (s *Server) listChannelKeys(w http.ResponseWriter, r *http.Request, p principal) error {
	ks, err := s.store.ListChannelKeys(r.Context(), p.ws(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": ks})
	return nil
}

// createChannelKey makes another key (to rotate: make one, move the
// connector to it, delete the old).
func (s *Server) createChannelKey(w http.ResponseWriter, r *http.Request, p principal) error {
	k, err := s.newChannelKey(r, p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, k)
	return nil
}

func (s *Server) deleteChannelKey(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := s.store.DeleteChannelKey(r.Context(), p.ws(), r.PathValue("id"), r.PathValue("key_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
