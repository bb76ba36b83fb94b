package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/openlines/openlines/internal/httpapi"
	"github.com/openlines/openlines/internal/realtime"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// The rights matrix: every registered route × each predefined role and a
// custom one × a record that is the caller's own, a teammate's, another
// team's, or another workspace's. The expected answers are written here
// from SPEC §9, not computed with internal/access, so that the test can
// disagree with it. A route registered without an entry fails the test.

// Relations of a record to the caller.
const (
	relOwn     = "own"     // mine: I hold the session; my user record
	relMate    = "mate"    // held by (or is) a member of the caller's team
	relOther   = "other"   // held by (or is) someone of no team of the caller
	relForeign = "foreign" // of another workspace
	relNone    = "-"       // the route names no record
)

var allRels = []string{relOwn, relMate, relOther, relForeign}

// pass is any answer of the route itself: not 401, 403 or 404 (a 409 for
// an action the domain refuses is a pass: the caller got past the gate).
const pass = 0

// mcaller is a caller of the matrix with the rights SPEC §9 gives its role.
type mcaller struct {
	name string
	u    user.User
	c    *client
	// perms: permission → scope ("all", "team", "own").
	perms map[string]string
}

func (c *mcaller) has(p string) bool { return c.perms[p] != "" }

// reaches says whether p at the caller's scope reaches a session held by rel.
func (c *mcaller) reaches(p, rel string) bool {
	switch c.perms[p] {
	case "all":
		return rel != relForeign
	case "team":
		return rel == relOwn || rel == relMate
	case "own":
		return rel == relOwn
	}
	return false
}

// sees: the dialog of a session held by rel (everyone sees their own open ones).
func (c *mcaller) sees(rel string) bool { return rel == relOwn || c.reaches("dialogs.view", rel) }

// seesUser: settings.edit sees every user; others as far as dialogs.view.
func (c *mcaller) seesUser(rel string) bool {
	if rel == relForeign {
		return false
	}
	return c.has("settings.edit") || c.sees(rel)
}

// entry is a route's row of the matrix.
type entry struct {
	public bool
	perm   string // the permission the route declares; "" for any member
	rels   []string
	want   func(c *mcaller, rel string) int
}

func anyone(*mcaller, string) int { return pass }

// ownOnly: a personal record (an API token) is nobody else's to see.
func ownOnly(_ *mcaller, rel string) int {
	if rel == relOwn {
		return pass
	}
	return http.StatusNotFound
}

func needsPerm(p string) func(*mcaller, string) int {
	return func(c *mcaller, rel string) int {
		if !c.has(p) {
			return http.StatusForbidden
		}
		return pass
	}
}

// record: the route's permission, then 404 for another workspace's record.
func record(p string) func(*mcaller, string) int {
	return func(c *mcaller, rel string) int {
		if p != "" && !c.has(p) {
			return http.StatusForbidden
		}
		if rel == relForeign {
			return http.StatusNotFound
		}
		return pass
	}
}

// dialogRecord: 404 out of scope, then the action's permission at a scope
// reaching the session (403 otherwise; "" needs none).
func dialogRecord(action string) func(*mcaller, string) int {
	return func(c *mcaller, rel string) int {
		if !c.sees(rel) {
			return http.StatusNotFound
		}
		if action != "" && !c.reaches(action, rel) {
			return http.StatusForbidden
		}
		return pass
	}
}

// heldRecord: 404 out of scope; acting on a session someone else holds
// needs dialogs.intercept at a scope reaching it (403: a right, not a state).
func heldRecord(c *mcaller, rel string) int {
	if !c.sees(rel) {
		return http.StatusNotFound
	}
	if rel != relOwn && !c.reaches("dialogs.intercept", rel) {
		return http.StatusForbidden
	}
	return pass
}

// userRecord: 404 out of the people scope; another's record needs
// settings.edit when change is set.
func userRecord(change bool) func(*mcaller, string) int {
	return func(c *mcaller, rel string) int {
		if !c.seesUser(rel) {
			return http.StatusNotFound
		}
		if change && rel != relOwn && !c.has("settings.edit") {
			return http.StatusForbidden
		}
		return pass
	}
}

var matrix = map[string]entry{
	"POST /api/v1/auth/login":                    {public: true},
	"POST /api/v1/auth/logout":                   {public: true},
	"POST /api/v1/ratings/{token}":               {public: true},
	"GET /widget/v1/channels/{id}":               {public: true},
	"POST /widget/v1/channels/{id}/visitors":     {public: true},
	"GET /widget/v1/messages":                    {public: true},
	"POST /widget/v1/messages":                   {public: true},
	"POST /widget/v1/typing":                     {public: true},
	"POST /widget/v1/rating":                     {public: true},
	"POST /widget/v1/seen":                       {public: true},
	"POST /widget/v1/files":                      {public: true},
	"GET /files/{id}":                            {public: true},
	"POST /api/v1/dialogs/{id}/files":            {rels: allRels, want: heldRecord},
	"GET /api/v1/files/{id}":                     {rels: allRels, want: dialogRecord("")},
	"PATCH /api/v1/channels/{id}":                {perm: "channels.connect", rels: allRels, want: record("channels.connect")},
	"GET /api/v1/channels/{id}/identity-secret":  {perm: "channels.connect", rels: allRels, want: record("channels.connect")},
	"POST /api/v1/channels/{id}/identity-secret": {perm: "channels.connect", rels: allRels, want: record("channels.connect")},
	"GET /api/v1/me":                             {want: anyone},
	"GET /api/v1/tokens":                         {want: anyone},
	"POST /api/v1/tokens":                        {want: anyone},
	"DELETE /api/v1/tokens/{id}":                 {rels: allRels, want: ownOnly},
	"GET /api/v1/workspace":                      {want: anyone},
	"PATCH /api/v1/workspace":                    {perm: "settings.edit", want: needsPerm("settings.edit")},
	"GET /api/v1/permissions":                    {want: anyone},
	"GET /api/v1/roles":                          {want: anyone},
	"POST /api/v1/roles":                         {perm: "roles.edit", want: needsPerm("roles.edit")},
	"PATCH /api/v1/roles/{id}":                   {perm: "roles.edit", rels: allRels, want: record("roles.edit")},
	"DELETE /api/v1/roles/{id}":                  {perm: "roles.edit", rels: allRels, want: record("roles.edit")},
	"GET /api/v1/teams":                          {want: anyone},
	"POST /api/v1/teams":                         {perm: "settings.edit", want: needsPerm("settings.edit")},
	"GET /api/v1/teams/{id}":                     {rels: allRels, want: record("")},
	"PATCH /api/v1/teams/{id}":                   {perm: "settings.edit", rels: allRels, want: record("settings.edit")},
	"DELETE /api/v1/teams/{id}":                  {perm: "settings.edit", rels: allRels, want: record("settings.edit")},
	"GET /api/v1/audit":                          {perm: "settings.edit", want: needsPerm("settings.edit")},
	"GET /api/v1/stats/summary":                  {perm: "stats.view", want: needsPerm("stats.view")},
	"GET /api/v1/stats/lines":                    {perm: "stats.view", want: needsPerm("stats.view")},
	"GET /api/v1/stats/channels":                 {perm: "stats.view", want: needsPerm("stats.view")},
	"GET /api/v1/stats/operators":                {perm: "stats.view", want: needsPerm("stats.view")},
	"GET /api/v1/stats/daily":                    {perm: "stats.view", want: needsPerm("stats.view")},
	"GET /api/v1/stats/staffing": {perm: "stats.view", want: func(c *mcaller, _ string) int {
		if c.perms["stats.view"] != "all" {
			return http.StatusForbidden
		}
		return pass
	}},
	"GET /api/v1/users":                               {want: anyone},
	"POST /api/v1/users":                              {perm: "settings.edit", want: needsPerm("settings.edit")},
	"GET /api/v1/users/{id}":                          {rels: allRels, want: userRecord(false)},
	"PATCH /api/v1/users/{id}":                        {rels: allRels, want: userRecord(true)},
	"POST /api/v1/users/{id}/deactivate":              {perm: "settings.edit", rels: allRels, want: record("settings.edit")},
	"GET /api/v1/users/{id}/absences":                 {rels: allRels, want: userRecord(false)},
	"POST /api/v1/users/{id}/absences":                {rels: allRels, want: userRecord(true)},
	"DELETE /api/v1/users/{id}/absences/{absence_id}": {rels: allRels, want: userRecord(true)},
	"GET /api/v1/lines":                               {want: anyone},
	"POST /api/v1/lines":                              {perm: "lines.edit", want: needsPerm("lines.edit")},
	"GET /api/v1/lines/{id}":                          {perm: "lines.view", rels: allRels, want: record("lines.view")},
	"PATCH /api/v1/lines/{id}":                        {perm: "lines.edit", rels: allRels, want: record("lines.edit")},
	"DELETE /api/v1/lines/{id}":                       {perm: "lines.edit", rels: allRels, want: record("lines.edit")},
	"GET /api/v1/lines/{id}/channels":                 {perm: "lines.view", rels: allRels, want: record("lines.view")},
	"POST /api/v1/lines/{id}/channels":                {perm: "channels.connect", rels: allRels, want: record("channels.connect")},
	"GET /api/v1/channels/{id}":                       {rels: allRels, want: record("")},
	"POST /api/v1/channels/{id}/messages":             {perm: "channels.connect", rels: allRels, want: record("channels.connect")},
	"GET /api/v1/channels/{id}/keys":                  {perm: "channels.connect", rels: allRels, want: record("channels.connect")},
	"POST /api/v1/channels/{id}/keys":                 {perm: "channels.connect", rels: allRels, want: record("channels.connect")},
	"DELETE /api/v1/channels/{id}/keys/{key_id}":      {perm: "channels.connect", rels: allRels, want: record("channels.connect")},
	"POST /api/v1/channels/{id}/typing":               {perm: "channels.connect", rels: allRels, want: record("channels.connect")},
	"GET /api/v1/dialogs":                             {want: anyone},
	"GET /api/v1/dialogs/export":                      {want: anyone},
	"GET /api/v1/dialogs/{id}":                        {rels: allRels, want: dialogRecord("")},
	"GET /api/v1/dialogs/{id}/messages":               {rels: allRels, want: dialogRecord("")},
	"GET /api/v1/dialogs/{id}/sessions":               {rels: allRels, want: dialogRecord("")},
	"POST /api/v1/dialogs/{id}/messages":              {rels: allRels, want: heldRecord},
	"POST /api/v1/dialogs/{id}/notes":                 {rels: allRels, want: dialogRecord("")},
	"POST /api/v1/dialogs/{id}/read":                  {rels: allRels, want: dialogRecord("")},
	"PUT /api/v1/me/status":                           {want: anyone},
	"POST /api/v1/me/heartbeat":                       {want: anyone},
	"POST /api/v1/sessions/{id}/take":                 {rels: allRels, want: dialogRecord("")},
	"POST /api/v1/sessions/{id}/skip":                 {rels: allRels, want: dialogRecord("")},
	"POST /api/v1/sessions/{id}/finish":               {rels: allRels, want: heldRecord},
	"POST /api/v1/sessions/{id}/spam":                 {rels: allRels, want: heldRecord},
	"POST /api/v1/sessions/{id}/transfer":             {rels: allRels, want: heldRecord},
	"POST /api/v1/sessions/{id}/intercept":            {rels: allRels, want: dialogRecord("dialogs.intercept")},
	"POST /api/v1/sessions/{id}/join":                 {rels: allRels, want: dialogRecord("dialogs.join")},
	"POST /api/v1/sessions/{id}/pin":                  {rels: allRels, want: heldRecord},
	"POST /api/v1/sessions/{id}/unpin":                {rels: allRels, want: heldRecord},
	"POST /api/v1/sessions/{id}/vote":                 {rels: allRels, want: dialogRecord("dialogs.vote")},
	"GET /api/v1/transfer-targets":                    {want: anyone},
	"GET /api/v1/ws":                                  {want: anyone},
}

// mworld is the matrix's fixture: workspace Acme with the callers and their
// colleagues, each with a line of their own, and workspace Beta.
type mworld struct {
	*harness
	t                    *testing.T
	callers              []*mcaller
	mate, other          *mcaller // managers: in the team of mgr and lead; in none
	line                 string   // Probe: no queue, a channel, a waiting dialog of customer "probe"
	channel              string
	role, team           string // the custom role; the team Front
	mateToken            string
	lines                map[string]string // user id → their line's channel
	heldShared           map[string][2]string
	files                map[string]string // holder → a file in their shared dialog
	bAdmin               *mcaller
	bLine, bChannel      string
	bRole, bTeam, bToken string
	bAbsence             string
	seq                  atomic.Int64
}

func (w *mworld) next() string { return fmt.Sprint(w.seq.Add(1)) }

var leadPerms = map[string]any{"lines.view": "all", "dialogs.view": "team", "dialogs.intercept": "team", "dialogs.join": "team", "stats.view": "team"}

func allPerms(except ...string) map[string]string {
	m := map[string]string{}
	for _, p := range []string{"lines.view", "lines.edit", "channels.connect", "dialogs.view", "dialogs.join", "dialogs.intercept",
		"dialogs.vote", "stats.view", "quick_answers.edit", "roles.edit", "settings.edit"} {
		m[p] = "all"
	}
	for _, p := range except {
		delete(m, p)
	}
	return m
}

func newMatrixWorld(t *testing.T, engine string) *mworld {
	hub := realtime.NewHub(realtime.Options{})
	t.Cleanup(hub.Close)
	h := newHarnessWith(t, engine, func(cfg *httpapi.Config) { cfg.Hub = hub })
	h.bus.Subscribe(hub.OnEvents) // as app.Start wires it
	w := &mworld{harness: h, t: t, lines: map[string]string{}, heldShared: map[string][2]string{}, files: map[string]string{}}
	w.role = str(h.c.do("POST", "/api/v1/roles", map[string]any{"name": "Team lead", "permissions": leadPerms}).want(http.StatusCreated).json, "key")
	mk := func(name string, role user.Role, perms map[string]string) *mcaller {
		u := h.user(h.ws.ID, name+"@acme.test", role, false)
		return &mcaller{name: name, u: u, c: h.login(u.Email, testPassword), perms: perms}
	}
	admin := &mcaller{name: "administrator", u: h.admin, c: h.c, perms: allPerms()}
	dir := mk("director", user.Director, allPerms("lines.edit", "channels.connect", "roles.edit", "settings.edit"))
	mgr := mk("manager", user.Manager, map[string]string{"dialogs.view": "own", "stats.view": "own"})
	lead := mk("lead", user.Role(w.role), map[string]string{"lines.view": "all", "dialogs.view": "team", "dialogs.intercept": "team", "dialogs.join": "team", "stats.view": "team"})
	// A viewer sees the team's dialogs but may not act on them.
	viewerRole := str(h.c.do("POST", "/api/v1/roles", map[string]any{"name": "Team viewer", "permissions": map[string]any{"dialogs.view": "team"}}).want(http.StatusCreated).json, "key")
	viewer := mk("viewer", user.Role(viewerRole), map[string]string{"dialogs.view": "team"})
	w.mate = mk("mate", user.Manager, map[string]string{"dialogs.view": "own"})
	w.other = mk("other", user.Manager, map[string]string{"dialogs.view": "own"})
	w.callers = []*mcaller{admin, dir, mgr, lead, viewer}
	w.team = h.c.do("POST", "/api/v1/teams", map[string]any{"name": "Front", "members": []any{
		map[string]any{"user_id": lead.u.ID, "head": true}, map[string]any{"user_id": mgr.u.ID}, map[string]any{"user_id": w.mate.u.ID},
		map[string]any{"user_id": viewer.u.ID}}}).
		want(http.StatusCreated).id()
	for _, c := range append(w.callers, w.mate, w.other) {
		l := h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Line of " + c.name, "queue": []string{c.u.ID}, "queue_time": 43200}).want(http.StatusCreated).id()
		w.lines[c.u.ID] = h.c.createChannel(l)
		c.c.do("PUT", "/api/v1/me/status", map[string]any{"status": "online"}).want(http.StatusOK)
	}
	w.line = h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Probe", "queue": []string{}}).want(http.StatusCreated).id()
	w.channel = h.c.createChannel(w.line)
	h.c.newDialog(w.channel, "probe")
	w.mateToken = str(w.mate.c.do("POST", "/api/v1/tokens", map[string]any{"name": "mate"}).want(http.StatusCreated).json, "token", "id")

	_, bu, bc := h.workspace("Beta", workspace.Enterprise, "admin@beta.test", false)
	w.bAdmin = &mcaller{name: "beta", u: bu, c: bc, perms: allPerms()}
	w.bLine = bc.do("POST", "/api/v1/lines", map[string]any{"name": "Beta line", "queue": []string{bu.ID}, "queue_time": 43200}).want(http.StatusCreated).id()
	w.bChannel = bc.createChannel(w.bLine)
	w.lines[bu.ID] = w.bChannel
	bc.do("PUT", "/api/v1/me/status", map[string]any{"status": "online"}).want(http.StatusOK)
	w.bRole = str(bc.do("POST", "/api/v1/roles", map[string]any{"name": "Beta role"}).want(http.StatusCreated).json, "key")
	w.bTeam = bc.do("POST", "/api/v1/teams", map[string]any{"name": "Beta team"}).want(http.StatusCreated).id()
	w.bToken = str(bc.do("POST", "/api/v1/tokens", map[string]any{"name": "beta"}).want(http.StatusCreated).json, "token", "id")
	w.bAbsence = w.absence(bc, bu.ID)
	return w
}

func (w *mworld) absence(by *client, userID string) string {
	n := w.seq.Add(1)
	return by.do("POST", "/api/v1/users/"+userID+"/absences", map[string]any{"kind": "other",
		"starts_at": fmt.Sprintf("2031-01-%02dT09:00:00Z", 1+n%28), "ends_at": fmt.Sprintf("2031-01-%02dT10:00:00Z", 1+n%28)}).want(http.StatusCreated).id()
}

// holderOf is who holds the record of rel for caller c.
func (w *mworld) holderOf(c *mcaller, rel string) *mcaller {
	switch rel {
	case relOwn:
		return c
	case relMate:
		return w.mate
	case relOther:
		return w.other
	}
	return w.bAdmin
}

// held makes a new dialog whose session holder holds: offered on the
// holder's own line, then taken.
func (w *mworld) held(holder *mcaller) (dialogID, sessionID string) {
	w.t.Helper()
	admin := w.c
	if holder == w.bAdmin {
		admin = w.bAdmin.c
	}
	d := admin.newDialog(w.lines[holder.u.ID], "cust-"+w.next())
	s := waitSession(w.t, admin, d, func(s map[string]any) bool { return len(offeredTo(s)) == 1 })
	holder.c.do("POST", "/api/v1/sessions/"+str(s, "id")+"/take", nil).want(http.StatusOK)
	return d, str(s, "id")
}

// shared is a held dialog reused by the routes that do not change who
// holds or sees it.
func (w *mworld) shared(holder *mcaller) (dialogID, sessionID string) {
	if v, ok := w.heldShared[holder.u.ID]; ok {
		return v[0], v[1]
	}
	d, s := w.held(holder)
	w.heldShared[holder.u.ID] = [2]string{d, s}
	return d, s
}

// changes are the session routes after which the record is no longer the
// same: each case gets a dialog of its own.
var changes = map[string]bool{"finish": true, "spam": true, "transfer": true, "intercept": true, "join": true}

// request builds the call of pattern by c on the record of rel.
func (w *mworld) request(pattern string, c *mcaller, rel string) (method, path string, body any) {
	if strings.Contains(pattern, "/quick-answer") {
		return w.quickRequest(pattern, c, rel)
	}
	method, path, _ = strings.Cut(pattern, " ")
	foreign := rel == relForeign
	set := func(name, v string) { path = strings.Replace(path, "{"+name+"}", v, 1) }
	target := w.holderOf(c, rel)
	switch {
	case strings.HasPrefix(path, "/api/v1/sessions/{id}/"):
		action := strings.TrimPrefix(path, "/api/v1/sessions/{id}/")
		var sid string
		if changes[action] {
			_, sid = w.held(target)
		} else {
			_, sid = w.shared(target)
		}
		set("id", sid)
		switch action {
		case "transfer":
			body = map[string]any{"line_id": w.line}
		case "vote":
			body = map[string]any{"score": 5}
		}
	case strings.HasPrefix(path, "/api/v1/dialogs/{id}"):
		var d string
		if method == "POST" && (strings.HasSuffix(path, "/messages") || strings.HasSuffix(path, "/files")) {
			d, _ = w.held(target) // a reply may take the session over
		} else {
			d, _ = w.shared(target)
		}
		set("id", d)
		switch {
		case strings.HasSuffix(path, "/files"):
			body = rawBody(pngBytes)
		case method == "POST":
			body = map[string]any{"text": "matrix"}
		}
	case strings.HasPrefix(path, "/api/v1/files/{id}"):
		// A file the holder sent into their shared dialog.
		f, ok := w.files[target.u.ID]
		if !ok {
			d, _ := w.shared(target)
			f = str(target.c.do("POST", "/api/v1/dialogs/"+d+"/files?name=m.png", rawBody(pngBytes)).want(http.StatusCreated).json, "attachment", "id")
			w.files[target.u.ID] = f
		}
		set("id", f)
	case strings.HasPrefix(path, "/api/v1/users/{id}"):
		u := target.u
		if pattern == "POST /api/v1/users/{id}/deactivate" && rel != relOwn && !foreign {
			u = w.user(w.ws.ID, "gone-"+w.next()+"@acme.test", user.Manager, false) // deactivated for good
		}
		set("id", u.ID)
		switch pattern {
		case "PATCH /api/v1/users/{id}":
			body = map[string]any{"name": u.Name}
		case "POST /api/v1/users/{id}/absences":
			n := w.seq.Add(1)
			body = map[string]any{"kind": "lunch", "starts_at": fmt.Sprintf("2032-02-%02dT12:00:00Z", 1+n%28), "ends_at": fmt.Sprintf("2032-02-%02dT13:00:00Z", 1+n%28)}
		case "DELETE /api/v1/users/{id}/absences/{absence_id}":
			if foreign {
				set("absence_id", w.bAbsence)
			} else {
				set("absence_id", w.absence(w.c, u.ID))
			}
		}
	case strings.HasPrefix(path, "/api/v1/lines/{id}"):
		l := w.line
		switch {
		case foreign:
			l = w.bLine
		case pattern == "DELETE /api/v1/lines/{id}":
			name := "Doomed " + w.next()
			l = w.c.do("POST", "/api/v1/lines", map[string]any{"name": name}).want(http.StatusCreated).id()
			body = map[string]any{"confirm": name}
		}
		set("id", l)
		switch pattern {
		case "PATCH /api/v1/lines/{id}":
			body = map[string]any{"name": "Probe"}
		case "POST /api/v1/lines/{id}/channels":
			body = map[string]any{"type": "api"}
		case "DELETE /api/v1/lines/{id}":
			if foreign {
				body = map[string]any{"confirm": "Beta line"}
			}
		}
	case strings.HasPrefix(path, "/api/v1/channels/{id}"):
		ch := w.channel
		if foreign {
			ch = w.bChannel
		}
		set("id", ch)
		switch pattern {
		case "PATCH /api/v1/channels/{id}":
			body = map[string]any{"name": "Probe"}
		case "POST /api/v1/channels/{id}/messages":
			n := w.next()
			body = map[string]any{"customer": map[string]any{"external_id": "m-" + n}, "message": map[string]any{"external_id": "m-" + n, "text": "hi"}}
		case "POST /api/v1/channels/{id}/typing":
			body = map[string]any{"customer": map[string]any{"external_id": "probe"}}
		case "DELETE /api/v1/channels/{id}/keys/{key_id}":
			by := w.c
			if foreign {
				by = w.bAdmin.c
			}
			set("key_id", by.do("POST", "/api/v1/channels/"+ch+"/keys", nil).want(http.StatusCreated).id())
		}
	case strings.HasPrefix(path, "/api/v1/roles/{id}"):
		r := w.role
		if foreign {
			r = w.bRole
		}
		set("id", r)
		if method == "PATCH" {
			body = map[string]any{"permissions": leadPerms}
		}
	case strings.HasPrefix(path, "/api/v1/teams/{id}"):
		tm := w.team
		switch {
		case foreign:
			tm = w.bTeam
		case method == "DELETE":
			tm = w.c.do("POST", "/api/v1/teams", map[string]any{"name": "Doomed " + w.next()}).want(http.StatusCreated).id()
		}
		set("id", tm)
		if method == "PATCH" {
			body = map[string]any{"name": "Front"}
		}
	case pattern == "DELETE /api/v1/tokens/{id}":
		switch rel {
		case relOwn:
			set("id", str(c.c.do("POST", "/api/v1/tokens", map[string]any{"name": "doomed"}).want(http.StatusCreated).json, "token", "id"))
		case relForeign:
			set("id", w.bToken)
		default:
			set("id", w.mateToken)
		}
	default:
		n := w.next()
		switch pattern {
		case "POST /api/v1/tokens":
			body = map[string]any{"name": "t" + n}
		case "PATCH /api/v1/workspace":
			body = map[string]any{"name": "Acme"}
		case "POST /api/v1/roles":
			body = map[string]any{"name": "Role " + n}
		case "POST /api/v1/teams":
			body = map[string]any{"name": "Team " + n}
		case "POST /api/v1/users":
			body = map[string]any{"email": "new" + n + "@acme.test", "name": "New", "password": testPassword, "role": "manager"}
		case "POST /api/v1/lines":
			body = map[string]any{"name": "New line " + n}
		case "PUT /api/v1/me/status":
			body = map[string]any{"status": "online"}
		}
	}
	return method, path, body
}

func TestRightsMatrix(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newMatrixWorld(t, engine)
		anon := w.anon()
		for _, rt := range httpapi.New(httpapi.Config{Store: w.st}).Routes() {
			if rt.Raw {
				continue
			}
			pattern := rt.Method + " " + rt.Path
			e, ok := matrix[pattern]
			if !ok {
				t.Errorf("%s has no entry in the rights matrix: add one with the answers each role should get", pattern)
				continue
			}
			if rt.Public != e.public || string(rt.Permission) != e.perm {
				t.Errorf("%s: registered public=%v permission=%q, the matrix says public=%v permission=%q", pattern, rt.Public, rt.Permission, e.public, e.perm)
			}
			if e.public {
				continue
			}
			if got := anon.do(rt.Method, strings.NewReplacer("{id}", "01890000-0000-7000-8000-000000000000", "{absence_id}", "01890000-0000-7000-8000-000000000000").Replace(rt.Path), nil); got.status != http.StatusUnauthorized {
				t.Errorf("%s without credentials: %d, want 401", pattern, got.status)
			}
			rels := e.rels
			if rels == nil {
				rels = []string{relNone}
			}
			for _, c := range w.callers {
				for _, rel := range rels {
					method, path, body := w.request(pattern, c, rel)
					r := c.c.do(method, path, body)
					want := e.want(c, rel)
					ok := r.status == want
					if want == pass {
						ok = r.status != 401 && r.status != 403 && r.status != 404 && r.status < 500
					}
					if !ok {
						t.Errorf("%s as %s on a record %s: %d, want %s; body: %s", pattern, c.name, rel, r.status, describe(want), clip(r.raw))
					}
				}
			}
		}
	})
}

func describe(want int) string {
	if want == pass {
		return "the route's own answer (not 401/403/404)"
	}
	return fmt.Sprint(want)
}
