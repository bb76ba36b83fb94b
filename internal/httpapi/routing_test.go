package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
)

// waitSession polls a dialog until its session satisfies cond (the routing
// engine works in the background, as in production).
func waitSession(t *testing.T, c *client, dialogID string, cond func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d := c.do("GET", "/api/v1/dialogs/"+dialogID, nil).want(http.StatusOK).json
		if s, ok := d["session"].(map[string]any); ok && cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("dialog %s: session never reached the expected state: %v", dialogID, d["session"])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func offeredTo(s map[string]any) []string {
	var out []string
	for _, v := range s["offered_to"].([]any) {
		out = append(out, v.(string))
	}
	return out
}

func TestRoutingOverHTTP(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		ann := h.user(h.ws.ID, "ann@acme.test", user.Manager, false)
		bob := h.user(h.ws.ID, "bob@acme.test", user.Manager, false)
		annC, bobC := h.login("ann@acme.test", testPassword), h.login("bob@acme.test", testPassword)

		lineID := h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Sales", "mode": "strictly",
			"queue": []string{ann.ID, bob.ID}, "check_available": true}).want(http.StatusCreated).id()
		ch := h.c.createChannel(lineID)

		// Nobody online: the session waits.
		d1 := h.c.newDialog(ch, "cust-1")
		s := waitSession(t, h.c, d1, func(s map[string]any) bool { return s["status"] == "queued" })
		if len(offeredTo(s)) != 0 {
			t.Fatalf("offered while nobody is online: %v", s)
		}
		// Presence: bad status refused; Bob online → offered to Bob at once.
		bobC.do("PUT", "/api/v1/me/status", map[string]any{"status": "busy"}).wantErr(http.StatusBadRequest, "invalid")
		p := bobC.do("PUT", "/api/v1/me/status", map[string]any{"status": "online"}).want(http.StatusOK).json
		if p["online"] != true || p["status"] != "online" {
			t.Fatalf("presence %v", p)
		}
		s = waitSession(t, h.c, d1, func(s map[string]any) bool { return len(offeredTo(s)) == 1 })
		if offeredTo(s)[0] != bob.ID {
			t.Fatalf("offered to %v, want Bob", offeredTo(s))
		}
		sid := s["id"].(string)
		// Ann, not offered, cannot take; Bob, the only one online, cannot skip.
		// (not offered to her, the session is outside her scope: not found)
		annC.do("POST", "/api/v1/sessions/"+sid+"/take", nil).wantErr(http.StatusNotFound, "not_found")
		bobC.do("POST", "/api/v1/sessions/"+sid+"/skip", nil).wantErr(http.StatusConflict, "conflict")
		// Ann comes online by heartbeat; now Bob may skip and it moves to Ann.
		annC.do("POST", "/api/v1/me/heartbeat", nil).want(http.StatusOK)
		bobC.do("POST", "/api/v1/sessions/"+sid+"/skip", nil).want(http.StatusOK)
		s = waitSession(t, h.c, d1, func(s map[string]any) bool { return len(offeredTo(s)) == 1 && offeredTo(s)[0] == ann.ID })
		taken := annC.do("POST", "/api/v1/sessions/"+sid+"/take", nil).want(http.StatusOK).json
		if str(taken, "session", "operator_id") != ann.ID || str(taken, "session", "status") != "in_work" || str(taken, "operator_id") != ann.ID {
			t.Fatalf("after take: %v", taken)
		}
		annC.do("POST", "/api/v1/sessions/"+sid+"/take", nil).wantErr(http.StatusConflict, "conflict")
		bobC.do("POST", "/api/v1/sessions/"+sid+"/finish", nil).wantErr(http.StatusNotFound, "not_found") // Ann's: outside his scope
		annC.do("POST", "/api/v1/sessions/"+sid+"/finish", nil).want(http.StatusOK)
		// The line's defaults: a close text and a rating request, then closing.
		if st := str(h.c.do("GET", "/api/v1/dialogs/"+d1, nil).json, "status"); st != "closing" {
			t.Fatalf("status after finish %q", st)
		}
		token := ""
		for _, m := range h.c.messages(d1) {
			if m["kind"] == "rating_request" {
				token = str(m, "rating_token")
			}
		}
		if len(token) < 20 {
			t.Fatalf("no rating token on the rating request: %v", h.c.messages(d1))
		}
		cross := []string{"Origin", "https://shop.example", "Sec-Fetch-Site", "cross-site"} // a widget on the customer's site
		h.anon().do("POST", "/api/v1/ratings/"+token, map[string]any{"value": 7}, cross...).wantErr(http.StatusBadRequest, "invalid")
		h.anon().do("POST", "/api/v1/ratings/not-a-token", map[string]any{"value": 1}, cross...).wantErr(http.StatusNotFound, "not_found")
		h.anon().do("POST", "/api/v1/ratings/"+token, map[string]any{"value": 1, "comment": "quick!"}, cross...).want(http.StatusOK)
		h.anon().do("POST", "/api/v1/ratings/"+token, map[string]any{"value": 0}, cross...).wantErr(http.StatusConflict, "conflict")
		rated := h.c.do("GET", "/api/v1/dialogs/"+d1, nil).json
		if get(rated, "session", "rating", "value") != float64(1) || str(rated, "session", "rating", "comment") != "quick!" {
			t.Fatalf("rating on the session: %v", get(rated, "session", "rating"))
		}
		// The dialog list finds what is offered to someone.
		d2 := h.c.newDialog(ch, "cust-2")
		waitSession(t, h.c, d2, func(s map[string]any) bool { return len(offeredTo(s)) == 1 })
		listed := h.c.dialogs("offered_to=" + ann.ID).json
		if got := ids(t, listed, "dialogs"); len(got) != 1 || got[0] != d2 {
			t.Fatalf("offered_to=ann: %v", got)
		}
		if got := objects(t, listed, "dialogs")[0]["session"].(map[string]any); len(offeredTo(got)) != 1 || offeredTo(got)[0] != ann.ID {
			t.Fatalf("the list shows offered_to %v", got["offered_to"])
		}
		h.anon().do("POST", "/api/v1/sessions/"+sid+"/take", nil).wantErr(http.StatusUnauthorized, "unauthorized")
		annC.do("POST", "/api/v1/sessions/nope/take", nil).wantErr(http.StatusNotFound, "not_found")
	})
}

func TestAbsencesOverHTTP(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		ann := h.user(h.ws.ID, "ann@acme.test", user.Manager, false)
		bob := h.user(h.ws.ID, "bob@acme.test", user.Manager, false)
		annC := h.login("ann@acme.test", testPassword)
		start := time.Now().UTC().Add(time.Hour).Truncate(time.Second)
		body := map[string]any{"kind": "vacation", "starts_at": start, "ends_at": start.Add(72 * time.Hour), "note": "sea"}
		a := annC.do("POST", "/api/v1/users/"+ann.ID+"/absences", body).want(http.StatusCreated).json
		annC.do("POST", "/api/v1/users/"+bob.ID+"/absences", body).wantErr(http.StatusNotFound, "not_found") // outside her scope
		h.c.do("POST", "/api/v1/users/"+bob.ID+"/absences", body).want(http.StatusCreated)
		for _, bad := range []map[string]any{
			{"kind": "party", "starts_at": start, "ends_at": start.Add(time.Hour)},
			{"kind": "lunch", "starts_at": start, "ends_at": start},
			{"kind": "lunch", "starts_at": start},
			{"kind": "lunch", "starts_at": "tomorrow", "ends_at": start},
		} {
			annC.do("POST", "/api/v1/users/"+ann.ID+"/absences", bad).wantErr(http.StatusBadRequest, "invalid")
		}
		list := objects(t, annC.do("GET", "/api/v1/users/"+ann.ID+"/absences", nil).want(http.StatusOK).json, "absences")
		if len(list) != 1 || list[0]["kind"] != "vacation" || list[0]["note"] != "sea" {
			t.Fatalf("absences %v", list)
		}
		annC.do("DELETE", "/api/v1/users/"+ann.ID+"/absences/"+str(a, "id"), nil).want(http.StatusNoContent)
		annC.do("DELETE", "/api/v1/users/"+ann.ID+"/absences/"+str(a, "id"), nil).wantErr(http.StatusNotFound, "not_found")
		// Another workspace sees none of it.
		_, _, other := h.workspace("Other", "free", "root@other.test", false)
		other.do("GET", "/api/v1/users/"+ann.ID+"/absences", nil).wantErr(http.StatusNotFound, "not_found")
		other.do("POST", "/api/v1/users/"+bob.ID+"/absences", body).wantErr(http.StatusNotFound, "not_found")
	})
}

// A line created from a Russian browser (or by a user who chose Russian)
// greets customers in Russian.
func TestLineDefaultsFollowTheCreatorsLanguage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		ru := h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Продажи"}, "Accept-Language", "ru-RU,ru;q=0.9").want(http.StatusCreated).json
		en := h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Sales"}, "Accept-Language", "en-GB").want(http.StatusCreated).json
		if str(ru, "welcome_text") != "Здравствуйте! Оператор скоро ответит вам." || str(en, "welcome_text") != "Hello! An operator will answer you shortly." {
			t.Fatalf("welcome texts: %q / %q", str(ru, "welcome_text"), str(en, "welcome_text"))
		}
		h.c.do("PATCH", "/api/v1/users/"+h.admin.ID, map[string]any{"locale": "ru"}).want(http.StatusOK)
		chosen := h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Поддержка"}, "Accept-Language", "en").want(http.StatusCreated).json
		if str(chosen, "close_text") != "Спасибо за обращение! Диалог завершён." {
			t.Fatalf("the user's chosen language was not used: %q", str(chosen, "close_text"))
		}
	})
}
