package access

import (
	"encoding/json"
	"testing"

	"github.com/openlines/openlines/internal/events"
)

func TestPredefinedRolesAreSPEC(t *testing.T) {
	admin, _ := PredefinedRole(Administrator)
	dir, _ := PredefinedRole(Director)
	mgr, _ := PredefinedRole(Manager)
	for _, e := range Catalogue {
		if admin.Grants[e.Permission] != All {
			t.Errorf("administrator lacks %s", e.Permission)
		}
		wantDir := All
		switch e.Permission {
		case LinesEdit, ChannelsConnect, RolesEdit, SettingsEdit:
			wantDir = None
		}
		if dir.Grants.Get(e.Permission) != wantDir {
			t.Errorf("director %s: %v, want %v", e.Permission, dir.Grants.Get(e.Permission), wantDir)
		}
	}
	if len(mgr.Grants) != 2 || mgr.Grants[DialogsView] != Own || mgr.Grants[StatsView] != Own {
		t.Errorf("manager: %v", mgr.Grants)
	}
	// Predefined() hands out copies: changing one changes no role.
	Predefined()[0].Grants[RolesEdit] = None
	if a, _ := PredefinedRole(Administrator); a.Grants[RolesEdit] != All {
		t.Error("a predefined role was changed through Predefined()")
	}
}

func TestGrantsValidate(t *testing.T) {
	for _, tc := range []struct {
		json string
		ok   bool
	}{
		{`{"dialogs.view":"team","lines.view":"all"}`, true},
		{`{"dialogs.view":"none"}`, true},
		{`{"lines.edit":"own"}`, false},
		{`{"settings.edit":"team"}`, false},
		{`{"dialogs.fly":"all"}`, false},
	} {
		var g Grants
		err := json.Unmarshal([]byte(tc.json), &g)
		if err == nil {
			err = g.Validate("permissions")
		}
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.json, err)
		}
	}
	var g Grants
	if err := json.Unmarshal([]byte(`{"dialogs.view":"everyone"}`), &g); err == nil {
		t.Error("an unknown scope was read")
	}
	g = Grants{DialogsView: None, LinesView: All}
	if g.Validate("p") != nil || len(g) != 1 {
		t.Errorf("none entries are dropped: %v", g)
	}
}

func TestNarrowAndCovers(t *testing.T) {
	role := Grants{DialogsView: All, LinesView: All, StatsView: Team}
	n := role.Narrow(Grants{DialogsView: Own, StatsView: All, SettingsEdit: All})
	if len(n) != 2 || n[DialogsView] != Own || n[StatsView] != Team {
		t.Errorf("narrowed: %v", n)
	}
	if role.Narrow(nil)[LinesView] != All {
		t.Error("a nil limit narrowed")
	}
	if !role.Covers(Grants{DialogsView: Team}) || role.Covers(Grants{SettingsEdit: All}) || role.Covers(Grants{StatsView: All}) {
		t.Error("Covers")
	}
	dec, err := DecodeGrants(role.Encode())
	if err != nil || len(dec) != 3 || dec[StatsView] != Team {
		t.Errorf("round trip: %v %v", dec, err)
	}
}

func TestScopes(t *testing.T) {
	me, mate, other := "me", "mate", "other"
	own := NewRights(me, Manager, Grants{DialogsView: Own}, nil)
	team := NewRights(me, "lead", Grants{DialogsView: Team, DialogsIntercept: Team}, []string{mate, me, mate})
	all := NewRights(me, Director, Grants{DialogsView: All, DialogsIntercept: All}, nil)
	none := NewRights(me, "custom", Grants{}, nil)
	if len(team.Teammates) != 1 || team.Teammates[0] != mate {
		t.Fatalf("teammates: %v", team.Teammates)
	}
	held := func(h string) Session { return Session{Holder: h, Open: true} }
	for _, tc := range []struct {
		name string
		r    Rights
		s    Session
		sees bool
	}{
		{"own holds", own, held(me), true},
		{"own offered", own, Session{Offered: []string{me}, Open: true}, true},
		{"own joined", own, Session{Holder: other, Joined: []string{me}, Open: true}, true},
		{"own other's", own, held(other), false},
		{"own mate's", own, held(mate), false},
		{"team mate's", team, held(mate), true},
		{"team mate offered", team, Session{Offered: []string{mate}, Open: true}, false},
		{"team other's", team, held(other), false},
		{"all other's", all, held(other), true},
		{"none holds open", none, held(me), true},
		{"none holds closed", none, Session{Holder: me}, false},
		{"own holds closed", own, Session{Holder: me}, true},
	} {
		if got := tc.r.Sees(tc.s); got != tc.sees {
			t.Errorf("%s: sees %v", tc.name, got)
		}
	}
	if !team.Covers(DialogsIntercept, held(mate)) || team.Covers(DialogsIntercept, held(other)) || own.Covers(DialogsIntercept, held(me)) {
		t.Error("Covers across holders")
	}
	if sc := own.ListScope(); sc.All || sc.OpenOnly || len(sc.Holders) != 1 {
		t.Errorf("own list scope %+v", sc)
	}
	if sc := none.ListScope(); !sc.OpenOnly {
		t.Errorf("none list scope %+v", sc)
	}
	if sc := team.ListScope(); len(sc.Holders) != 2 {
		t.Errorf("team list scope %+v", sc)
	}
	if all.People(DialogsView) != nil || len(team.People(DialogsView)) != 2 || len(own.People(DialogsView)) != 1 {
		t.Error("People")
	}
}

func TestSeesEvent(t *testing.T) {
	me, mate, other := "me", "mate", "other"
	own := NewRights(me, Manager, Grants{DialogsView: Own}, nil)
	team := NewRights(me, "lead", Grants{DialogsView: Team}, []string{mate})
	all := NewRights(me, Director, Grants{DialogsView: All}, nil)
	presence := events.Event{Type: events.PresenceChanged, UserIDs: []string{other}}
	mates := events.Event{Type: events.MessageCreated, DialogID: "d", SessionID: "s", Holders: []string{mate}, Audience: []string{mate}}
	lost := events.Event{Type: events.SessionTaken, DialogID: "d", SessionID: "s", Holders: []string{other, me}, Audience: []string{me, other}}
	offered := events.Event{Type: events.SessionOffered, DialogID: "d", SessionID: "s", Audience: []string{me}}
	for _, tc := range []struct {
		name string
		r    Rights
		ev   events.Event
		want bool
	}{
		{"presence reaches all", own, presence, true},
		{"own: a mate's message", own, mates, false},
		{"team: a mate's message", team, mates, true},
		{"all: a mate's message", all, mates, true},
		{"own: a session taken from me", own, lost, true},
		{"own: offered to me", own, offered, true},
		{"team: offered to a mate", team, events.Event{Type: events.SessionOffered, SessionID: "s", Audience: []string{mate}}, false},
	} {
		if got := tc.r.SeesEvent(tc.ev); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}
