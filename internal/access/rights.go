package access

import (
	"slices"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/events"
)

// Rights are what a caller may do: their grants (the role's, narrowed by
// an API token's set) and the people their team scope reaches.
type Rights struct {
	UserID string
	Role   string
	Grants Grants
	// Teammates are the other members and heads of every team the user
	// belongs to (as a member or a head), sorted.
	Teammates []string
	// Narrowed is set for an API token made with a subset of its user's
	// rights: it acts within them only, and cannot change the account.
	Narrowed bool
}

// NewRights builds a caller's rights.
func NewRights(userID, role string, g Grants, teammates []string) Rights {
	tm := sortedUnique(teammates)
	if i := slices.Index(tm, userID); i >= 0 {
		tm = slices.Delete(tm, i, i+1)
	}
	return Rights{UserID: userID, Role: role, Grants: g, Teammates: tm}
}

// Can reports whether the caller has p at any scope.
func (r Rights) Can(p Permission) bool { return r.Grants[p] > None }

// Need is Can as an error: 403 naming the permission.
func (r Rights) Need(p Permission) error {
	if r.Can(p) {
		return nil
	}
	return apperr.New(apperr.Forbidden, "this needs the %s permission, which your role does not give", p)
}

// Session is what scope rules need to know about a session: who holds
// it, who is offered it, who joined it, and whether it is still open.
type Session struct {
	Holder  string
	Offered []string
	Joined  []string
	Open    bool
}

// mine reports whether the session is the caller's own.
func (r Rights) mine(s Session) bool {
	return s.Holder == r.UserID || slices.Contains(s.Offered, r.UserID) || slices.Contains(s.Joined, r.UserID)
}

// Covers reports whether p at the caller's scope reaches s.
func (r Rights) Covers(p Permission, s Session) bool {
	switch r.Grants[p] {
	case All:
		return true
	case Team:
		return r.mine(s) || (s.Holder != "" && slices.Contains(r.Teammates, s.Holder))
	case Own:
		return r.mine(s)
	}
	return false
}

// Sees reports whether the caller may see the dialog whose latest session
// is s. Everyone sees the open sessions they hold, are offered or joined
// (they could not work otherwise); dialogs.view widens that to the
// closed ones (own), the team's (team) and everything (all).
func (r Rights) Sees(s Session) bool {
	if r.Covers(DialogsView, s) {
		return true
	}
	return s.Open && r.mine(s)
}

// DialogScope is the dialog list's filter in a form the store turns into
// SQL: All, or the dialogs whose latest session is held by one of Holders
// (open ones only when OpenOnly) or is offered to or joined by Me.
type DialogScope struct {
	All      bool
	Me       string
	Holders  []string
	OpenOnly bool
}

// ListScope is the caller's dialog list filter.
func (r Rights) ListScope() DialogScope {
	switch r.Grants[DialogsView] {
	case All:
		return DialogScope{All: true}
	case Team:
		return DialogScope{Me: r.UserID, Holders: append([]string{r.UserID}, r.Teammates...)}
	case Own:
		return DialogScope{Me: r.UserID, Holders: []string{r.UserID}}
	}
	return DialogScope{Me: r.UserID, Holders: []string{r.UserID}, OpenOnly: true}
}

// People is whose records (users, absences, statistics) a scope of p
// reaches: nil for everyone, else the caller and, at team scope, their
// teammates.
func (r Rights) People(p Permission) []string {
	switch r.Grants[p] {
	case All:
		return nil
	case Team:
		return append([]string{r.UserID}, r.Teammates...)
	}
	return []string{r.UserID}
}

// SeesEvent decides whether a committed event reaches the caller's screen,
// by the same rule as Sees: an event of a session carries its Holders and
// Audience before and after the change, and reaches whoever would see the
// session in either state — so that whoever loses a session hears of it
// too. Events about no session (presence) reach the whole workspace.
func (r Rights) SeesEvent(ev events.Event) bool {
	if ev.SessionID == "" && ev.DialogID == "" {
		return true
	}
	if r.Sees(Session{Offered: ev.Audience, Open: true}) {
		return true
	}
	for _, h := range ev.Holders {
		if r.Sees(Session{Holder: h, Open: true}) {
			return true
		}
	}
	return false
}
