package httpapi

import (
	"sync"

	"github.com/openlines/openlines/internal/access"
	"time"

	"github.com/openlines/openlines/internal/events"
	"github.com/openlines/openlines/internal/user"
)

// authCacheTTL is how long a resolved credential is believed without
// asking the database again. Revocation (sign-out, deactivation, a new
// password, a deleted token) and any change of the user drop entries at
// once through the bus, so the TTL only bounds what a lost event could
// leave behind.
const authCacheTTL = 5 * time.Second

// authCacheMax bounds the entries; beyond it the cache is emptied.
const authCacheMax = 50_000

// authCache remembers recently resolved credentials (by the hash of their
// secret): token authentication was one query per request, 15–17% of the
// CPU under inbound load.
type authCache struct {
	mu  sync.Mutex
	m   map[string]authEntry // credential hash → entry
	now func() time.Time
}

type authEntry struct {
	user    user.User
	rights  access.Rights
	channel string    // a channel key's channel ("" for a user's credential)
	expires time.Time // the sign-in's end (zero for a token)
	until   time.Time // the entry's end
}

func newAuthCache() *authCache { return &authCache{m: map[string]authEntry{}, now: time.Now} }

func (c *authCache) get(hash string) (authEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	now := c.now()
	if !ok || !now.Before(e.until) || (!e.expires.IsZero() && !now.Before(e.expires)) {
		delete(c.m, hash)
		return authEntry{}, false
	}
	return e, true
}

func (c *authCache) put(hash string, u user.User, rights access.Rights, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= authCacheMax {
		clear(c.m)
	}
	c.m[hash] = authEntry{user: u, rights: rights, expires: expires, until: c.now().Add(authCacheTTL)}
}

// putChannel remembers a channel key: the channel of workspace wsID.
func (c *authCache) putChannel(hash, wsID, channelID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= authCacheMax {
		clear(c.m)
	}
	c.m[hash] = authEntry{user: user.User{WorkspaceID: wsID}, channel: channelID, until: c.now().Add(authCacheTTL)}
}

// forgetChannel drops every key of a channel.
func (c *authCache) forgetChannel(channelID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if e.channel != "" && e.channel == channelID {
			delete(c.m, k)
		}
	}
}

// drop forgets one credential.
func (c *authCache) drop(hash string) {
	c.mu.Lock()
	delete(c.m, hash)
	c.mu.Unlock()
}

// forget drops every entry of a user.
func (c *authCache) forget(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if e.user.ID == userID {
			delete(c.m, k)
		}
	}
}

// forgetWorkspace drops every entry of a workspace (its rights changed).
func (c *authCache) forgetWorkspace(wsID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if e.user.WorkspaceID == wsID {
			delete(c.m, k)
		}
	}
}

// OnEvents keeps the credential cache true: subscribe it to the bus.
func (s *Server) OnEvents(evs []events.Event) {
	for _, ev := range evs {
		switch ev.Type {
		case events.AuthRevoked, events.UserChanged:
			for _, u := range ev.UserIDs {
				s.auth.forget(u)
			}
		case events.RightsChanged:
			s.auth.forgetWorkspace(ev.WorkspaceID)
		case events.KeyRevoked:
			s.auth.forgetChannel(ev.Reason)
		}
	}
}
