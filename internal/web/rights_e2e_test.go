package web_test

// End-to-end tests of the rights model (SPEC §9) in the browser: what each
// predefined role is shown, and the Roles and Teams pages.

import (
	"maps"
	"net/http"
	"slices"
	"testing"

	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/user"
)

// settingsNav are the navigation entries beyond the inbox.
var settingsNav = []string{"lines", "answers", "users", "teams", "roles", "workspace", "audit"}

// navShown lists the navigation entries the page shows.
func (p *page) navShown() []string {
	return p.strings(`[...document.querySelectorAll('nav.nav [data-testid^=nav-]')].map(e => e.dataset.testid.slice(4))`)
}

// goTo follows a link inside the application (a new location.hash).
func (p *page) goTo(hash string) {
	p.t.Helper()
	p.eval(`location.hash = `+jsq(hash)+`; true`, nil)
}

// transferTo gives a session to a user at once, with the administrator's token.
func (e *env) transferTo(sessionID, userID string) {
	e.t.Helper()
	if st := e.api("POST", "/api/v1/sessions/"+sessionID+"/transfer", map[string]string{"user_id": userID}, nil); st != http.StatusOK {
		e.t.Fatalf("transfer %s to %s: status %d", sessionID, userID, st)
	}
}

type apiRole struct {
	Key         string            `json:"key"`
	Name        string            `json:"name"`
	Predefined  bool              `json:"predefined"`
	Permissions map[string]string `json:"permissions"`
	Users       int               `json:"users"`
}

func (e *env) roles() []apiRole {
	e.t.Helper()
	var r struct {
		Roles []apiRole `json:"roles"`
	}
	if st := e.api("GET", "/api/v1/roles", nil, &r); st != http.StatusOK {
		e.t.Fatalf("list roles: status %d", st)
	}
	return r.Roles
}

func (e *env) roleNamed(name string) (apiRole, bool) {
	e.t.Helper()
	for _, r := range e.roles() {
		if r.Name == name {
			return r, true
		}
	}
	return apiRole{}, false
}

// A Manager is shown the inbox only: no settings in the navigation, no
// dialog another operator holds in any list, no supervisor's buttons, and
// a settings link says it is not available. When an administrator makes
// them a Director, their open screen gains the settings without a reload.
func TestManagerSeesOnlyTheInbox(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	pavel := e.user("pavel@acme.test", "Pavel Ivanov", user.Manager)
	_, sales := e.line("Sales", line.ModeEvenly, []string{pavel.ID}, nil)
	_, support := e.line("Support", line.ModeEvenly, []string{olga.ID}, nil)
	po := e.signIn(olga)

	held := e.customer(sales, "anna", "Anna Petrova", "a1", "Where is my order #1042?")
	e.transferTo(held.SessionID, pavel.ID)
	offered := e.customer(support, "boris", "Boris Kuznetsov", "b1", "Can I change the delivery address?")
	po.waitFor("the offer to Olga", `!!document.querySelector('`+itemSel(offered.DialogID)+`')`)

	// SPEC §9: a Manager has dialogs.view and stats.view, both own.
	if got := po.navShown(); !slices.Equal(got, []string{"inbox", "history", "stats"}) {
		t.Fatalf("a Manager's navigation: %v, want the inbox, the history and the statistics", got)
	}
	for _, tab := range []string{"offered", "mine", "queue", "all"} {
		po.click(`[data-testid=tab-` + tab + `]`)
		po.waitFor("the "+tab+" list", `document.querySelector('[data-testid=tab-`+tab+`]').getAttribute('aria-selected') === 'true' &&
			!!document.querySelector('[data-testid=dialog-list] [data-testid=dialog-item], [data-testid=list-empty]')`)
		if slices.Contains(po.listIDs(), held.DialogID) {
			t.Fatalf("the %s list shows the dialog Pavel holds", tab)
		}
	}
	// All lists the manager's own dialog, and still not Pavel's.
	po.waitFor("the offered dialog in All", `!!document.querySelector('`+itemSel(offered.DialogID)+`')`)
	if ids := po.listIDs(); slices.Contains(ids, held.DialogID) || !slices.Contains(ids, offered.DialogID) {
		t.Fatalf("All shows %v: want %s and not %s", ids, offered.DialogID, held.DialogID)
	}

	po.openDialog(offered.DialogID)
	po.waitFor("the take button", `!!document.querySelector('[data-testid=action-take]')`)
	for _, a := range []string{"intercept", "join", "vote"} {
		if ok, _ := po.check(`!!document.querySelector('[data-testid=action-` + a + `]')`); ok {
			t.Errorf("a Manager is offered the %s button", a)
		}
	}

	// A link to a dialog outside the scope is gone, quietly; a settings
	// page is not available.
	po.goTo("#/inbox/" + held.DialogID)
	po.waitFor("the dialog shown as gone", `!!document.querySelector('[data-testid=chat-missing]') && !document.querySelector('[data-testid=chat-error]:not([hidden])')`)
	if slices.Contains(po.listIDs(), held.DialogID) {
		t.Fatal("the dialog outside the scope is in the list")
	}
	for _, nav := range settingsNav {
		po.goTo("#/" + nav)
		po.waitFor("the "+nav+" page not available", `!!document.querySelector('[data-testid=not-allowed]')`)
	}

	// Rights change while the screen is open: it follows at once.
	po.goTo("#/inbox")
	po.waitFor("the inbox", `!!document.querySelector('[data-testid=tab-offered]')`)
	if st := e.api("PATCH", "/api/v1/users/"+olga.ID, map[string]string{"role": "director"}, nil); st != http.StatusOK {
		t.Fatalf("make Olga a Director: status %d", st)
	}
	po.waitFor("the Director's navigation", `!!document.querySelector('[data-testid=nav-lines]') && !!document.querySelector('[data-testid=nav-roles]')`)
	if got := po.navShown(); !slices.Equal(got, []string{"inbox", "history", "stats", "lines", "answers", "teams", "roles"}) {
		t.Fatalf("the navigation after the change: %v", got)
	}
	po.click(`[data-testid=tab-all]`)
	po.waitFor("Pavel's dialog in All now", `!!document.querySelector('`+itemSel(held.DialogID)+`')`)
}

// A Director sees the lines with every setting and the dialogs of others,
// but changes nothing: no create, save or delete on the line pages, and the
// Roles page is read-only.
func TestDirectorReadsSettings(t *testing.T) {
	e := newEnv(t)
	dmitry := e.user("dmitry@acme.test", "Dmitry Sokolov", user.Director)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	l, ch := e.line("Support", line.ModeEvenly, []string{olga.ID}, nil)
	e.line("Sales", line.ModeAll, []string{olga.ID}, nil)
	d := e.customer(ch, "anna", "Anna Petrova", "a1", "Hello! My order has not arrived.")
	e.transferTo(d.SessionID, olga.ID)
	pd := e.signIn(dmitry)

	if got := pd.navShown(); !slices.Equal(got, []string{"inbox", "history", "stats", "lines", "answers", "teams", "roles"}) {
		t.Fatalf("a Director's navigation: %v", got)
	}

	// The dialogs of others, with the supervisor's buttons.
	pd.click(`[data-testid=tab-all]`)
	pd.waitFor("Olga's dialog in All", `!!document.querySelector('`+itemSel(d.DialogID)+`')`)
	pd.openDialog(d.DialogID)
	pd.waitFor("the supervisor's buttons", `['intercept', 'join', 'vote'].every(a => !!document.querySelector('[data-testid=action-' + a + ']'))`)

	// The lines: shown, not changed.
	noEdit := func(where string) {
		t.Helper()
		ok, _ := pd.check(`(() => {
			const enabled = (sel) => [...document.querySelectorAll(sel)].some(b => !b.disabled && !b.closest('fieldset:disabled'));
			return !enabled('[data-testid=save], [data-testid=line-create], [data-testid=delete-line], [data-testid=channel-create]') &&
				!document.querySelector('[data-testid=line-create-form], [data-testid=delete-form], [data-testid=channel-form]');
		})()`)
		if !ok {
			t.Fatalf("%s: a Director is offered to create, save or delete", where)
		}
	}
	pd.click(`[data-testid=nav-lines]`)
	pd.waitFor("the lines table", `document.querySelectorAll('[data-testid=line-row]').length === 2 && !!document.querySelector('[data-testid=lines-read-only]')`)
	noEdit("the lines list")
	pd.click(`[data-testid=line-row][data-line-id="` + l.ID + `"] [data-testid=line-link]`)
	for _, tab := range []string{"queue", "hours", "rating", "autoreplies", "other"} {
		pd.click(`[data-testid=line-tab-` + tab + `]`)
		pd.waitFor("the "+tab+" tab read-only", `(() => {
			const f = document.querySelector('[data-testid=line-form-`+tab+`]');
			return !!f && f.querySelector('fieldset').disabled && !!document.querySelector('[data-testid=line-read-only]');
		})()`)
		noEdit("the " + tab + " tab")
	}
	if ok, _ := pd.check(`document.querySelectorAll('[data-testid=line-form-other] [name=name]').length === 1 &&
		document.querySelector('[data-testid=line-form-other] [name=name]').value === 'Support'`); !ok {
		t.Error("the Director does not see the line's settings")
	}
	pd.click(`[data-testid=line-tab-channels]`)
	pd.waitFor("the channels, listed", `document.querySelectorAll('[data-testid=channel-row]').length === 1`)
	noEdit("the channels tab")

	// Roles: every role with its permissions, nothing to change.
	pd.click(`[data-testid=nav-roles]`)
	pd.waitFor("the roles grid", `document.querySelectorAll('[data-testid=role-col]').length === 3 &&
		document.querySelectorAll('[data-testid=perm-row]').length === 11`)
	if ok, _ := pd.check(`document.querySelectorAll('[data-testid=role-predefined]').length === 3 &&
		!document.querySelector('#main select, #main input, #main textarea, [data-testid=role-create], [data-testid=role-save], [data-testid=role-delete]') &&
		!!document.querySelector('[data-testid=roles-predefined-note]')`); !ok {
		t.Fatal("the Roles page is not read-only for a Director")
	}
	scope := func(role, perm string) string {
		var s string
		pd.eval(`document.querySelector('[data-testid=perm-row][data-permission="`+perm+`"] td[data-role-key=`+role+`] [data-testid=perm-scope]').dataset.scope`, &s)
		return s
	}
	for _, c := range []struct{ role, perm, want string }{
		{"administrator", "settings.edit", "all"}, {"director", "lines.edit", "none"}, {"director", "dialogs.view", "all"},
		{"manager", "dialogs.view", "own"}, {"manager", "lines.view", "none"},
	} {
		if got := scope(c.role, c.perm); got != c.want {
			t.Errorf("the grid shows %s of %s as %q, want %q", c.perm, c.role, got, c.want)
		}
	}
}

// An administrator creates a custom role in the grid, renames and changes
// it, gives it to a user on the Users page, sees why it cannot be deleted
// while held, and deletes it.
func TestAdministratorEditsRoles(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	pa := e.signIn(e.admin)
	pa.click(`[data-testid=nav-roles]`)
	pa.waitFor("the roles grid with a new column", `document.querySelectorAll('[data-testid=role-col]').length === 4 &&
		!!document.querySelector('[data-testid=role-name][data-role-key=new]')`)
	if ok, _ := pa.check(`!document.querySelector('[data-testid=perm-select][data-role-key=administrator], [data-testid=perm-select][data-role-key=director], [data-testid=perm-select][data-role-key=manager]')`); !ok {
		t.Fatal("a predefined role has selects")
	}
	if ok, _ := pa.check(`[...document.querySelectorAll('[data-testid=perm-select][data-role-key=new][data-permission="lines.edit"] option')].map(o => o.value).join() === 'none,all' &&
		[...document.querySelectorAll('[data-testid=perm-select][data-role-key=new][data-permission="dialogs.view"] option')].map(o => o.value).join() === 'none,own,team,all'`); !ok {
		t.Fatal("the scopes offered: want none/all for an unscoped permission and none/own/team/all for a scoped one")
	}

	perm := func(key, p, scope string) {
		t.Helper()
		pa.fill(`[data-testid=perm-select][data-role-key="`+key+`"][data-permission="`+p+`"]`, scope)
	}
	pa.fill(`[data-testid=role-name][data-role-key=new]`, "Team lead")
	perm("new", "lines.view", "all")
	perm("new", "dialogs.view", "team")
	perm("new", "dialogs.join", "team")
	perm("new", "dialogs.intercept", "own")
	perm("new", "stats.view", "all")
	pa.click(`[data-testid=role-create]`)
	pa.waitFor("the new role's column", `document.querySelectorAll('[data-testid=role-col]').length === 5 &&
		[...document.querySelectorAll('[data-testid=role-name]')].some(i => i.value === 'Team lead')`)
	want := map[string]string{"lines.view": "all", "dialogs.view": "team", "dialogs.join": "team", "dialogs.intercept": "own", "stats.view": "all"}
	r, ok := e.roleNamed("Team lead")
	if !ok || r.Predefined || !maps.Equal(r.Permissions, want) {
		t.Fatalf("GET /roles after create: %+v (found %v), want permissions %v", r, ok, want)
	}
	if ok, _ := pa.check(`document.querySelector('[data-testid=role-name][data-role-key=new]').value === ''`); !ok {
		t.Error("the new role's column was not cleared")
	}
	pa.screenshotPage("roles")

	// Rename and change it in its column.
	pa.fill(`[data-testid=role-name][data-role-key="`+r.Key+`"]`, "Shift lead")
	perm(r.Key, "dialogs.vote", "team")
	perm(r.Key, "stats.view", "none")
	pa.click(`[data-testid=role-save][data-role-key="` + r.Key + `"]`)
	want = map[string]string{"lines.view": "all", "dialogs.view": "team", "dialogs.join": "team", "dialogs.intercept": "own", "dialogs.vote": "team"}
	e.eventually("the saved role", waitLimit, func() bool {
		r2, ok := e.roleNamed("Shift lead")
		return ok && r2.Key == r.Key && maps.Equal(r2.Permissions, want)
	})

	// The Users page offers the custom role by name.
	pa.click(`[data-testid=nav-users]`)
	row := `[data-testid=user-row][data-user-id="` + olga.ID + `"] [data-testid=user-role-select]`
	pa.waitFor("the custom role offered", `[...document.querySelectorAll('`+row+` option')].some(o => o.value === `+jsq(r.Key)+` && o.textContent === 'Shift lead')`)
	pa.fill(row, r.Key)
	e.eventually("Olga holds the custom role", waitLimit, func() bool {
		u, err := e.stack.Store.GetUser(e.ctx, e.ws.ID, olga.ID)
		return err == nil && string(u.Role) == r.Key
	})

	// Held by a user, it cannot be deleted: the server's reason is shown.
	pa.click(`[data-testid=nav-roles]`)
	del := `[data-testid=role-delete][data-role-key="` + r.Key + `"]`
	pa.waitFor("the role's delete button", `!!document.querySelector('`+del+`')`)
	pa.eval(`window.confirm = () => true; true`, nil)
	pa.click(del)
	pa.waitFor("the refusal", `(() => { const el = document.querySelector('[data-testid=roles-error]'); return !el.hidden && el.textContent.includes('Shift lead') && el.textContent.includes('1'); })()`)
	if _, ok := e.roleNamed("Shift lead"); !ok {
		t.Fatal("a held role was deleted")
	}
	if st := e.api("PATCH", "/api/v1/users/"+olga.ID, map[string]string{"role": "manager"}, nil); st != http.StatusOK {
		t.Fatalf("give Olga back the Manager role: status %d", st)
	}
	pa.click(del)
	pa.waitFor("the column gone", `!document.querySelector('`+del+`') && document.querySelectorAll('[data-testid=role-col]').length === 4`)
	if _, ok := e.roleNamed("Shift lead"); ok {
		t.Fatal("the role is still there after delete")
	}
}

// Teams are created with members and heads, renamed and changed, and the
// audit log lists those changes, newest first.
func TestTeamsAndAudit(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", user.Manager)
	pavel := e.user("pavel@acme.test", "Pavel Ivanov", user.Manager)
	dmitry := e.user("dmitry@acme.test", "Dmitry Sokolov", user.Director)
	pa := e.signIn(e.admin)
	pa.click(`[data-testid=nav-teams]`)
	pa.waitFor("the teams page", `!!document.querySelector('[data-testid=teams-empty]') && !!document.querySelector('[data-testid=team-create-form]')`)

	form := `[data-testid=team-create-form] `
	pa.fill(form+`[data-testid=team-new-name]`, "Sales")
	for _, u := range []user.User{dmitry, olga} {
		pa.fill(form+`[data-testid=member-add-select]`, u.ID)
		pa.click(form + `[data-testid=member-add]`)
	}
	pa.click(form + `[data-testid=member][data-user-id="` + dmitry.ID + `"] [data-testid=member-head]`)
	pa.click(form + `[data-testid=team-create]`)
	pa.waitFor("the new team", `document.querySelectorAll('[data-testid=team]').length === 1 && document.querySelectorAll('`+form+`[data-testid=member]').length === 0`)

	type member struct {
		UserID string `json:"user_id"`
		Head   bool   `json:"head"`
	}
	type team struct {
		ID      string   `json:"id"`
		Name    string   `json:"name"`
		Members []member `json:"members"`
	}
	teams := func() []team {
		var r struct {
			Teams []team `json:"teams"`
		}
		if st := e.api("GET", "/api/v1/teams", nil, &r); st != http.StatusOK {
			t.Fatalf("list teams: status %d", st)
		}
		return r.Teams
	}
	byUser := func(ms []member) map[string]bool {
		out := map[string]bool{}
		for _, m := range ms {
			out[m.UserID] = m.Head
		}
		return out
	}
	ts := teams()
	if len(ts) != 1 || ts[0].Name != "Sales" || !maps.Equal(byUser(ts[0].Members), map[string]bool{dmitry.ID: true, olga.ID: false}) {
		t.Fatalf("GET /teams after create: %+v", ts)
	}

	// Rename, add Pavel, drop Olga.
	card := `[data-testid=team][data-team-id="` + ts[0].ID + `"] `
	pa.fill(card+`[data-testid=team-name]`, "Sales EU")
	pa.fill(card+`[data-testid=member-add-select]`, pavel.ID)
	pa.click(card + `[data-testid=member-add]`)
	pa.click(card + `[data-testid=member][data-user-id="` + olga.ID + `"] [data-testid=member-remove]`)
	pa.click(card + `[data-testid=team-save]`)
	pa.waitFor("the team saved", `document.querySelector('`+card+`[data-testid=save-status]')?.classList.contains('ok')`)
	ts = teams()
	if len(ts) != 1 || ts[0].Name != "Sales EU" || !maps.Equal(byUser(ts[0].Members), map[string]bool{dmitry.ID: true, pavel.ID: false}) {
		t.Fatalf("GET /teams after save: %+v", ts)
	}
	pa.screenshotPage("teams")

	// The Director sees the team, read-only.
	pd := e.signIn(dmitry)
	pd.click(`[data-testid=nav-teams]`)
	pd.waitFor("the team, read-only", `document.querySelectorAll('[data-testid=team-member]').length === 2 &&
		document.querySelector('[data-testid=team-title]').textContent === 'Sales EU' &&
		!document.querySelector('#main input, #main select, [data-testid=team-save], [data-testid=team-delete], [data-testid=team-create]')`)

	// The audit log: newest first; filtered by entity.
	pa.click(`[data-testid=nav-audit]`)
	pa.waitFor("the audit log", `document.querySelectorAll('[data-testid=audit-row]').length >= 2`)
	var first []string
	pa.eval(`[...document.querySelectorAll('[data-testid=audit-row]')].slice(0, 2).map(r => r.dataset.entity + ' ' + r.dataset.action)`, &first)
	if !slices.Equal(first, []string{"team update", "team create"}) {
		t.Fatalf("the audit log starts with %v, want the team's update then its create", first)
	}
	pa.fill(`[data-testid=audit-entity]`, "user")
	pa.waitFor("only users' entries", `(() => {
		const rows = [...document.querySelectorAll('[data-testid=audit-row]')];
		return rows.length > 0 && rows.every(r => r.dataset.entity === 'user');
	})()`)
	pa.fill(`[data-testid=audit-entity]`, "")
	pa.waitFor("every entry again", `[...document.querySelectorAll('[data-testid=audit-row]')].some(r => r.dataset.entity === 'team')`)
	pa.screenshotPage("audit")

	// Delete the team.
	pa.click(`[data-testid=nav-teams]`)
	pa.waitFor("the team card", `!!document.querySelector('`+card+`[data-testid=team-delete]')`)
	pa.eval(`window.confirm = () => true; true`, nil)
	pa.click(card + `[data-testid=team-delete]`)
	pa.waitFor("no teams", `!!document.querySelector('[data-testid=teams-empty]')`)
	if ts := teams(); len(ts) != 0 {
		t.Fatalf("GET /teams after delete: %+v", ts)
	}
}
