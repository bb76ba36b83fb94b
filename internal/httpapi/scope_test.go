package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/openlines/openlines/internal/store/storetest"
)

// The scope of lists and of WebSocket events, for a manager (own), a team
// head with the custom role (team) and a director (all), on both engines.
// In the matrix world the team Front is lead (head), manager and mate;
// other is in no team.

func (w *mworld) caller(name string) *mcaller {
	for _, c := range w.callers {
		if c.name == name {
			return c
		}
	}
	w.t.Fatalf("no caller %s", name)
	return nil
}

func TestScopeOfLists(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newMatrixWorld(t, engine)
		mgr, lead, dir := w.caller("manager"), w.caller("lead"), w.caller("director")
		dMgr, _ := w.held(mgr)
		dMate, _ := w.held(w.mate)
		dOther, _ := w.held(w.other)
		dLead, _ := w.held(lead)
		// A dialog offered to the manager (not taken) is his too.
		offered := w.c.newDialog(w.lines[mgr.u.ID], "offered")
		waitSession(t, w.c, offered, func(s map[string]any) bool { return len(offeredTo(s)) == 1 })
		probe := ids(t, w.c.dialogs("line_id="+w.line).want(http.StatusOK).json, "dialogs") // queued, nobody's

		list := func(c *mcaller, query string) []string {
			return ids(t, c.c.dialogs(strings.TrimPrefix(query, "?")).want(http.StatusOK).json, "dialogs")
		}
		mustSameSet(t, "manager's dialogs", list(mgr, "?limit=200"), []string{dMgr, offered})
		// Team scope reaches what teammates hold, not what they are offered.
		mustSameSet(t, "team head's dialogs", list(lead, "?limit=200"), []string{dMgr, dMate, dLead})
		all := list(dir, "?limit=200")
		for _, d := range append([]string{dMgr, offered, dMate, dOther, dLead}, probe...) {
			if !slices.Contains(all, d) {
				t.Errorf("the director does not list %s", d)
			}
		}
		// Filters narrow within the scope, never beyond it.
		mustSameSet(t, "manager filtering by another's line", list(mgr, "?line_id="+w.line), nil)
		mustSameSet(t, "team head filtering by operator", list(lead, "?operator_id="+w.other.u.ID), nil)
		mustSameSet(t, "team head filtering by a teammate", list(lead, "?operator_id="+w.mate.u.ID), []string{dMate})
		// Paging inside the scope returns each dialog once.
		var paged []string
		for cursor := ""; ; {
			r := lead.c.dialogs("limit=1" + cursor).want(http.StatusOK).json
			paged = append(paged, ids(t, r, "dialogs")...)
			next := str(r, "next_cursor")
			if next == "" {
				break
			}
			cursor = "&cursor=" + next
		}
		mustSameSet(t, "team head's pages", paged, []string{dMgr, dMate, dLead})
		// Closed history: the manager keeps his finished dialog.
		mgr.c.do("POST", "/api/v1/sessions/"+str(w.c.do("GET", "/api/v1/dialogs/"+dMgr, nil).json, "session", "id")+"/finish", nil).want(http.StatusOK)
		mustSameSet(t, "manager's dialogs after finishing one", list(mgr, "?limit=200"), []string{dMgr, offered})

		// Users: the manager sees himself, the team head his team, the
		// director everyone.
		users := func(c *mcaller) []string {
			return ids(t, c.c.do("GET", "/api/v1/users", nil).want(http.StatusOK).json, "users")
		}
		mustSameSet(t, "manager's users", users(mgr), []string{mgr.u.ID})
		mustSameSet(t, "team head's users", users(lead), []string{lead.u.ID, mgr.u.ID, w.mate.u.ID, w.caller("viewer").u.ID})
		if n := len(users(dir)); n != 7 { // administrator, director, manager, lead, viewer, mate, other
			t.Errorf("the director lists %d users", n)
		}

		// Transfer targets: every active line; the people who share a queue
		// with the caller (or their team); a director everyone.
		targets := func(c *mcaller) (lines, people []string) {
			r := c.c.do("GET", "/api/v1/transfer-targets", nil).want(http.StatusOK).json
			return ids(t, r, "lines"), ids(t, r, "users")
		}
		lineOf := func(c *mcaller) string {
			for _, l := range objects(t, w.c.do("GET", "/api/v1/lines", nil).json, "lines") {
				if l["name"] == "Line of "+c.name {
					return l["id"].(string)
				}
			}
			t.Fatalf("no line of %s", c.name)
			return ""
		}
		allLines, _ := targets(dir)
		ls, ps := targets(mgr)
		mustSameSet(t, "manager's target lines", ls, allLines)
		mustSameSet(t, "manager's target people", ps, []string{mgr.u.ID})
		ls, ps = targets(lead)
		mustSameSet(t, "team head's target lines", ls, allLines)
		mustSameSet(t, "team head's target people", ps, []string{mgr.u.ID, lead.u.ID, w.mate.u.ID, w.caller("viewer").u.ID})
		for _, u := range objects(t, mgr.c.do("GET", "/api/v1/transfer-targets", nil).json, "users") {
			if u["online"] != true || u["status"] != "online" { // the matrix world's operators are online
				t.Errorf("a target's presence: %v", u)
			}
		}
		ls, ps = targets(dir)
		if !slices.Contains(ls, w.line) || !slices.Contains(ls, lineOf(w.other)) || !slices.Contains(ps, w.other.u.ID) {
			t.Errorf("the director's targets: lines %v people %v", ls, ps)
		}

		// Lines: without lines.view only the names of one's own lines.
		mine := objects(t, mgr.c.do("GET", "/api/v1/lines", nil).want(http.StatusOK).json, "lines")
		if len(mine) != 1 || mine[0]["id"] != lineOf(mgr) || mine[0]["queue"] != nil || mine[0]["mode"] != nil {
			t.Errorf("a manager's lines: %v", mine)
		}
	})
}

// screen is a signed-in user's WebSocket, collecting the events it gets.
type screen struct {
	t   *testing.T
	evs chan map[string]any
}

func (w *mworld) screen(c *mcaller) *screen {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w.t.Cleanup(cancel)
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(w.srv.URL, "http")+"/api/v1/ws", &websocket.DialOptions{HTTPClient: c.c.hc})
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { conn.CloseNow() })
	s := &screen{t: w.t, evs: make(chan map[string]any, 1000)}
	go func() {
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				return
			}
			var ev map[string]any
			if json.Unmarshal(b, &ev) == nil {
				s.evs <- ev
			}
		}
	}()
	return s
}

// seen returns the dialogs of the events of type typ that arrive within d.
func (s *screen) seen(typ string, d time.Duration) []string {
	var out []string
	deadline := time.After(d)
	for {
		select {
		case ev := <-s.evs:
			if ev["type"] == typ {
				out = append(out, str(ev, "dialog_id"))
			}
		case <-deadline:
			return out
		}
	}
}

func TestScopeOfEvents(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newMatrixWorld(t, engine)
		mgr, lead, dir := w.caller("manager"), w.caller("lead"), w.caller("director")
		dMgr, sMgr := w.held(mgr)
		dMate, _ := w.held(w.mate)
		dOther, _ := w.held(w.other)
		screens := map[string]*screen{"manager": w.screen(mgr), "lead": w.screen(lead), "director": w.screen(dir), "other": w.screen(w.other)}
		time.Sleep(50 * time.Millisecond) // registered
		for _, d := range []string{dMgr, dMate, dOther} {
			w.c.inbound(w.lines[map[string]string{dMgr: mgr.u.ID, dMate: w.mate.u.ID, dOther: w.other.u.ID}[d]], customerOf(t, w, d), "again-"+d, "again").want(http.StatusCreated)
		}
		wantSeen := map[string][]string{"manager": {dMgr}, "lead": {dMgr, dMate}, "director": {dMgr, dMate, dOther}, "other": {dOther}}
		for name, s := range screens {
			mustSameSet(t, name+"'s message events", s.seen("message.created", 500*time.Millisecond), wantSeen[name])
		}
		// Whoever loses a session hears of it: the administrator intercepts
		// the manager's session; the manager's screen gets the event, and
		// after it nothing more of that dialog.
		w.c.do("POST", "/api/v1/sessions/"+sMgr+"/intercept", nil).want(http.StatusOK)
		if got := screens["manager"].seen("session.taken", 500*time.Millisecond); !slices.Contains(got, dMgr) {
			t.Errorf("the manager was not told his session was taken: %v", got)
		}
		w.c.inbound(w.lines[mgr.u.ID], customerOf(t, w, dMgr), "after-intercept", "still there?").want(http.StatusCreated)
		if got := screens["manager"].seen("message.created", 300*time.Millisecond); len(got) != 0 {
			t.Errorf("the manager still gets the intercepted dialog's messages: %v", got)
		}
		// Customer typing follows the same scope.
		w.c.do("POST", "/api/v1/channels/"+w.lines[w.mate.u.ID]+"/typing", map[string]any{"customer": map[string]any{"external_id": customerOf(t, w, dMate)}}).want(http.StatusNoContent)
		if got := screens["lead"].seen("typing", 300*time.Millisecond); !slices.Equal(got, []string{dMate}) {
			t.Errorf("the team head's typing events: %v", got)
		}
		if got := screens["other"].seen("typing", 100*time.Millisecond); len(got) != 0 {
			t.Errorf("typing reached a screen outside the scope: %v", got)
		}
	})
}

// customerOf is the external id of a dialog's customer.
func customerOf(t *testing.T, w *mworld, dialogID string) string {
	return str(w.c.do("GET", "/api/v1/dialogs/"+dialogID, nil).want(http.StatusOK).json, "customer", "external_id")
}

// Unread counts live on the server: they survive a reload, belong to each
// user, and a read marker of a dialog outside one's scope is not found.
func TestReadMarkers(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newMatrixWorld(t, engine)
		mgr, dir := w.caller("manager"), w.caller("director")
		d, _ := w.held(mgr)
		unread := func(c *mcaller) float64 {
			v, _ := get(c.c.do("GET", "/api/v1/dialogs/"+d, nil).want(http.StatusOK).json, "unread").(float64)
			return v
		}
		if n := unread(mgr); n != 1 { // the first message
			t.Fatalf("unread at first: %v", n)
		}
		mgr.c.do("POST", "/api/v1/dialogs/"+d+"/read", nil).want(http.StatusNoContent)
		if n := unread(mgr); n != 0 {
			t.Fatalf("unread after reading: %v", n)
		}
		cust := customerOf(t, w, d)
		for i := range 3 {
			time.Sleep(2 * time.Millisecond)
			w.c.inbound(w.lines[mgr.u.ID], cust, fmt.Sprint("more-", i), "more").want(http.StatusCreated)
		}
		if n := unread(mgr); n != 3 {
			t.Fatalf("unread after three more: %v", n)
		}
		if n := unread(dir); n != 4 { // the director never read it
			t.Fatalf("the director's unread: %v", n)
		}
		// The list says the same (a fresh client: nothing kept in a browser).
		again := w.login(mgr.u.Email, testPassword)
		for _, x := range objects(t, again.dialogs("limit=50").want(http.StatusOK).json, "dialogs") {
			if x["id"] == d && x["unread"] != float64(3) {
				t.Fatalf("listed unread %v", x["unread"])
			}
		}
		w.caller("lead").c.do("POST", "/api/v1/dialogs/"+d+"/read", nil).want(http.StatusNoContent) // a teammate's: in the lead's scope
		w.other.c.do("POST", "/api/v1/dialogs/"+d+"/read", nil).wantErr(http.StatusNotFound, "not_found")
	})
}
