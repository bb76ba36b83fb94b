package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
)

// Operator actions over HTTP: who may do what, and the bad inputs of SPEC §6.
func TestOperatorActionsOverHTTP(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		ann := h.user(h.ws.ID, "ann@acme.test", user.Manager, false)
		bob := h.user(h.ws.ID, "bob@acme.test", user.Manager, false)
		dir := h.user(h.ws.ID, "dora@acme.test", user.Director, false)
		annC, bobC, dirC := h.login("ann@acme.test", testPassword), h.login("bob@acme.test", testPassword), h.login("dora@acme.test", testPassword)
		sales := h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Sales", "queue": []string{ann.ID}}).want(http.StatusCreated).id()
		billing := h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Billing", "queue": []string{bob.ID}}).want(http.StatusCreated).id()
		d := h.c.newDialog(h.c.createChannel(sales), "cust")
		sid := str(waitSession(t, h.c, d, func(s map[string]any) bool { return len(offeredTo(s)) == 1 }), "id")
		path := "/api/v1/sessions/" + sid + "/"

		// Forward search by part of a name.
		found := h.c.do("GET", "/api/v1/transfer-targets?q=bill", nil).want(http.StatusOK).json
		if got := objects(t, found, "lines"); len(got) != 1 || got[0]["id"] != billing {
			t.Fatalf("search: %v", found)
		}
		if got := objects(t, h.c.do("GET", "/api/v1/transfer-targets?q=BOB", nil).json, "users"); len(got) != 1 || got[0]["id"] != bob.ID {
			t.Fatalf("user search: %v", got)
		}

		// Rights: Ann's session is outside Bob's (a manager's) scope, so it
		// is not found for him; on her own session voting is forbidden.
		annC.do("POST", path+"take", nil).want(http.StatusOK)
		for _, act := range []string{"intercept", "join", "finish", "pin"} {
			bobC.do("POST", path+act, nil).wantErr(http.StatusNotFound, "not_found")
		}
		bobC.do("POST", path+"vote", map[string]any{"score": 5}).wantErr(http.StatusNotFound, "not_found")
		annC.do("POST", path+"vote", map[string]any{"score": 5}).wantErr(http.StatusForbidden, "forbidden")
		bobC.do("POST", path+"transfer", map[string]any{"line_id": billing}).wantErr(http.StatusNotFound, "not_found")

		// Bad transfers change nothing.
		annC.do("POST", path+"transfer", map[string]any{}).wantErr(http.StatusBadRequest, "invalid")
		annC.do("POST", path+"transfer", map[string]any{"user_id": ann.ID}).wantErr(http.StatusConflict, "conflict")
		annC.do("POST", path+"transfer", map[string]any{"user_id": "nobody"}).wantErr(http.StatusNotFound, "not_found")
		annC.do("POST", path+"transfer", map[string]any{"line_id": sales}).wantErr(http.StatusConflict, "conflict")
		annC.do("POST", path+"transfer", map[string]any{"queue": "x"}).wantErr(http.StatusBadRequest, "invalid")
		_, _, other := h.workspace("Other", "enterprise", "root@other.test", false)
		foreignLine := other.createLine("Theirs")
		annC.do("POST", path+"transfer", map[string]any{"line_id": foreignLine}).wantErr(http.StatusNotFound, "not_found")
		other.do("POST", path+"take", nil).wantErr(http.StatusNotFound, "not_found")
		if got := str(h.c.do("GET", "/api/v1/dialogs/"+d, nil).json, "session", "operator_id"); got != ann.ID {
			t.Fatalf("the refused transfers changed the holder to %q", got)
		}

		// A note is kept on the timeline and never sent.
		note := annC.do("POST", "/api/v1/dialogs/"+d+"/notes", map[string]any{"text": "VIP"}).want(http.StatusCreated).json
		if note["kind"] != "note" || note["direction"] != "system" {
			t.Fatalf("note %v", note)
		}
		annC.do("POST", "/api/v1/dialogs/"+d+"/notes", map[string]any{"text": " "}).wantErr(http.StatusBadRequest, "invalid")

		// The director joins, votes, intercepts; the session then moves lines.
		dirC.do("POST", path+"join", nil).want(http.StatusOK)
		dirC.do("POST", path+"vote", map[string]any{"score": 0}).wantErr(http.StatusBadRequest, "invalid")
		dirC.do("POST", path+"vote", map[string]any{"score": 4, "comment": "ok"}).want(http.StatusOK)
		got := dirC.do("POST", path+"intercept", nil).want(http.StatusOK).json
		if str(got, "session", "operator_id") != dir.ID {
			t.Fatalf("after intercept: %v", got["session"])
		}
		dirC.do("POST", path+"pin", nil).want(http.StatusOK)
		if get(h.c.do("GET", "/api/v1/dialogs/"+d, nil).json, "session", "pinned") != true {
			t.Fatal("not pinned")
		}
		dirC.do("POST", path+"unpin", nil).want(http.StatusOK)
		moved := dirC.do("POST", path+"transfer", map[string]any{"line_id": billing}).want(http.StatusOK).json
		if str(moved, "line_id") != billing || str(moved, "session", "status") != "queued" {
			t.Fatalf("after transfer to Billing: %v", moved)
		}
		s := waitSession(t, h.c, d, func(s map[string]any) bool { return len(offeredTo(s)) == 1 })
		if offeredTo(s)[0] != bob.ID {
			t.Fatalf("offered on Billing to %v", offeredTo(s))
		}
		bobC.do("POST", path+"spam", nil).want(http.StatusOK)
		if st := str(h.c.do("GET", "/api/v1/dialogs/"+d, nil).json, "status"); st != "spam" {
			t.Fatalf("status %q", st)
		}
		// Marked spam from an offer, it is no longer Bob's: not found.
		bobC.do("POST", path+"spam", nil).wantErr(http.StatusNotFound, "not_found")
		h.c.do("POST", path+"spam", nil).wantErr(http.StatusConflict, "conflict")
	})
}
