// Package access is the rights model of SPEC §9 and the one place where a
// caller's rights are decided: the permission catalogue with scopes, the
// predefined roles, custom roles' validation, and the scope rules that the
// HTTP routes, the dialog list's SQL filter and the WebSocket hub all call.
//
// Scopes (none < own < team < all) say whose sessions a permission covers:
//
//   - own: the sessions I hold, am offered, or joined;
//   - team: own, plus the sessions held by anyone of the teams I belong to,
//     as a member or as a head;
//   - all: the whole workspace.
//
// Permissions without a scope (lines.edit, settings.edit, …) are none or all.
package access

import (
	"encoding/json"
	"fmt"
	"github.com/openlines/openlines/internal/input"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/openlines/openlines/internal/apperr"
)

// Permission names one right of the catalogue.
type Permission string

// The catalogue (SPEC §9).
const (
	LinesView        Permission = "lines.view"
	LinesEdit        Permission = "lines.edit"
	ChannelsConnect  Permission = "channels.connect"
	DialogsView      Permission = "dialogs.view"
	DialogsJoin      Permission = "dialogs.join"
	DialogsIntercept Permission = "dialogs.intercept"
	DialogsVote      Permission = "dialogs.vote"
	StatsView        Permission = "stats.view"
	QuickAnswersEdit Permission = "quick_answers.edit"
	RolesEdit        Permission = "roles.edit"
	SettingsEdit     Permission = "settings.edit"
)

// Entry describes a permission of the catalogue.
type Entry struct {
	Permission Permission `json:"permission"`
	// Scoped permissions take own and team besides none and all.
	Scoped bool `json:"scoped"`
}

// Catalogue lists every permission in display order.
var Catalogue = []Entry{
	{LinesView, false}, {LinesEdit, false}, {ChannelsConnect, false},
	{DialogsView, true}, {DialogsJoin, true}, {DialogsIntercept, true}, {DialogsVote, true},
	{StatsView, true}, {QuickAnswersEdit, false}, {RolesEdit, false}, {SettingsEdit, false},
}

func entry(p Permission) (Entry, bool) {
	for _, e := range Catalogue {
		if e.Permission == p {
			return e, true
		}
	}
	return Entry{}, false
}

// Scope is how far a permission reaches.
type Scope int

// Scopes, in order.
const (
	None Scope = iota
	Own
	Team
	All
)

var scopeNames = []string{"none", "own", "team", "all"}

func (s Scope) String() string {
	if s < None || s > All {
		return "none"
	}
	return scopeNames[s]
}

// MarshalText writes the scope's name.
func (s Scope) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a scope's name.
func (s *Scope) UnmarshalText(b []byte) error {
	i := slices.Index(scopeNames, string(b))
	if i < 0 {
		return apperr.New(apperr.Invalid, "%q is not a scope (none, own, team or all)", string(b))
	}
	*s = Scope(i)
	return nil
}

// Grants are a role's permissions with their scopes; an absent permission
// is none. In JSON an object such as {"dialogs.view":"team"}.
type Grants map[Permission]Scope

// Get returns the scope of p (none when absent).
func (g Grants) Get(p Permission) Scope { return g[p] }

// Validate checks that every permission is of the catalogue and that
// unscoped ones are none or all; it drops the none entries.
func (g Grants) Validate(field string) error {
	for p, s := range g {
		e, ok := entry(p)
		if !ok {
			return apperr.FieldError(field, "unknown permission %q (one of %s)", p, catalogueNames())
		}
		if s < None || s > All {
			return apperr.FieldError(field+"."+string(p), "is not a scope")
		}
		if !e.Scoped && (s == Own || s == Team) {
			return apperr.FieldError(field+"."+string(p), "takes no scope: none or all")
		}
		if s == None {
			delete(g, p)
		}
	}
	return nil
}

func catalogueNames() string {
	var ns []string
	for _, e := range Catalogue {
		ns = append(ns, string(e.Permission))
	}
	return strings.Join(ns, ", ")
}

// Narrow returns the permissions of g no wider than limit's (an API token
// made with a subset of its user's rights). A nil limit narrows nothing.
func (g Grants) Narrow(limit Grants) Grants {
	if limit == nil {
		return g
	}
	out := Grants{}
	for p, s := range g {
		if l := limit[p]; l < s {
			s = l
		}
		if s > None {
			out[p] = s
		}
	}
	return out
}

// Covers reports whether g reaches at least as far as other on every
// permission.
func (g Grants) Covers(other Grants) bool {
	for p, s := range other {
		if g[p] < s {
			return false
		}
	}
	return true
}

// Encode is the stored form: JSON with the permissions sorted.
func (g Grants) Encode() string {
	b, _ := json.Marshal(g) // map keys are sorted by encoding/json
	return string(b)
}

// DecodeGrants reads the stored form.
func DecodeGrants(s string) (Grants, error) {
	g := Grants{}
	if s == "" {
		return g, nil
	}
	if err := json.Unmarshal([]byte(s), &g); err != nil {
		return nil, err
	}
	return g, nil
}

// The predefined roles' keys.
const (
	Administrator = "administrator"
	Director      = "director"
	Manager       = "manager"
)

// Role is a predefined or custom role.
type Role struct {
	// Key is the predefined role's key or the custom role's id.
	Key        string `json:"key"`
	Name       string `json:"name"`
	Predefined bool   `json:"predefined"`
	Grants     Grants `json:"permissions"`
	// Users holds how many users have the role (filled by the store).
	Users int `json:"users"`
}

func allGrants(except ...Permission) Grants {
	g := Grants{}
	for _, e := range Catalogue {
		if !slices.Contains(except, e.Permission) {
			g[e.Permission] = All
		}
	}
	return g
}

// Predefined lists the roles every workspace has; they cannot be changed or
// deleted, so they never lose their meaning.
func Predefined() []Role {
	return []Role{
		{Key: Administrator, Name: "Administrator", Predefined: true, Grants: allGrants()},
		{Key: Director, Name: "Director", Predefined: true, Grants: allGrants(LinesEdit, ChannelsConnect, RolesEdit, SettingsEdit)},
		{Key: Manager, Name: "Manager", Predefined: true, Grants: Grants{DialogsView: Own, StatsView: Own}},
	}
}

// PredefinedRole returns the predefined role of key.
func PredefinedRole(key string) (Role, bool) {
	for _, r := range Predefined() {
		if r.Key == key {
			return r, true
		}
	}
	return Role{}, false
}

// IsPredefined reports whether key names a predefined role.
func IsPredefined(key string) bool {
	_, ok := PredefinedRole(key)
	return ok
}

// Guardians are the permissions a workspace must never lose: the last
// user who holds one of them cannot lose it.
var Guardians = []Permission{RolesEdit, SettingsEdit}

// sortedUnique returns ids sorted without repeats or empties.
func sortedUnique(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// Department is a team: people who see each other's sessions at team
// scope. (The type is not called Team because Team is the scope.)
type Department struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	Members   []TeamMember `json:"members"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
}

// TeamMember is one person of a team; a head leads it.
type TeamMember struct {
	UserID string `json:"user_id"`
	Head   bool   `json:"head"`
}

// ValidateTeam checks a team's name and members (no repeats).
func ValidateTeam(t *Department) error {
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" || len(t.Name) > 100 {
		return apperr.FieldError("name", "is required, at most 100 characters")
	}
	if err := input.Text("name", t.Name); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, m := range t.Members {
		if !input.ID(m.UserID) {
			return apperr.FieldError(fmt.Sprintf("members[%d].user_id", i), "%q is not a user id", m.UserID)
		}
		if seen[m.UserID] {
			return apperr.FieldError(fmt.Sprintf("members[%d].user_id", i), "%s is listed twice", m.UserID)
		}
		seen[m.UserID] = true
	}
	return nil
}
