package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
)

// TestQuickAnswersAPI: an administrator files answers; a manager (no
// quick_answers.edit) reads those of their lines, with placeholders filled
// for their dialog, counts uses, and cannot change anything; a custom role
// with the permission can.
func TestQuickAnswersAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		// The first caller's language names the default sections.
		secs := objects(t, h.c.do("GET", "/api/v1/quick-answer-sections", nil, "Accept-Language", "ru-RU,ru;q=0.9").want(http.StatusOK).json, "sections")
		if len(secs) != 4 || str(secs[0], "name") != "Приветствие" || str(secs[3], "name") != "Общие" {
			t.Fatalf("sections: %v", secs)
		}
		greet, common := str(secs[0], "id"), str(secs[3], "id")
		mgr := h.user(h.ws.ID, "mgr@acme.test", user.Manager, false)
		mc := h.login(mgr.Email, testPassword)
		mine := h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Support", "queue": []string{mgr.ID}, "queue_time": 43200}).want(http.StatusCreated).id()
		other := h.c.createLine("Sales")

		shared := h.c.do("POST", "/api/v1/quick-answers", map[string]any{"section_id": greet, "text": "Hello {customer.name}, I am {operator.name} of {line.name}."}).want(http.StatusCreated)
		if str(shared.json, "title") != "Hello {customer.name}, I am {operator.name} of {line.name}." || str(shared.json, "created_by") != h.admin.ID {
			t.Errorf("created: %s", shared.raw)
		}
		// The same text again: the existing answer, 200.
		again := h.c.do("POST", "/api/v1/quick-answers", map[string]any{"section_id": common, "text": " Hello {customer.name}, I am {operator.name} of {line.name}.\n"}).want(http.StatusOK)
		if again.id() != shared.id() {
			t.Errorf("duplicate made: %s", again.raw)
		}
		ours := h.c.do("POST", "/api/v1/quick-answers", map[string]any{"text": "Support only", "line_ids": []string{mine}}).want(http.StatusCreated)
		if str(ours.json, "section_id") != common {
			t.Errorf("default section: %s", ours.raw)
		}
		theirs := h.c.do("POST", "/api/v1/quick-answers", map[string]any{"text": "Sales only", "line_ids": []string{other}}).want(http.StatusCreated).id()

		titles := func(c *client, query string) []string {
			t.Helper()
			var out []string
			for _, a := range objects(t, c.do("GET", "/api/v1/quick-answers"+query, nil).want(http.StatusOK).json, "answers") {
				out = append(out, str(a, "title"))
			}
			return out
		}
		if got := titles(mc, ""); len(got) != 2 || !slices.Contains(got, "Support only") || slices.Contains(got, "Sales only") {
			t.Errorf("manager's answers: %v", got)
		}
		if got := titles(h.c, "?line="+other); len(got) != 2 {
			t.Errorf("admin, line Sales: %v", got)
		}
		mc.do("GET", "/api/v1/quick-answers?line="+other, nil).wantErr(http.StatusNotFound, "not_found")
		mc.do("GET", "/api/v1/quick-answers/"+theirs, nil).wantErr(http.StatusNotFound, "not_found")
		mc.do("GET", "/api/v1/quick-answers/"+ours.id(), nil).want(http.StatusOK)

		// In a dialog of the manager's: placeholders filled for it.
		ch := h.c.createChannel(mine)
		d := h.c.newDialog(ch, "anna")
		s := waitSession(t, h.c, d, func(s map[string]any) bool { return len(offeredTo(s)) == 1 })
		mc.do("POST", "/api/v1/sessions/"+str(s, "id")+"/take", nil).want(http.StatusOK)
		list := objects(t, mc.do("GET", "/api/v1/quick-answers?q=HELLO&dialog="+d, nil).want(http.StatusOK).json, "answers")
		if len(list) != 1 || str(list[0], "filled") != "Hello Customer anna, I am mgr of Support." {
			t.Errorf("filled: %v", list)
		}
		h.c.do("GET", "/api/v1/quick-answers?dialog="+d+"&line="+other, nil).wantErr(http.StatusBadRequest, "invalid")
		// Uses: counted, most used first.
		for range 2 {
			mc.do("POST", "/api/v1/quick-answers/"+ours.id()+"/uses", nil).want(http.StatusOK)
		}
		if got := titles(mc, ""); got[0] != "Support only" {
			t.Errorf("most used first: %v", got)
		}
		mc.do("POST", "/api/v1/quick-answers/"+theirs+"/uses", nil).wantErr(http.StatusNotFound, "not_found")
		mc.do("POST", "/api/v1/quick-answers/"+theirs+"/uses?dialog="+d, nil).wantErr(http.StatusNotFound, "not_found")
		// The dialog moved to someone outside its line's queue: they read and
		// count its line's answers through it.
		dir := h.user(h.ws.ID, "dir@acme.test", user.Manager, false)
		dc := h.login(dir.Email, testPassword)
		h.c.do("POST", "/api/v1/sessions/"+str(s, "id")+"/transfer", map[string]any{"user_id": dir.ID}).want(http.StatusOK)
		dc.do("GET", "/api/v1/quick-answers/"+ours.id(), nil).wantErr(http.StatusNotFound, "not_found")
		if n := len(objects(t, dc.do("GET", "/api/v1/quick-answers?dialog="+d, nil).want(http.StatusOK).json, "answers")); n != 2 {
			t.Errorf("answers of the dialog's line: %d, want 2", n)
		}
		dc.do("POST", "/api/v1/quick-answers/"+ours.id()+"/uses?dialog="+d, nil).want(http.StatusOK)
		h.c.do("POST", "/api/v1/sessions/"+str(s, "id")+"/transfer", map[string]any{"user_id": mgr.ID}).want(http.StatusOK)

		// The manager may not change anything.
		m := mc.do("POST", "/api/v1/dialogs/"+d+"/messages", map[string]any{"text": "We ship within two days."}).want(http.StatusCreated).id()
		for _, c := range []struct{ method, path string }{
			{"POST", "/api/v1/quick-answers"}, {"PATCH", "/api/v1/quick-answers/" + ours.id()}, {"DELETE", "/api/v1/quick-answers/" + ours.id()},
			{"POST", "/api/v1/messages/" + m + "/quick-answer"}, {"POST", "/api/v1/quick-answer-sections"},
			{"PATCH", "/api/v1/quick-answer-sections/" + greet}, {"DELETE", "/api/v1/quick-answer-sections/" + greet},
		} {
			mc.do(c.method, c.path, map[string]any{"text": "x", "name": "x"}).wantErr(http.StatusForbidden, "forbidden")
		}
		// Saved from the chat by an editor: created, then the same answer.
		first := h.c.do("POST", "/api/v1/messages/"+m+"/quick-answer", nil).want(http.StatusCreated) // no body: one action
		second := h.c.do("POST", "/api/v1/messages/"+m+"/quick-answer", map[string]any{"title": "Shipping", "section_id": greet}).want(http.StatusOK)
		if second.id() != first.id() || str(second.json, "title") != "Shipping" || str(first.json, "source_message_id") != m {
			t.Errorf("saved twice: %s then %s", first.raw, second.raw)
		}
		in := objects(t, h.c.do("GET", "/api/v1/dialogs/"+d+"/messages", nil).want(http.StatusOK).json, "messages")[0]
		h.c.do("POST", "/api/v1/messages/"+str(in, "id")+"/quick-answer", map[string]any{}).wantErr(http.StatusBadRequest, "invalid")

		// A custom role with quick_answers.edit edits.
		role := str(h.c.do("POST", "/api/v1/roles", map[string]any{"name": "Editor", "permissions": map[string]any{"quick_answers.edit": "all"}}).want(http.StatusCreated).json, "key")
		ed := h.user(h.ws.ID, "ed@acme.test", user.Role(role), false)
		ec := h.login(ed.Email, testPassword)
		ec.do("PATCH", "/api/v1/quick-answers/"+theirs, map[string]any{"text": "Sales only, edited"}).want(http.StatusOK)
		ec.do("PATCH", "/api/v1/quick-answers/"+theirs, map[string]any{"text": "Support only"}).wantErr(http.StatusConflict, "conflict")
		// Sections: a full one is deleted only with move_to.
		ec.do("DELETE", "/api/v1/quick-answer-sections/"+greet, nil).wantErr(http.StatusConflict, "conflict")
		ec.do("DELETE", "/api/v1/quick-answer-sections/"+greet+"?move_to=nope", nil).wantErr(http.StatusBadRequest, "invalid")
		ec.do("DELETE", "/api/v1/quick-answer-sections/"+greet+"?move_to="+common, nil).want(http.StatusNoContent)
		if got := str(h.c.do("GET", "/api/v1/quick-answers/"+shared.id(), nil).want(http.StatusOK).json, "section_id"); got != common {
			t.Errorf("answer not moved: %s", got)
		}
		ec.do("DELETE", "/api/v1/quick-answers/"+theirs, nil).want(http.StatusNoContent)
		ec.do("DELETE", "/api/v1/quick-answers/"+theirs, nil).wantErr(http.StatusNotFound, "not_found")
	})
}

// TestQuickAnswersBadInput: malformed JSON, NUL, invalid UTF-8 and oversized
// text get the same clear 4xx on both engines, and nothing is stored.
func TestQuickAnswersBadInput(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		for name, c := range map[string]struct {
			body   any
			status int
			code   string
		}{
			"malformed JSON": {rawBody(`{"text": "hi"`), http.StatusBadRequest, "invalid"},
			"not an object":  {rawBody(`["hi"]`), http.StatusBadRequest, "invalid"},
			"NUL":            {map[string]any{"text": "a\x00b"}, http.StatusBadRequest, "invalid"},
			"invalid UTF-8":  {rawBody("{\"text\": \"a\xff\"}"), http.StatusBadRequest, "invalid"},
			"oversized":      {map[string]any{"text": strings.Repeat("ж", 4001)}, http.StatusBadRequest, "invalid"},
			"no text":        {map[string]any{"title": "t"}, http.StatusBadRequest, "invalid"},
			"bad section":    {map[string]any{"text": "t", "section_id": "nope"}, http.StatusBadRequest, "invalid"},
			"unknown line":   {map[string]any{"text": "t", "line_ids": []string{"01890000-0000-7000-8000-000000000000"}}, http.StatusBadRequest, "invalid"},
			"unknown field":  {map[string]any{"text": "t", "colour": "red"}, http.StatusBadRequest, "invalid"},
		} {
			r := h.c.do("POST", "/api/v1/quick-answers", c.body)
			if r.status != c.status || r.errCode() != c.code || r.errMessage() == "" {
				t.Errorf("%s: %d %s", name, r.status, clip(r.raw))
			}
		}
		h.c.do("GET", "/api/v1/quick-answers?q=a%00b", nil).wantErr(http.StatusBadRequest, "invalid")
		h.c.do("GET", "/api/v1/quick-answers?q=%ff", nil).wantErr(http.StatusBadRequest, "invalid")
		h.c.do("GET", "/api/v1/quick-answers?q="+strings.Repeat("a", 101), nil).wantErr(http.StatusBadRequest, "invalid")
		h.c.do("GET", "/api/v1/quick-answers?section=x", nil).wantErr(http.StatusBadRequest, "invalid")
		h.c.do("GET", "/api/v1/quick-answers?cursor=zz", nil).wantErr(http.StatusBadRequest, "invalid")
		h.c.do("GET", "/api/v1/quick-answers/not-an-id", nil).wantErr(http.StatusNotFound, "not_found")
		h.c.do("POST", "/api/v1/quick-answer-sections", map[string]any{"name": "bad\x00"}).wantErr(http.StatusBadRequest, "invalid")
		h.c.do("POST", "/api/v1/quick-answer-sections", map[string]any{"name": strings.Repeat("s", 101)}).wantErr(http.StatusBadRequest, "invalid")
		if n := len(objects(t, h.c.do("GET", "/api/v1/quick-answers", nil).want(http.StatusOK).json, "answers")); n != 0 {
			t.Errorf("%d answers stored", n)
		}
	})
}
