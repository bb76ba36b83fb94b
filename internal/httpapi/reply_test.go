package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
)

// Writing into a dialog nobody has taken takes it only when a take by the
// writer would be allowed (SPEC §4): offered to them, or they hold the
// intercept right — and then within the line's limit.
func TestReplyTakesOnlyWhatATakeCould(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		op := h.user(h.ws.ID, "op@acme.test", user.Manager, false)
		h.user(h.ws.ID, "other@acme.test", user.Manager, false)
		h.user(h.ws.ID, "dora@acme.test", user.Director, false)
		opC, otherC, doraC := h.login("op@acme.test", testPassword), h.login("other@acme.test", testPassword), h.login("dora@acme.test", testPassword)
		// Limit 1, answered sessions counted too (limit_excludes closing).
		lineID := h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Sales", "mode": "evenly", "queue": []string{op.ID},
			"check_available": true, "limit_enabled": true, "limit": 1, "limit_excludes": "closing"}).want(http.StatusCreated).id()
		ch := h.c.createChannel(lineID)
		opC.do("PUT", "/api/v1/me/status", map[string]any{"status": "online"}).want(http.StatusOK)

		d1 := h.c.newDialog(ch, "c1")
		waitSession(t, h.c, d1, func(s map[string]any) bool { return len(offeredTo(s)) == 1 })
		// Offered to op: the reply takes it.
		opC.do("POST", "/api/v1/dialogs/"+d1+"/messages", map[string]any{"text": "hi"}).want(http.StatusCreated)
		waitSession(t, h.c, d1, func(s map[string]any) bool { return s["operator_id"] == op.ID })

		// op is at the limit: three more wait, offered to nobody.
		var queued []string
		for _, c := range []string{"c2", "c3", "c4"} {
			queued = append(queued, h.c.newDialog(ch, c))
		}
		for _, d := range queued {
			// Offered to nobody, the dialog is outside op's scope.
			opC.do("POST", "/api/v1/dialogs/"+d+"/messages", map[string]any{"text": "grab"}).wantErr(http.StatusNotFound, "not_found")
			s := waitSession(t, h.c, d, func(s map[string]any) bool { return true })
			if s["operator_id"] != nil || s["answered"] == true {
				t.Fatalf("a refused reply changed the session: %v", s)
			}
			if n := len(h.c.chat(d)); n != 1 {
				t.Fatalf("a refused reply was stored: %d chat messages", n)
			}
		}
		// Freed, op is offered c2; another user (not in the queue, no
		// intercept right) cannot take it by replying.
		h.c.do("POST", "/api/v1/sessions/"+str(waitSession(t, h.c, d1, func(map[string]any) bool { return true }), "id")+"/finish", nil).want(http.StatusOK)
		waitSession(t, h.c, queued[0], func(s map[string]any) bool { return len(offeredTo(s)) == 1 && offeredTo(s)[0] == op.ID })
		otherC.do("POST", "/api/v1/dialogs/"+queued[0]+"/messages", map[string]any{"text": "mine"}).wantErr(http.StatusNotFound, "not_found")

		// A director (intercept right) may take a waiting one by replying,
		// within the line's limit: one, then the next is refused.
		doraC.do("POST", "/api/v1/dialogs/"+queued[1]+"/messages", map[string]any{"text": "I'll help"}).want(http.StatusCreated)
		doraC.do("POST", "/api/v1/dialogs/"+queued[2]+"/messages", map[string]any{"text": "and you"}).wantErr(http.StatusConflict, "conflict")
		s := waitSession(t, h.c, queued[2], func(map[string]any) bool { return true })
		if s["operator_id"] != nil {
			t.Fatalf("the director took a session past the limit: %v", s)
		}
	})
}
