package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/openlines/openlines/internal/store/storetest"
)

// TestDialogSearchAPI: q on GET /api/v1/dialogs by name (Latin, Cyrillic,
// any case) and external id, with filters; bad terms are 400 naming q.
func TestDialogSearchAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		ln := h.c.createLine("Support")
		ch := h.c.createChannel(ln)
		ch2 := h.c.createChannel(ln)
		byName := map[string]string{}
		for i, c := range []struct{ ch, ext, name string }{
			{ch, "u-1", "Maria Lopez"}, {ch, "u-2", "Ольга Сергеевна"}, {ch2, "PHONE-79001234567", "ОЛЕГ"},
		} {
			r := h.c.do("POST", "/api/v1/channels/"+c.ch+"/messages", map[string]any{
				"customer": map[string]any{"external_id": c.ext, "name": c.name},
				"message":  map[string]any{"external_id": "m" + string(rune('0'+i)), "text": "hello"},
			}).want(http.StatusCreated)
			byName[c.name] = str(r.json, "dialog_id")
		}
		find := func(query string) []string {
			t.Helper()
			return ids(t, h.c.dialogs(query).want(http.StatusOK).json, "dialogs")
		}
		for _, c := range []struct {
			query string
			want  []string
		}{
			{"q=LOPEZ", []string{byName["Maria Lopez"]}},
			{"q=" + url.QueryEscape("ольга"), []string{byName["Ольга Сергеевна"]}},
			{"q=" + url.QueryEscape("ОЛ"), []string{byName["Ольга Сергеевна"], byName["ОЛЕГ"]}},
			{"q=" + url.QueryEscape("олег"), []string{byName["ОЛЕГ"]}},
			{"q=phone-7900", []string{byName["ОЛЕГ"]}},
			{"q=" + url.QueryEscape("  lopez  "), []string{byName["Maria Lopez"]}},
			{"q=" + url.QueryEscape("ол") + "&channel_id=" + ch, []string{byName["Ольга Сергеевна"]}},
			{"q=" + url.QueryEscape("ол") + "&status=closed", nil},
			{"q=" + url.QueryEscape("ол") + "&status=queued&line_id=" + ln, []string{byName["Ольга Сергеевна"], byName["ОЛЕГ"]}},
			{"q=", []string{byName["Maria Lopez"], byName["Ольга Сергеевна"], byName["ОЛЕГ"]}},
		} {
			mustSameSet(t, c.query, find(c.query), c.want)
		}
		// Paging with q returns each match once.
		first := h.c.dialogs("limit=1&q=" + url.QueryEscape("ол")).want(http.StatusOK).json
		second := h.c.dialogs("limit=1&q=" + url.QueryEscape("ол") + "&cursor=" + str(first, "next_cursor")).want(http.StatusOK).json
		mustSameSet(t, "pages", append(ids(t, first, "dialogs"), ids(t, second, "dialogs")...), []string{byName["Ольга Сергеевна"], byName["ОЛЕГ"]})
		for _, bad := range []string{
			"q=" + strings.Repeat("a", 101),
			"q=" + url.QueryEscape(strings.Repeat("я", 101)),
			"q=a%00b",
			"q=%ff%fe",
			"q=a%0Ab",
			"q=a%09b",
		} {
			if r := h.c.dialogs(bad).wantErr(http.StatusBadRequest, "invalid"); r.errField() != "q" {
				t.Errorf("%s: field %q", bad, r.errField())
			}
		}
		h.c.dialogs("q=" + url.QueryEscape(strings.Repeat("я", 100))).want(http.StatusOK)
	})
}

// TestDialogSearchScope: a manager with the own scope finds only his
// dialogs, the director everyone's, with the same term.
func TestDialogSearchScope(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newMatrixWorld(t, engine)
		mgr, dir := w.caller("manager"), w.caller("director")
		dMgr, _ := w.held(mgr)
		dOther, _ := w.held(w.other)
		search := func(c *mcaller, q string) []string {
			return ids(t, c.c.dialogs("limit=200&q="+url.QueryEscape(q)).want(http.StatusOK).json, "dialogs")
		}
		nameOf := func(id string) string { return str(w.c.do("GET", "/api/v1/dialogs/"+id, nil).json, "customer", "name") }
		mustSameSet(t, "manager's search", search(mgr, "CUSTOMER CUST"), []string{dMgr})
		mustSameSet(t, "manager searching another's customer", search(mgr, nameOf(dOther)), nil)
		for _, d := range []string{dMgr, dOther} {
			if got := search(dir, nameOf(d)); len(got) != 1 || got[0] != d {
				t.Errorf("director's search for %s: %v", nameOf(d), got)
			}
		}
	})
}

// TestDialogHistoryAPI: GET /api/v1/dialogs/{id}/sessions gives the
// customer, the channel and the sessions, the latest first; a dialog the
// caller may not see, or that does not exist, is 404.
func TestDialogHistoryAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		w := newMatrixWorld(t, engine)
		mgr := w.caller("manager")
		d, sid := w.held(mgr)
		mgr.c.do("POST", "/api/v1/sessions/"+sid+"/spam", nil).want(http.StatusOK)
		cust := str(w.c.do("GET", "/api/v1/dialogs/"+d, nil).json, "customer", "external_id")
		w.c.inbound(w.lines[mgr.u.ID], cust, "again-"+cust, "me again").want(http.StatusCreated)
		// The new session is offered to the manager (his line): he sees the dialog still.
		waitSession(t, w.c, d, func(s map[string]any) bool { return str(s, "id") != sid && len(offeredTo(s)) == 1 })
		r := mgr.c.do("GET", "/api/v1/dialogs/"+d+"/sessions", nil).want(http.StatusOK).json
		if str(r, "dialog_id") != d || str(r, "customer", "external_id") != cust || str(r, "channel", "id") != w.lines[mgr.u.ID] || str(r, "channel", "type") != "api" {
			t.Errorf("card %v", r)
		}
		ss := objects(t, r, "sessions")
		if len(ss) != 2 || str(ss[1], "id") != sid || str(ss[1], "status") != "spam" || str(ss[1], "operator_id") != mgr.u.ID || get(ss[1], "closed_at") == nil {
			t.Fatalf("sessions %v", ss)
		}
		if str(ss[0], "status") == "spam" || get(ss[0], "closed_at") != nil {
			t.Errorf("latest session %v", ss[0])
		}
		if n := len(objects(t, mgr.c.do("GET", "/api/v1/dialogs/"+d+"/sessions?limit=1", nil).want(http.StatusOK).json, "sessions")); n != 1 {
			t.Errorf("limit=1: %d sessions", n)
		}
		mgr.c.do("GET", "/api/v1/dialogs/"+d+"/sessions?limit=0", nil).wantErr(http.StatusBadRequest, "invalid")
		// Another's dialog and a missing one are not found; the director sees both.
		dOther, _ := w.held(w.other)
		mgr.c.do("GET", "/api/v1/dialogs/"+dOther+"/sessions", nil).want(http.StatusNotFound)
		mgr.c.do("GET", "/api/v1/dialogs/01900000-0000-7000-8000-000000000000/sessions", nil).want(http.StatusNotFound)
		w.caller("director").c.do("GET", "/api/v1/dialogs/"+dOther+"/sessions", nil).want(http.StatusOK)
	})
}
