package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// --- helpers of the rights tests (prefixed so as not to collide) ---

// rightsGrants reads a JSON permissions object as permission → scope.
func rightsGrants(t *testing.T, v any) map[string]string {
	t.Helper()
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("permissions %v (%T) is not an object", v, v)
	}
	out := map[string]string{}
	for k, s := range m {
		str, ok := s.(string)
		if !ok {
			t.Fatalf("permissions[%s] = %v is not a scope name", k, s)
		}
		out[k] = str
	}
	return out
}

// rightsWantGrants fails unless the JSON permissions equal want.
func rightsWantGrants(t *testing.T, what string, got any, want map[string]string) {
	t.Helper()
	g := rightsGrants(t, got)
	if g == nil {
		g = map[string]string{}
	}
	if !reflect.DeepEqual(g, want) {
		t.Fatalf("%s: permissions %v, want %v", what, g, want)
	}
}

func rightsAny(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// rightsRole returns the role of key from GET /roles, nil when absent.
func rightsRole(c *client, key string) map[string]any {
	c.t.Helper()
	for _, r := range objects(c.t, c.do("GET", "/api/v1/roles", nil).want(http.StatusOK).json, "roles") {
		if str(r, "key") == key {
			return r
		}
	}
	return nil
}

// rightsMe returns the caller's GET /me.
func rightsMe(c *client) map[string]any {
	c.t.Helper()
	return c.do("GET", "/api/v1/me", nil).want(http.StatusOK).json
}

// rightsEventually retries cond for up to 2 s (rights changes should be
// immediate on the same server; the loop only spares a flaky failure).
func rightsEventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for tries := 1; ; tries++ {
		ok, state := cond()
		if ok {
			if tries > 1 {
				t.Logf("%s: took %d tries", what, tries)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: never happened; last state %s", what, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rightsAudit reads one page of the audit log with a query (no "?").
func rightsAudit(c *client, query string) []map[string]any {
	c.t.Helper()
	r := c.do("GET", "/api/v1/audit?"+query, nil).want(http.StatusOK)
	return objects(c.t, r.json, "entries")
}

// rightsAuditOf returns every entry about one record, newest first.
func rightsAuditOf(c *client, entity, id string) []map[string]any {
	c.t.Helper()
	return rightsAudit(c, "limit=200&entity="+entity+"&entity_id="+url.QueryEscape(id))
}

// rightsWantEntry checks an audit entry's who, what and action.
func rightsWantEntry(t *testing.T, e map[string]any, actor user.User, entity, id, action string) {
	t.Helper()
	if str(e, "actor_id") != actor.ID || str(e, "actor_name") != actor.Name || str(e, "entity") != entity ||
		str(e, "entity_id") != id || str(e, "action") != action || str(e, "id") == "" || str(e, "created_at") == "" {
		b, _ := json.Marshal(e)
		t.Fatalf("audit entry %s; want actor %s (%s), entity %s %s, action %s", b, actor.ID, actor.Name, entity, id, action)
	}
}

// rightsWantCount fails unless there are n entries.
func rightsWantCount(t *testing.T, what string, es []map[string]any, n int) {
	t.Helper()
	if len(es) != n {
		var acts []string
		for _, e := range es {
			acts = append(acts, str(e, "entity")+" "+str(e, "action"))
		}
		t.Fatalf("%s: %d audit entries %v, want %d", what, len(es), acts, n)
	}
}

// rightsNoSecrets fails when the raw audit log holds a password hash or a
// known secret.
func rightsNoSecrets(t *testing.T, c *client, secrets ...string) {
	t.Helper()
	raw := c.do("GET", "/api/v1/audit?limit=200", nil).want(http.StatusOK).raw
	for _, s := range append([]string{"argon2", "$argon"}, secrets...) {
		if s != "" && bytes.Contains(raw, []byte(s)) {
			t.Fatalf("the audit log contains %q: %s", s, clip(raw))
		}
	}
}

// --- 1. custom roles ---

func TestRoleLifecycle(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		lineID := h.c.createLine("Support")

		// The catalogue.
		cat := objects(t, h.c.do("GET", "/api/v1/permissions", nil).want(http.StatusOK).json, "permissions")
		scoped := map[string]bool{}
		for _, e := range cat {
			scoped[str(e, "permission")] = get(e, "scoped") == true
		}
		if len(cat) != 11 || !scoped["dialogs.view"] || scoped["lines.edit"] || !scoped["stats.view"] {
			t.Fatalf("permissions catalogue %v", cat)
		}

		perms := map[string]string{"dialogs.view": "team", "stats.view": "own", "lines.view": "all"}
		r := h.c.do("POST", "/api/v1/roles", map[string]any{"name": " Supervisor ", "permissions": rightsAny(perms)}).want(http.StatusCreated)
		key := str(r.json, "key")
		if _, err := uuid.Parse(key); err != nil {
			t.Fatalf("role key %q is not a uuid: %s", key, r.raw)
		}
		if str(r.json, "name") != "Supervisor" || get(r.json, "predefined") != false {
			t.Fatalf("created role %s", r.raw)
		}
		rightsWantGrants(t, "created role", get(r.json, "permissions"), perms)
		role := rightsRole(h.c, key)
		if role == nil || str(role, "name") != "Supervisor" || get(role, "users") != float64(0) || get(role, "predefined") != false {
			t.Fatalf("GET /roles: custom role %v", role)
		}
		rightsWantGrants(t, "listed role", get(role, "permissions"), perms)
		for _, k := range []string{"administrator", "director", "manager"} {
			if pr := rightsRole(h.c, k); pr == nil || get(pr, "predefined") != true {
				t.Fatalf("predefined role %s: %v", k, pr)
			}
		}
		if adm := rightsRole(h.c, "administrator"); get(adm, "users") != float64(1) {
			t.Fatalf("administrator users %v, want 1", get(adm, "users"))
		}

		// Refusals, none of which creates anything.
		if r := h.c.do("POST", "/api/v1/roles", map[string]any{"name": "Supervisor", "permissions": map[string]any{}}).
			wantErr(http.StatusConflict, "conflict"); r.errField() != "name" {
			t.Fatalf("duplicate name: field %q", r.errField())
		}
		for _, name := range []string{"Administrator", "manager", "DIRECTOR"} {
			if r := h.c.do("POST", "/api/v1/roles", map[string]any{"name": name}).wantErr(http.StatusBadRequest, "invalid"); r.errField() != "name" {
				t.Fatalf("predefined name %q: field %q", name, r.errField())
			}
		}
		h.c.do("POST", "/api/v1/roles", map[string]any{"permissions": map[string]any{}}).wantErr(http.StatusBadRequest, "invalid")
		h.c.do("POST", "/api/v1/roles", map[string]any{"name": "   "}).wantErr(http.StatusBadRequest, "invalid")
		if r := h.c.do("POST", "/api/v1/roles", map[string]any{"name": "X", "permissions": map[string]any{"dialogs.delete": "all"}}).
			wantErr(http.StatusBadRequest, "invalid"); !strings.Contains(r.errMessage(), "dialogs.delete") {
			t.Fatalf("unknown permission: %s", r.raw)
		}
		for _, bad := range []map[string]any{{"lines.edit": "own"}, {"settings.edit": "team"}, {"roles.edit": "own"}} {
			h.c.do("POST", "/api/v1/roles", map[string]any{"name": "X", "permissions": bad}).wantErr(http.StatusBadRequest, "invalid")
		}
		h.c.do("POST", "/api/v1/roles", map[string]any{"name": "X", "permissions": map[string]any{"dialogs.view": "everything"}}).
			wantErr(http.StatusBadRequest, "invalid")
		h.c.do("POST", "/api/v1/roles", map[string]any{"name": "X", "permissions": []any{"dialogs.view"}}).
			wantErr(http.StatusBadRequest, "invalid")
		if n := len(objects(t, h.c.do("GET", "/api/v1/roles", nil).want(http.StatusOK).json, "roles")); n != 4 {
			t.Fatalf("%d roles after refused creates, want 4", n)
		}

		// Give the role to a manager.
		op := h.user(h.ws.ID, "op@acme.test", user.Manager, false)
		opC := h.login("op@acme.test", testPassword)
		rightsWantGrants(t, "manager's /me", get(rightsMe(opC), "permissions"), map[string]string{"dialogs.view": "own", "stats.view": "own"})
		opC.do("GET", "/api/v1/lines/"+lineID, nil).wantErr(http.StatusForbidden, "forbidden")
		h.c.do("PATCH", "/api/v1/users/"+op.ID, map[string]any{"role": "00000000-0000-7000-8000-000000000000"}).
			wantErr(http.StatusBadRequest, "invalid")
		if u := h.c.do("PATCH", "/api/v1/users/"+op.ID, map[string]any{"role": key}).want(http.StatusOK); str(u.json, "role") != key {
			t.Fatalf("PATCH role: %s", u.raw)
		}
		if u := h.c.do("GET", "/api/v1/users/"+op.ID, nil).want(http.StatusOK); str(u.json, "role") != key {
			t.Fatalf("GET user after role change: %s", u.raw)
		}
		if role := rightsRole(h.c, key); get(role, "users") != float64(1) {
			t.Fatalf("users of the role %v, want 1", get(role, "users"))
		}
		if m := rightsMe(opC); str(m, "user", "role") != key {
			t.Fatalf("/me role %q, want %s", str(m, "user", "role"), key)
		}
		rightsWantGrants(t, "custom role's /me", get(rightsMe(opC), "permissions"), perms)
		opC.do("GET", "/api/v1/lines/"+lineID, nil).want(http.StatusOK) // lines.view all

		// Change the role's permissions: the user's next request sees them.
		perms2 := map[string]string{"dialogs.view": "all", "dialogs.join": "team"}
		r = h.c.do("PATCH", "/api/v1/roles/"+key, map[string]any{"permissions": rightsAny(perms2)}).want(http.StatusOK)
		rightsWantGrants(t, "patched role", get(r.json, "permissions"), perms2)
		if str(r.json, "name") != "Supervisor" || str(r.json, "key") != key {
			t.Fatalf("patched role %s", r.raw)
		}
		rightsEventually(t, "the user sees the role's new permissions", func() (bool, string) {
			m := rightsMe(opC)
			g := rightsGrants(t, get(m, "permissions"))
			return reflect.DeepEqual(g, perms2), clip(mustJSON(t, g))
		})
		opC.do("GET", "/api/v1/lines/"+lineID, nil).wantErr(http.StatusForbidden, "forbidden") // lines.view is gone
		rightsWantGrants(t, "listed role after PATCH", get(rightsRole(h.c, key), "permissions"), perms2)

		// Renames: a predefined name is refused, a taken one conflicts.
		other := str(h.c.do("POST", "/api/v1/roles", map[string]any{"name": "Auditor", "permissions": map[string]any{"stats.view": "all"}}).
			want(http.StatusCreated).json, "key")
		h.c.do("PATCH", "/api/v1/roles/"+key, map[string]any{"name": "Administrator"}).wantErr(http.StatusBadRequest, "invalid")
		h.c.do("PATCH", "/api/v1/roles/"+key, map[string]any{"name": "Auditor"}).wantErr(http.StatusConflict, "conflict")
		h.c.do("PATCH", "/api/v1/roles/"+key, map[string]any{"permissions": map[string]any{"nope": "all"}}).wantErr(http.StatusBadRequest, "invalid")
		if role := rightsRole(h.c, key); str(role, "name") != "Supervisor" {
			t.Fatalf("a refused rename changed the role: %v", role)
		}
		rightsWantGrants(t, "role after refused PATCH", get(rightsRole(h.c, key), "permissions"), perms2)
		r = h.c.do("PATCH", "/api/v1/roles/"+key, map[string]any{"name": "Lead"}).want(http.StatusOK)
		if str(r.json, "name") != "Lead" {
			t.Fatalf("rename: %s", r.raw)
		}
		rightsWantGrants(t, "renamed role keeps its permissions", get(r.json, "permissions"), perms2)

		// A role in use cannot be deleted.
		dr := h.c.do("DELETE", "/api/v1/roles/"+key, nil).wantErr(http.StatusConflict, "conflict")
		if !strings.Contains(dr.errMessage(), "1 user") {
			t.Fatalf("delete of a held role: message %q does not say 1 user", dr.errMessage())
		}
		if rightsRole(h.c, key) == nil {
			t.Fatal("a refused delete removed the role")
		}
		h.c.do("PATCH", "/api/v1/users/"+op.ID, map[string]any{"role": "manager"}).want(http.StatusOK)
		if role := rightsRole(h.c, key); get(role, "users") != float64(0) {
			t.Fatalf("users of the role after reassigning %v, want 0", get(role, "users"))
		}
		rightsWantGrants(t, "back to manager", get(rightsMe(opC), "permissions"), map[string]string{"dialogs.view": "own", "stats.view": "own"})
		if r := h.c.do("DELETE", "/api/v1/roles/"+key, nil).want(http.StatusNoContent); len(r.raw) != 0 {
			t.Fatalf("204 with a body %s", r.raw)
		}
		if rightsRole(h.c, key) != nil {
			t.Fatal("deleted role still listed")
		}
		h.c.do("DELETE", "/api/v1/roles/"+key, nil).wantErr(http.StatusNotFound, "not_found")
		h.c.do("PATCH", "/api/v1/roles/"+key, map[string]any{"name": "Again"}).wantErr(http.StatusNotFound, "not_found")
		h.c.do("PATCH", "/api/v1/users/"+op.ID, map[string]any{"role": key}).wantErr(http.StatusBadRequest, "invalid")
		// The freed name can be used again.
		h.c.do("POST", "/api/v1/roles", map[string]any{"name": "Lead"}).want(http.StatusCreated)

		// A manager may read roles but not change them.
		if len(objects(t, opC.do("GET", "/api/v1/roles", nil).want(http.StatusOK).json, "roles")) != 5 {
			t.Fatal("a manager's GET /roles")
		}
		opC.do("POST", "/api/v1/roles", map[string]any{"name": "Mine", "permissions": map[string]any{"settings.edit": "all"}}).
			wantErr(http.StatusForbidden, "forbidden")
		opC.do("PATCH", "/api/v1/roles/"+other, map[string]any{"name": "Mine"}).wantErr(http.StatusForbidden, "forbidden")
		opC.do("DELETE", "/api/v1/roles/"+other, nil).wantErr(http.StatusForbidden, "forbidden")
		if role := rightsRole(h.c, other); role == nil || str(role, "name") != "Auditor" {
			t.Fatalf("a manager changed a role: %v", role)
		}

		// Roles are per workspace.
		_, _, otherC := h.workspace("Other", workspace.Free, "admin@other.test", false)
		otherC.do("PATCH", "/api/v1/roles/"+other, map[string]any{"name": "Stolen"}).wantErr(http.StatusNotFound, "not_found")
		otherC.do("DELETE", "/api/v1/roles/"+other, nil).wantErr(http.StatusNotFound, "not_found")
		if got := rightsRole(otherC, other); got != nil {
			t.Fatalf("another workspace lists the role: %v", got)
		}
	})
}

// Predefined roles cannot be changed or deleted: 403 (SPEC §9: a forbidden
// action on a visible record is 403), and they stay as they were.
func TestRolePredefinedImmutable(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		// Predefined roles cannot be changed or deleted.
		for _, k := range []string{"administrator", "director", "manager"} {
			h.c.do("PATCH", "/api/v1/roles/"+k, map[string]any{"name": "Mine"}).wantErr(http.StatusForbidden, "forbidden")
			h.c.do("PATCH", "/api/v1/roles/"+k, map[string]any{"permissions": map[string]any{"lines.view": "all"}}).wantErr(http.StatusForbidden, "forbidden")
			h.c.do("DELETE", "/api/v1/roles/"+k, nil).wantErr(http.StatusForbidden, "forbidden")
		}
		rightsWantGrants(t, "manager role unchanged", get(rightsRole(h.c, "manager"), "permissions"), map[string]string{"dialogs.view": "own", "stats.view": "own"})
		if n := len(rightsAudit(h.c, "entity=role")); n != 0 {
			t.Fatalf("refused changes of predefined roles left %d audit entries", n)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// --- 2. the last guardian ---

func TestGuardianLastAdministrator(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		adminPath := "/api/v1/users/" + h.admin.ID
		unchanged := func(what string) {
			t.Helper()
			u := h.c.do("GET", adminPath, nil).want(http.StatusOK)
			if str(u.json, "role") != "administrator" || get(u.json, "active") != true {
				t.Fatalf("%s changed the administrator: %s", what, u.raw)
			}
		}
		// A director does not count: no roles.edit, no settings.edit.
		h.user(h.ws.ID, "director@acme.test", user.Director, false)

		for _, body := range []map[string]any{{"role": "manager"}, {"role": "director"}, {"active": false}, {"role": "manager", "name": "Renamed"}} {
			r := h.c.do("PATCH", adminPath, body).wantErr(http.StatusConflict, "conflict")
			if !strings.Contains(r.errMessage(), "no active user") {
				t.Fatalf("PATCH %v: message %q", body, r.errMessage())
			}
			unchanged("PATCH")
		}
		h.c.do("POST", adminPath+"/deactivate", nil).wantErr(http.StatusConflict, "conflict")
		unchanged("deactivate")
		if u := h.c.do("GET", adminPath, nil).want(http.StatusOK); str(u.json, "name") != h.admin.Name {
			t.Fatalf("a refused PATCH renamed the administrator: %s", u.raw)
		}
		// The refused deactivation did not end the sign-in either.
		rightsWantGrants(t, "administrator /me", get(rightsMe(h.c), "permissions"), map[string]string{
			"lines.view": "all", "lines.edit": "all", "channels.connect": "all", "dialogs.view": "all", "dialogs.join": "all",
			"dialogs.intercept": "all", "dialogs.vote": "all", "stats.view": "all", "quick_answers.edit": "all",
			"roles.edit": "all", "settings.edit": "all"})
		if es := rightsAudit(h.c, "entity=user&entity_id="+h.admin.ID); len(es) != 1 || str(es[0], "action") != "create" {
			t.Fatalf("refused changes left audit entries: %v", es) // only the harness' create
		}

		// A custom role with both guardian permissions, given to someone else.
		owner := str(h.c.do("POST", "/api/v1/roles", map[string]any{"name": "Owner",
			"permissions": map[string]any{"roles.edit": "all", "settings.edit": "all"}}).want(http.StatusCreated).json, "key")
		second := h.user(h.ws.ID, "second@acme.test", user.Manager, false)
		secondC := h.login("second@acme.test", testPassword)
		h.c.do("PATCH", adminPath, map[string]any{"role": "manager"}).wantErr(http.StatusConflict, "conflict") // not yet
		h.c.do("PATCH", "/api/v1/users/"+second.ID, map[string]any{"role": owner}).want(http.StatusOK)

		if u := h.c.do("PATCH", adminPath, map[string]any{"role": "manager"}).want(http.StatusOK); str(u.json, "role") != "manager" {
			t.Fatalf("demotion: %s", u.raw)
		}
		// The demoted administrator's rights drop at once.
		rightsWantGrants(t, "demoted /me", get(rightsMe(h.c), "permissions"), map[string]string{"dialogs.view": "own", "stats.view": "own"})
		h.c.do("POST", "/api/v1/roles", map[string]any{"name": "Back"}).wantErr(http.StatusForbidden, "forbidden")

		// Now the custom role is the last guardian: it cannot lose either permission.
		for _, g := range []map[string]any{{"roles.edit": "all"}, {"settings.edit": "all"}, {}} {
			r := secondC.do("PATCH", "/api/v1/roles/"+owner, map[string]any{"permissions": g}).wantErr(http.StatusConflict, "conflict")
			if !strings.Contains(r.errMessage(), "no active user") {
				t.Fatalf("PATCH role %v: message %q", g, r.errMessage())
			}
			rightsWantGrants(t, "guardian role after a refused PATCH", get(rightsRole(secondC, owner), "permissions"),
				map[string]string{"roles.edit": "all", "settings.edit": "all"})
		}
		// Its holder cannot be deactivated or moved off it, by themselves either.
		secondC.do("POST", "/api/v1/users/"+second.ID+"/deactivate", nil).wantErr(http.StatusConflict, "conflict")
		secondC.do("PATCH", "/api/v1/users/"+second.ID, map[string]any{"role": "director"}).wantErr(http.StatusConflict, "conflict")
		// Widening it is fine.
		r := secondC.do("PATCH", "/api/v1/roles/"+owner, map[string]any{"permissions": map[string]any{
			"roles.edit": "all", "settings.edit": "all", "lines.view": "all"}}).want(http.StatusOK)
		rightsWantGrants(t, "widened role", get(r.json, "permissions"), map[string]string{"roles.edit": "all", "settings.edit": "all", "lines.view": "all"})
		// With an administrator back, the custom role may lose them.
		secondC.do("PATCH", adminPath, map[string]any{"role": "administrator"}).want(http.StatusOK)
		secondC.do("PATCH", "/api/v1/roles/"+owner, map[string]any{"permissions": map[string]any{"settings.edit": "all"}}).want(http.StatusOK)
		rightsWantGrants(t, "narrowed role", get(rightsMe(secondC), "permissions"), map[string]string{"settings.edit": "all"})
	})
}

// --- 3. audit ---

func TestAuditLine(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		id := h.c.createLine("Support")
		es := rightsAuditOf(h.c, "line", id)
		rightsWantCount(t, "after create", es, 1)
		rightsWantEntry(t, es[0], h.admin, "line", id, "create")
		if get(es[0], "before") != nil || str(es[0], "after", "name") != "Support" || str(es[0], "after", "id") != id {
			t.Fatalf("create entry %s", mustJSON(t, es[0]))
		}

		h.c.do("PATCH", "/api/v1/lines/"+id, map[string]any{"name": "Help"}).want(http.StatusOK)
		es = rightsAuditOf(h.c, "line", id)
		rightsWantCount(t, "after rename", es, 2)
		rightsWantEntry(t, es[0], h.admin, "line", id, "update")
		if str(es[0], "before", "name") != "Support" || str(es[0], "after", "name") != "Help" {
			t.Fatalf("update entry %s", mustJSON(t, es[0]))
		}
		// An update that changes nothing adds nothing.
		h.c.do("PATCH", "/api/v1/lines/"+id, map[string]any{"name": "Help"}).want(http.StatusOK)
		h.c.do("PATCH", "/api/v1/lines/"+id, map[string]any{}).want(http.StatusOK)
		rightsWantCount(t, "after a no-op update", rightsAuditOf(h.c, "line", id), 2)

		// Another administrator deletes it.
		boss := h.user(h.ws.ID, "boss@acme.test", user.Administrator, false)
		bossC := h.login("boss@acme.test", testPassword)
		bossC.do("DELETE", "/api/v1/lines/"+id, map[string]any{"confirm": "Help"}).want(http.StatusNoContent)
		es = rightsAuditOf(h.c, "line", id)
		rightsWantCount(t, "after delete", es, 3)
		rightsWantEntry(t, es[0], boss, "line", id, "delete")
		if str(es[0], "before", "name") != "Help" || get(es[0], "after") != nil {
			t.Fatalf("delete entry %s", mustJSON(t, es[0]))
		}
		if got := []string{str(es[0], "action"), str(es[1], "action"), str(es[2], "action")}; !slices.Equal(got, []string{"delete", "update", "create"}) {
			t.Fatalf("not newest first: %v", got)
		}
		rightsNoSecrets(t, h.c, testPassword)
	})
}

func TestAuditChannel(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		lineID := h.c.createLine("Support")
		ch := h.c.do("POST", "/api/v1/lines/"+lineID+"/channels", map[string]any{"type": "api", "name": "Site"}).want(http.StatusCreated)
		id := ch.id()
		es := rightsAuditOf(h.c, "channel", id)
		rightsWantCount(t, "channel", es, 1)
		rightsWantEntry(t, es[0], h.admin, "channel", id, "create")
		if get(es[0], "before") != nil || str(es[0], "after", "line_id") != lineID || str(es[0], "after", "type") != "api" ||
			str(es[0], "after", "name") != "Site" {
			t.Fatalf("channel entry %s", mustJSON(t, es[0]))
		}
		rightsNoSecrets(t, h.c, testPassword)
	})
}

func TestAuditUser(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		const pw1, pw2 = "first secret password", "second secret password"
		r := h.c.do("POST", "/api/v1/users", map[string]any{"email": "ann@acme.test", "name": "Ann", "password": pw1, "role": "manager"}).
			want(http.StatusCreated)
		id := r.id()
		es := rightsAuditOf(h.c, "user", id)
		rightsWantCount(t, "after create", es, 1)
		rightsWantEntry(t, es[0], h.admin, "user", id, "create")
		if get(es[0], "before") != nil || str(es[0], "after", "email") != "ann@acme.test" || str(es[0], "after", "role") != "manager" {
			t.Fatalf("create entry %s", mustJSON(t, es[0]))
		}

		h.c.do("PATCH", "/api/v1/users/"+id, map[string]any{"role": "director"}).want(http.StatusOK)
		es = rightsAuditOf(h.c, "user", id)
		rightsWantCount(t, "after role change", es, 2)
		rightsWantEntry(t, es[0], h.admin, "user", id, "update")
		if str(es[0], "before", "role") != "manager" || str(es[0], "after", "role") != "director" {
			t.Fatalf("role entry %s", mustJSON(t, es[0]))
		}

		// A password change by the user: one password_changed entry by them.
		annC := h.login("ann@acme.test", pw1)
		ann := user.User{ID: id, Name: "Ann"}
		annC.do("PATCH", "/api/v1/users/"+id, map[string]any{"password": pw2}).want(http.StatusOK)
		es = rightsAuditOf(h.c, "user", id)
		if len(es) < 3 {
			rightsWantCount(t, "after a password change", es, 3)
		}
		rightsWantEntry(t, es[0], ann, "user", id, "password_changed")
		if get(es[0], "before") != nil || get(es[0], "after") != nil {
			t.Fatalf("password_changed entry holds state: %s", mustJSON(t, es[0]))
		}
		h.login("ann@acme.test", pw2)
		n := len(es) // 3, or 4 with the no-op "update" TestAuditNoOpUpdate reports

		boss := h.user(h.ws.ID, "boss@acme.test", user.Administrator, false)
		bossC := h.login("boss@acme.test", testPassword)
		bossC.do("POST", "/api/v1/users/"+id+"/deactivate", nil).want(http.StatusOK)
		es = rightsAuditOf(h.c, "user", id)
		rightsWantCount(t, "after deactivation", es, n+1)
		rightsWantEntry(t, es[0], boss, "user", id, "update")
		if get(es[0], "before", "active") != true || get(es[0], "after", "active") != false {
			t.Fatalf("deactivation entry %s", mustJSON(t, es[0]))
		}
		annC.do("GET", "/api/v1/me", nil).wantErr(http.StatusUnauthorized, "unauthorized")

		rightsNoSecrets(t, h.c, pw1, pw2, testPassword)
		for _, e := range rightsAuditOf(h.c, "user", id) {
			for _, side := range []string{"before", "after"} {
				if m, ok := get(e, side).(map[string]any); ok {
					for k := range m {
						if strings.Contains(k, "password") || strings.Contains(k, "hash") {
							t.Fatalf("audit %s has %q: %s", side, k, mustJSON(t, e))
						}
					}
				}
			}
		}
	})
}

func TestAuditRole(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		key := str(h.c.do("POST", "/api/v1/roles", map[string]any{"name": "Lead", "permissions": map[string]any{"dialogs.view": "team"}}).
			want(http.StatusCreated).json, "key")
		es := rightsAuditOf(h.c, "role", key)
		rightsWantCount(t, "after create", es, 1)
		rightsWantEntry(t, es[0], h.admin, "role", key, "create")
		if get(es[0], "before") != nil || str(es[0], "after", "name") != "Lead" || str(es[0], "after", "key") != key {
			t.Fatalf("create entry %s", mustJSON(t, es[0]))
		}
		rightsWantGrants(t, "create entry", get(es[0], "after", "permissions"), map[string]string{"dialogs.view": "team"})

		h.c.do("PATCH", "/api/v1/roles/"+key, map[string]any{"name": "Senior", "permissions": map[string]any{"dialogs.view": "all"}}).want(http.StatusOK)
		es = rightsAuditOf(h.c, "role", key)
		rightsWantCount(t, "after update", es, 2)
		rightsWantEntry(t, es[0], h.admin, "role", key, "update")
		if str(es[0], "before", "name") != "Lead" || str(es[0], "after", "name") != "Senior" {
			t.Fatalf("update entry %s", mustJSON(t, es[0]))
		}
		rightsWantGrants(t, "update entry before", get(es[0], "before", "permissions"), map[string]string{"dialogs.view": "team"})
		rightsWantGrants(t, "update entry after", get(es[0], "after", "permissions"), map[string]string{"dialogs.view": "all"})

		h.c.do("PATCH", "/api/v1/roles/"+key, map[string]any{"name": "Senior", "permissions": map[string]any{"dialogs.view": "all"}}).want(http.StatusOK)
		h.c.do("PATCH", "/api/v1/roles/"+key, map[string]any{}).want(http.StatusOK)
		rightsWantCount(t, "after a no-op update", rightsAuditOf(h.c, "role", key), 2)

		h.c.do("DELETE", "/api/v1/roles/"+key, nil).want(http.StatusNoContent)
		es = rightsAuditOf(h.c, "role", key)
		rightsWantCount(t, "after delete", es, 3)
		rightsWantEntry(t, es[0], h.admin, "role", key, "delete")
		if str(es[0], "before", "name") != "Senior" || get(es[0], "after") != nil {
			t.Fatalf("delete entry %s", mustJSON(t, es[0]))
		}
	})
}

func TestAuditTeam(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		op := h.user(h.ws.ID, "op@acme.test", user.Manager, false)
		id := h.c.do("POST", "/api/v1/teams", map[string]any{"name": "Front", "members": []any{
			map[string]any{"user_id": h.admin.ID, "head": true}}}).want(http.StatusCreated).id()
		es := rightsAuditOf(h.c, "team", id)
		rightsWantCount(t, "after create", es, 1)
		rightsWantEntry(t, es[0], h.admin, "team", id, "create")
		if get(es[0], "before") != nil || str(es[0], "after", "name") != "Front" {
			t.Fatalf("create entry %s", mustJSON(t, es[0]))
		}
		if ms := objects(t, es[0], "after", "members"); len(ms) != 1 || str(ms[0], "user_id") != h.admin.ID || ms[0]["head"] != true {
			t.Fatalf("create entry members %v", ms)
		}

		h.c.do("PATCH", "/api/v1/teams/"+id, map[string]any{"name": "Back", "members": []any{
			map[string]any{"user_id": h.admin.ID, "head": true}, map[string]any{"user_id": op.ID}}}).want(http.StatusOK)
		es = rightsAuditOf(h.c, "team", id)
		rightsWantCount(t, "after update", es, 2)
		rightsWantEntry(t, es[0], h.admin, "team", id, "update")
		if str(es[0], "before", "name") != "Front" || str(es[0], "after", "name") != "Back" ||
			len(objects(t, es[0], "before", "members")) != 1 || len(objects(t, es[0], "after", "members")) != 2 {
			t.Fatalf("update entry %s", mustJSON(t, es[0]))
		}

		h.c.do("DELETE", "/api/v1/teams/"+id, nil).want(http.StatusNoContent)
		es = rightsAuditOf(h.c, "team", id)
		rightsWantCount(t, "after delete", es, 3)
		rightsWantEntry(t, es[0], h.admin, "team", id, "delete")
		if str(es[0], "before", "name") != "Back" || get(es[0], "after") != nil {
			t.Fatalf("delete entry %s", mustJSON(t, es[0]))
		}
	})
}

// An update that changes nothing visible adds no entry: users and teams
// (their updated_at moves, nothing else).
func TestAuditNoOpUpdate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		uid := h.c.do("POST", "/api/v1/users", map[string]any{"email": "ann@acme.test", "name": "Ann", "password": "first secret password", "role": "manager"}).
			want(http.StatusCreated).id()
		team := h.c.do("POST", "/api/v1/teams", map[string]any{"name": "Front", "members": []any{
			map[string]any{"user_id": h.admin.ID, "head": true}, map[string]any{"user_id": uid}}}).want(http.StatusCreated).id()
		h.c.do("PATCH", "/api/v1/users/"+uid, map[string]any{"name": "Ann", "role": "manager"}).want(http.StatusOK)
		h.c.do("PATCH", "/api/v1/users/"+uid, map[string]any{}).want(http.StatusOK)
		h.c.do("PATCH", "/api/v1/teams/"+team, map[string]any{"name": "Front"}).want(http.StatusOK)
		h.c.do("PATCH", "/api/v1/teams/"+team, map[string]any{}).want(http.StatusOK)
		if es := rightsAuditOf(h.c, "user", uid); len(es) != 1 {
			t.Errorf("user: no-op updates left %d entries, want only the create; newest %s", len(es), mustJSON(t, es[0]))
		}
		// A password change is one password_changed entry, no "update" besides.
		h.c.do("PATCH", "/api/v1/users/"+uid, map[string]any{"password": "second secret password"}).want(http.StatusOK)
		var acts []string
		for _, e := range rightsAuditOf(h.c, "user", uid) {
			acts = append(acts, str(e, "action"))
		}
		if acts[0] != "password_changed" || slices.Contains(acts, "update") {
			t.Errorf("user: after a password change the entries are %v, want [password_changed create]", acts)
		}
		// Deactivating an inactive user changes nothing.
		h.c.do("POST", "/api/v1/users/"+uid+"/deactivate", nil).want(http.StatusOK)
		before := len(rightsAuditOf(h.c, "user", uid))
		h.c.do("POST", "/api/v1/users/"+uid+"/deactivate", nil).want(http.StatusOK)
		if after := len(rightsAuditOf(h.c, "user", uid)); after != before {
			t.Errorf("user: a repeated deactivation added %d entries", after-before)
		}
		if es := rightsAuditOf(h.c, "team", team); len(es) != 1 {
			t.Errorf("team: no-op updates left %d entries, want only the create; newest %s", len(es), mustJSON(t, es[0]))
		}
	})
}

func TestAuditWorkspace(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		h.c.do("PATCH", "/api/v1/workspace", map[string]any{"name": "Acme Corp"}).want(http.StatusOK)
		es := rightsAuditOf(h.c, "workspace", h.ws.ID)
		rightsWantCount(t, "after rename", es, 1)
		rightsWantEntry(t, es[0], h.admin, "workspace", h.ws.ID, "update")
		if str(es[0], "before", "name") != "Acme" || str(es[0], "after", "name") != "Acme Corp" {
			t.Fatalf("rename entry %s", mustJSON(t, es[0]))
		}
		h.c.do("PATCH", "/api/v1/workspace", map[string]any{"name": "Acme Corp"}).want(http.StatusOK)
		rightsWantCount(t, "after a no-op rename", rightsAuditOf(h.c, "workspace", h.ws.ID), 1)

		// The plan, by the server administrator (the harness' admin is one).
		h.c.createLine("L1")
		h.c.createLine("L2")
		l3 := h.c.createLine("L3")
		r := h.c.do("PATCH", "/api/v1/workspace", map[string]any{"plan": "basic"}).want(http.StatusOK)
		if d := get(r.json, "deactivated_line_ids").([]any); len(d) != 1 || d[0] != l3 {
			t.Fatalf("plan change: %s", r.raw)
		}
		es = rightsAuditOf(h.c, "workspace", h.ws.ID)
		rightsWantCount(t, "after plan change", es, 2)
		rightsWantEntry(t, es[0], h.admin, "workspace", h.ws.ID, "plan")
		if str(es[0], "before", "plan") != "enterprise" || str(es[0], "after", "plan") != "basic" {
			t.Fatalf("plan entry %s", mustJSON(t, es[0]))
		}
		if d, _ := get(es[0], "after", "deactivated_line_ids").([]any); len(d) != 1 || d[0] != l3 {
			t.Fatalf("plan entry does not name the deactivated line: %s", mustJSON(t, es[0]))
		}
		h.c.do("PATCH", "/api/v1/workspace", map[string]any{"plan": "basic"}).want(http.StatusOK)
		rightsWantCount(t, "after the same plan again", rightsAuditOf(h.c, "workspace", h.ws.ID), 2)

		// A workspace administrator who is not a server administrator may rename, not change the plan.
		h.user(h.ws.ID, "boss@acme.test", user.Administrator, false)
		bossC := h.login("boss@acme.test", testPassword)
		bossC.do("PATCH", "/api/v1/workspace", map[string]any{"plan": "free"}).wantErr(http.StatusForbidden, "forbidden")
		rightsWantCount(t, "after a refused plan change", rightsAuditOf(h.c, "workspace", h.ws.ID), 2)
	})
}

// rightsBusyWorkspace makes a dozen changes of every kind and returns the
// ids of the line, the role and the other administrator.
func rightsBusyWorkspace(h *harness) (lineID, roleKey string, boss user.User, bossC *client) {
	h.t.Helper()
	c := h.c
	lineID = c.createLine("Support")
	c.do("PATCH", "/api/v1/lines/"+lineID, map[string]any{"name": "Help"}).want(http.StatusOK)
	c.createChannel(lineID)
	roleKey = str(c.do("POST", "/api/v1/roles", map[string]any{"name": "Lead"}).want(http.StatusCreated).json, "key")
	c.do("PATCH", "/api/v1/roles/"+roleKey, map[string]any{"name": "Senior"}).want(http.StatusOK)
	boss = h.user(h.ws.ID, "boss@acme.test", user.Administrator, false) // one create entry (system)
	bossC = h.login("boss@acme.test", testPassword)
	bossC.do("PATCH", "/api/v1/workspace", map[string]any{"name": "Acme 2"}).want(http.StatusOK)
	team := bossC.do("POST", "/api/v1/teams", map[string]any{"name": "Front"}).want(http.StatusCreated).id()
	bossC.do("PATCH", "/api/v1/teams/"+team, map[string]any{"name": "Back"}).want(http.StatusOK)
	other := bossC.createLine("Sales")
	bossC.do("PATCH", "/api/v1/lines/"+other, map[string]any{"name": "Sales 2"}).want(http.StatusOK)
	bossC.do("PATCH", "/api/v1/lines/"+lineID, map[string]any{"name": "Help 2"}).want(http.StatusOK)
	return lineID, roleKey, boss, bossC
}

func TestAuditFiltersAndPaging(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		start := time.Now().Add(-time.Second).UTC()
		lineID, roleKey, boss, _ := rightsBusyWorkspace(h)
		all := rightsAudit(h.c, "limit=200")
		// The harness' own administrator is created in the store (a system
		// entry) as is boss: count only what is sure.
		if len(all) < 13 {
			t.Fatalf("only %d entries", len(all))
		}
		seen := map[string]bool{}
		var last time.Time
		for i, e := range all {
			if seen[str(e, "id")] {
				t.Fatalf("entry %s twice", str(e, "id"))
			}
			seen[str(e, "id")] = true
			at, err := time.Parse(time.RFC3339Nano, str(e, "created_at"))
			if err != nil {
				t.Fatalf("created_at %q: %v", str(e, "created_at"), err)
			}
			if i > 0 && at.After(last) {
				t.Fatalf("entry %d is newer than entry %d: not newest first", i, i-1)
			}
			last = at
		}
		if str(all[0], "entity") != "line" || str(all[0], "entity_id") != lineID || str(all[0], "after", "name") != "Help 2" {
			t.Fatalf("newest entry %s, want the last rename", mustJSON(t, all[0]))
		}

		// entity, entity_id, actor_id.
		lines := rightsAudit(h.c, "limit=200&entity=line")
		if len(lines) != 5 {
			t.Fatalf("%d line entries, want 5", len(lines))
		}
		for _, e := range lines {
			if str(e, "entity") != "line" {
				t.Fatalf("entity=line gave %s", mustJSON(t, e))
			}
		}
		one := rightsAudit(h.c, "limit=200&entity=line&entity_id="+lineID)
		if len(one) != 3 {
			t.Fatalf("%d entries of the line, want 3", len(one))
		}
		for _, e := range one {
			if str(e, "entity_id") != lineID {
				t.Fatalf("entity_id filter gave %s", mustJSON(t, e))
			}
		}
		if es := rightsAudit(h.c, "entity_id="+roleKey); len(es) != 2 || str(es[0], "entity") != "role" {
			t.Fatalf("entity_id alone: %v", es)
		}
		byBoss := rightsAudit(h.c, "limit=200&actor_id="+boss.ID)
		if len(byBoss) != 6 {
			t.Fatalf("%d entries by boss, want 6", len(byBoss))
		}
		for _, e := range byBoss {
			if str(e, "actor_id") != boss.ID || str(e, "actor_name") != boss.Name {
				t.Fatalf("actor_id filter gave %s", mustJSON(t, e))
			}
		}
		if es := rightsAudit(h.c, "entity=team"); len(es) != 2 {
			t.Fatalf("%d team entries, want 2", len(es))
		}
		if es := rightsAudit(h.c, "entity=line&entity_id="+roleKey); len(es) != 0 {
			t.Fatalf("line entries about a role: %v", es)
		}

		// from and to.
		future := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
		past := url.QueryEscape(start.Format(time.RFC3339))
		if es := rightsAudit(h.c, "limit=200&from="+future); len(es) != 0 {
			t.Fatalf("from the future: %d entries", len(es))
		}
		if es := rightsAudit(h.c, "limit=200&to="+past); len(es) != 0 {
			t.Fatalf("to before the test: %d entries", len(es))
		}
		if es := rightsAudit(h.c, "limit=200&from="+past+"&to="+future); len(es) != len(all) {
			t.Fatalf("from..to around the test: %d entries, want %d", len(es), len(all))
		}

		// Bad filters.
		h.c.do("GET", "/api/v1/audit?entity=dialog", nil).wantErr(http.StatusBadRequest, "invalid")
		h.c.do("GET", "/api/v1/audit?from=yesterday", nil).wantErr(http.StatusBadRequest, "invalid")
		h.c.do("GET", "/api/v1/audit?limit=0", nil).wantErr(http.StatusBadRequest, "invalid")
		h.c.do("GET", "/api/v1/audit?limit=201", nil).wantErr(http.StatusBadRequest, "invalid")

		// Cursor paging returns every entry once, in order.
		for _, size := range []int{1, 4, 5} {
			var paged []string
			q := "limit=" + strconv.Itoa(size)
			for pages := 0; ; pages++ {
				if pages > 100 {
					t.Fatal("paging does not end")
				}
				r := h.c.do("GET", "/api/v1/audit?"+q, nil).want(http.StatusOK)
				es := objects(t, r.json, "entries")
				if len(es) > size {
					t.Fatalf("page of %d entries with limit %d", len(es), size)
				}
				for _, e := range es {
					paged = append(paged, str(e, "id"))
				}
				next := str(r.json, "next_cursor")
				if next == "" {
					break
				}
				if len(es) != size {
					t.Fatalf("a short page (%d of %d) has a next cursor", len(es), size)
				}
				q = "limit=" + strconv.Itoa(size) + "&cursor=" + url.QueryEscape(next)
			}
			want := ids(t, map[string]any{"entries": toAny(all)}, "entries")
			if !slices.Equal(paged, want) {
				t.Fatalf("limit %d: paged %v, want %v", size, paged, want)
			}
		}
		// Paging with a filter.
		r := h.c.do("GET", "/api/v1/audit?entity=line&limit=2", nil).want(http.StatusOK)
		got := ids(t, r.json, "entries")
		r = h.c.do("GET", "/api/v1/audit?entity=line&limit=2&cursor="+url.QueryEscape(str(r.json, "next_cursor")), nil).want(http.StatusOK)
		got = append(got, ids(t, r.json, "entries")...)
		r = h.c.do("GET", "/api/v1/audit?entity=line&limit=2&cursor="+url.QueryEscape(str(r.json, "next_cursor")), nil).want(http.StatusOK)
		got = append(got, ids(t, r.json, "entries")...)
		if str(r.json, "next_cursor") != "" || !slices.Equal(got, ids(t, map[string]any{"entries": toAny(lines)}, "entries")) {
			t.Fatalf("filtered paging %v, want %v", got, ids(t, map[string]any{"entries": toAny(lines)}, "entries"))
		}
		h.c.do("GET", "/api/v1/audit?cursor=not-a-cursor", nil).wantErr(http.StatusBadRequest, "invalid")
	})
}

func toAny(ms []map[string]any) []any {
	out := make([]any, len(ms))
	for i, m := range ms {
		out[i] = m
	}
	return out
}

func TestAuditAccessAndImmutability(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		rightsBusyWorkspace(h)
		h.user(h.ws.ID, "op@acme.test", user.Manager, false)
		h.user(h.ws.ID, "dir@acme.test", user.Director, false)
		opC, dirC := h.login("op@acme.test", testPassword), h.login("dir@acme.test", testPassword)
		before := h.c.do("GET", "/api/v1/audit?limit=200", nil).want(http.StatusOK).raw

		opC.do("GET", "/api/v1/audit", nil).wantErr(http.StatusForbidden, "forbidden")
		dirC.do("GET", "/api/v1/audit", nil).wantErr(http.StatusForbidden, "forbidden")
		h.anon().do("GET", "/api/v1/audit", nil).wantErr(http.StatusUnauthorized, "unauthorized")

		// No route changes or deletes entries.
		for _, m := range []string{"DELETE", "PATCH", "PUT", "POST"} {
			r := h.c.do(m, "/api/v1/audit", map[string]any{}).wantErr(http.StatusMethodNotAllowed, "not_allowed")
			if r.header.Get("Allow") != "GET" {
				t.Fatalf("%s /audit: Allow %q, want GET", m, r.header.Get("Allow"))
			}
		}
		entry := str(rightsAudit(h.c, "limit=1")[0], "id")
		for _, m := range []string{"GET", "DELETE", "PATCH", "PUT"} {
			h.c.do(m, "/api/v1/audit/"+entry, map[string]any{}).wantErr(http.StatusNotFound, "not_found")
		}
		// The manager's refusals and these probes added nothing, and the
		// other workspace sees none of it.
		after := h.c.do("GET", "/api/v1/audit?limit=200", nil).want(http.StatusOK).raw
		if !bytes.Equal(before, after) {
			t.Fatalf("the log changed:\nbefore %s\nafter  %s", clip(before), clip(after))
		}
		_, _, otherC := h.workspace("Other", workspace.Free, "admin@other.test", false)
		for _, e := range rightsAudit(otherC, "limit=200") {
			if str(e, "entity") != "user" || str(e, "action") != "create" {
				t.Fatalf("another workspace sees %s", mustJSON(t, e))
			}
		}
		if es := rightsAudit(otherC, "limit=200&entity=line"); len(es) != 0 {
			t.Fatalf("another workspace sees %d line entries", len(es))
		}
		rightsNoSecrets(t, h.c, testPassword)
	})
}

// --- 4. narrowed tokens ---

func TestTokenNarrowed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		op := h.user(h.ws.ID, "op@acme.test", user.Manager, false)
		opC := h.login("op@acme.test", testPassword)
		mine := h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Mine", "queue": []string{h.admin.ID}, "queue_time": 43200}).want(http.StatusCreated).id()
		theirs := h.c.do("POST", "/api/v1/lines", map[string]any{"name": "Theirs", "queue": []string{op.ID}, "queue_time": 43200}).want(http.StatusCreated).id()
		chMine, chTheirs := h.c.createChannel(mine), h.c.createChannel(theirs)
		h.c.do("PUT", "/api/v1/me/status", map[string]any{"status": "online"}).want(http.StatusOK)
		opC.do("PUT", "/api/v1/me/status", map[string]any{"status": "online"}).want(http.StatusOK)
		offered := func(s map[string]any) bool { return len(offeredTo(s)) == 1 }
		dMine := h.c.newDialog(chMine, "c-mine")
		s := waitSession(t, h.c, dMine, offered)
		h.c.do("POST", "/api/v1/sessions/"+str(s, "id")+"/take", nil).want(http.StatusOK)
		dTheirs := h.c.newDialog(chTheirs, "c-theirs")
		s = waitSession(t, h.c, dTheirs, offered)
		opC.do("POST", "/api/v1/sessions/"+str(s, "id")+"/take", nil).want(http.StatusOK)
		mustSameSet(t, "the administrator's dialogs", ids(t, h.c.dialogs("").want(http.StatusOK).json, "dialogs"), []string{dMine, dTheirs})

		own := map[string]string{"dialogs.view": "own"}
		r := h.c.do("POST", "/api/v1/tokens", map[string]any{"name": "reader", "permissions": rightsAny(own)}).want(http.StatusCreated)
		rightsWantGrants(t, "created token", get(r.json, "token", "permissions"), own)
		narrowID, secret := str(r.json, "token", "id"), str(r.json, "secret")
		tc := h.bearer(secret)
		me := rightsMe(tc)
		if str(me, "user", "id") != h.admin.ID {
			t.Fatalf("token /me: %v", me["user"])
		}
		rightsWantGrants(t, "narrowed token's /me", get(me, "permissions"), own)
		tc.do("POST", "/api/v1/lines", map[string]any{"name": "Nope"}).wantErr(http.StatusForbidden, "forbidden")
		tc.do("GET", "/api/v1/lines/"+mine, nil).wantErr(http.StatusForbidden, "forbidden")
		tc.do("GET", "/api/v1/audit", nil).wantErr(http.StatusForbidden, "forbidden")
		tc.do("POST", "/api/v1/roles", map[string]any{"name": "Nope"}).wantErr(http.StatusForbidden, "forbidden")
		tc.inbound(chMine, "c-x", "x-1", "hi").wantErr(http.StatusForbidden, "forbidden")
		if got := ids(t, tc.dialogs("").want(http.StatusOK).json, "dialogs"); !slices.Equal(got, []string{dMine}) {
			t.Fatalf("narrowed token's dialogs %v, want only its own %s", got, dMine)
		}
		tc.do("GET", "/api/v1/dialogs/"+dTheirs, nil).wantErr(http.StatusNotFound, "not_found")
		tc.do("GET", "/api/v1/dialogs/"+dMine, nil).want(http.StatusOK)
		if n := len(h.c.lineIDs()); n != 2 {
			t.Fatalf("%d lines after a refused create", n)
		}
		// A narrowed token cannot mint a wider one.
		tc.do("POST", "/api/v1/tokens", map[string]any{"name": "wider", "permissions": map[string]any{"lines.edit": "all"}}).
			wantErr(http.StatusForbidden, "forbidden")

		// Validation.
		h.c.do("POST", "/api/v1/tokens", map[string]any{"name": "x", "permissions": map[string]any{"nope": "all"}}).wantErr(http.StatusBadRequest, "invalid")
		h.c.do("POST", "/api/v1/tokens", map[string]any{"name": "x", "permissions": map[string]any{"lines.edit": "own"}}).wantErr(http.StatusBadRequest, "invalid")
		h.c.do("POST", "/api/v1/tokens", map[string]any{"name": "x", "permissions": "all"}).wantErr(http.StatusBadRequest, "invalid")

		// A manager cannot ask for more than a manager has.
		for _, wide := range []map[string]any{{"settings.edit": "all"}, {"dialogs.view": "all"}, {"dialogs.view": "team"}, {"stats.view": "own", "lines.view": "all"}} {
			opC.do("POST", "/api/v1/tokens", map[string]any{"name": "wide", "permissions": wide}).wantErr(http.StatusForbidden, "forbidden")
		}
		if n := len(objects(t, opC.do("GET", "/api/v1/tokens", nil).want(http.StatusOK).json, "tokens")); n != 0 {
			t.Fatalf("refused token requests created %d tokens", n)
		}
		ot := opC.do("POST", "/api/v1/tokens", map[string]any{"name": "stats", "permissions": map[string]any{"stats.view": "own"}}).want(http.StatusCreated)
		rightsWantGrants(t, "manager's narrowed token", get(rightsMe(h.bearer(str(ot.json, "secret"))), "permissions"), map[string]string{"stats.view": "own"})

		// GET /tokens shows each token's permissions; a plain token has none.
		plainID := str(h.c.do("POST", "/api/v1/tokens", map[string]any{"name": "full"}).want(http.StatusCreated).json, "token", "id")
		toks := objects(t, h.c.do("GET", "/api/v1/tokens", nil).want(http.StatusOK).json, "tokens")
		found := 0
		for _, tk := range toks {
			switch str(tk, "id") {
			case narrowID:
				found++
				rightsWantGrants(t, "listed narrowed token", get(tk, "permissions"), own)
			case plainID:
				found++
				if p := get(tk, "permissions"); p != nil {
					t.Fatalf("plain token lists permissions %v", p)
				}
			}
		}
		if found != 2 {
			t.Fatalf("GET /tokens: %v", toks)
		}

	})
}

// A narrowed token must not be able to mint a token wider than itself by
// leaving out "permissions".
func TestTokenNarrowedCannotMintUnrestricted(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		secret := str(h.c.do("POST", "/api/v1/tokens", map[string]any{"name": "reader", "permissions": map[string]any{"dialogs.view": "own"}}).
			want(http.StatusCreated).json, "secret")
		tc := h.bearer(secret)
		r := tc.do("POST", "/api/v1/tokens", map[string]any{"name": "escape"})
		if r.status == http.StatusCreated {
			minted := h.bearer(str(r.json, "secret"))
			g := rightsGrants(t, get(rightsMe(minted), "permissions"))
			if len(g) > 1 || (len(g) == 1 && g["dialogs.view"] != "own") {
				t.Fatalf("a token narrowed to dialogs.view:own minted a token with %v", g)
			}
			return
		}
		r.wantErr(http.StatusForbidden, "forbidden")
	})
}

// A token asked for with an empty permission set is either refused (400)
// or has no rights; then GET /tokens must not show it like an unrestricted
// one.
func TestTokenEmptyPermissions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.c.do("POST", "/api/v1/tokens", map[string]any{"name": "nothing", "permissions": map[string]any{}})
		if r.status == http.StatusBadRequest {
			r.wantErr(http.StatusBadRequest, "invalid")
			return
		}
		r.want(http.StatusCreated)
		if p, ok := get(r.json, "token", "permissions").(map[string]any); !ok || len(p) != 0 {
			t.Errorf("POST /tokens answers a token without rights as %s", r.raw)
		}
		id := str(r.json, "token", "id")
		tc := h.bearer(str(r.json, "secret"))
		rightsWantGrants(t, "empty token's /me", get(rightsMe(tc), "permissions"), map[string]string{})
		tc.do("POST", "/api/v1/lines", map[string]any{"name": "Nope"}).wantErr(http.StatusForbidden, "forbidden")
		for _, tk := range objects(t, h.c.do("GET", "/api/v1/tokens", nil).want(http.StatusOK).json, "tokens") {
			if str(tk, "id") == id {
				if p, ok := tk["permissions"].(map[string]any); !ok || len(p) != 0 {
					t.Fatalf("GET /tokens shows a token without rights as %v (permissions %v): indistinguishable from an unrestricted token", tk, tk["permissions"])
				}
			}
		}
	})
}

// --- 5. teams ---

func TestTeamCRUD(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		ann := h.user(h.ws.ID, "ann@acme.test", user.Manager, false)
		bob := h.user(h.ws.ID, "bob@acme.test", user.Manager, false)
		cat := h.user(h.ws.ID, "cat@acme.test", user.Manager, false)
		_, stranger, _ := h.workspace("Other", workspace.Free, "admin@other.test", false)
		members := func(v any) map[string]bool {
			t.Helper()
			out := map[string]bool{}
			for _, m := range objects(t, v, "members") {
				if _, dup := out[str(m, "user_id")]; dup {
					t.Fatalf("member %s twice", str(m, "user_id"))
				}
				out[str(m, "user_id")] = m["head"] == true
			}
			return out
		}

		r := h.c.do("POST", "/api/v1/teams", map[string]any{"name": " Front ", "members": []any{
			map[string]any{"user_id": ann.ID, "head": true}, map[string]any{"user_id": bob.ID}}}).want(http.StatusCreated)
		id := r.id()
		if _, err := uuid.Parse(id); err != nil || str(r.json, "name") != "Front" {
			t.Fatalf("created team %s", r.raw)
		}
		want := map[string]bool{ann.ID: true, bob.ID: false}
		if got := members(r.json); !reflect.DeepEqual(got, want) {
			t.Fatalf("created members %v, want %v", got, want)
		}
		g := h.c.do("GET", "/api/v1/teams/"+id, nil).want(http.StatusOK)
		if got := members(g.json); str(g.json, "name") != "Front" || !reflect.DeepEqual(got, want) {
			t.Fatalf("GET team %s", g.raw)
		}
		if ts := objects(t, h.c.do("GET", "/api/v1/teams", nil).want(http.StatusOK).json, "teams"); len(ts) != 1 || str(ts[0], "id") != id ||
			!reflect.DeepEqual(members(ts[0]), want) {
			t.Fatalf("GET /teams %v", ts)
		}

		// Refusals.
		if r := h.c.do("POST", "/api/v1/teams", map[string]any{"name": "Front"}).wantErr(http.StatusConflict, "conflict"); r.errField() != "name" {
			t.Fatalf("duplicate name field %q", r.errField())
		}
		h.c.do("POST", "/api/v1/teams", map[string]any{"members": []any{}}).wantErr(http.StatusBadRequest, "invalid")
		h.c.do("POST", "/api/v1/teams", map[string]any{"name": "  "}).wantErr(http.StatusBadRequest, "invalid")
		if r := h.c.do("POST", "/api/v1/teams", map[string]any{"name": "Mixed", "members": []any{
			map[string]any{"user_id": cat.ID}, map[string]any{"user_id": stranger.ID}}}).wantErr(http.StatusBadRequest, "invalid"); !strings.Contains(r.errMessage(), stranger.ID) {
			t.Fatalf("a member from another workspace: %s", r.raw)
		}
		h.c.do("POST", "/api/v1/teams", map[string]any{"name": "Ghost", "members": []any{
			map[string]any{"user_id": "00000000-0000-7000-8000-000000000000"}}}).wantErr(http.StatusBadRequest, "invalid")
		if r := h.c.do("POST", "/api/v1/teams", map[string]any{"name": "Twice", "members": []any{
			map[string]any{"user_id": cat.ID}, map[string]any{"user_id": cat.ID, "head": true}}}).wantErr(http.StatusBadRequest, "invalid"); !strings.Contains(r.errMessage(), "twice") {
			t.Fatalf("a repeated member: %s", r.raw)
		}
		h.c.do("POST", "/api/v1/teams", map[string]any{"name": "Bad", "members": []any{map[string]any{"user_id": "not-an-id"}}}).
			wantErr(http.StatusBadRequest, "invalid")
		if ts := objects(t, h.c.do("GET", "/api/v1/teams", nil).want(http.StatusOK).json, "teams"); len(ts) != 1 {
			t.Fatalf("refused creates left %d teams", len(ts))
		}

		// PATCH members replaces them; PATCH name alone keeps them.
		want = map[string]bool{cat.ID: true, ann.ID: false}
		r = h.c.do("PATCH", "/api/v1/teams/"+id, map[string]any{"members": []any{
			map[string]any{"user_id": cat.ID, "head": true}, map[string]any{"user_id": ann.ID}}}).want(http.StatusOK)
		if got := members(r.json); !reflect.DeepEqual(got, want) {
			t.Fatalf("patched members %v, want %v", got, want)
		}
		if got := members(h.c.do("GET", "/api/v1/teams/"+id, nil).want(http.StatusOK).json); !reflect.DeepEqual(got, want) {
			t.Fatalf("members after PATCH %v, want %v", got, want)
		}
		r = h.c.do("PATCH", "/api/v1/teams/"+id, map[string]any{"name": "Back"}).want(http.StatusOK)
		if str(r.json, "name") != "Back" || !reflect.DeepEqual(members(r.json), want) {
			t.Fatalf("rename: %s", r.raw)
		}
		h.c.do("PATCH", "/api/v1/teams/"+id, map[string]any{"members": []any{map[string]any{"user_id": stranger.ID}}}).wantErr(http.StatusBadRequest, "invalid")
		h.c.do("PATCH", "/api/v1/teams/"+id, map[string]any{"members": []any{map[string]any{"user_id": bob.ID}, map[string]any{"user_id": bob.ID}}}).
			wantErr(http.StatusBadRequest, "invalid")
		other := h.c.do("POST", "/api/v1/teams", map[string]any{"name": "Front"}).want(http.StatusCreated).id() // the old name is free
		h.c.do("PATCH", "/api/v1/teams/"+other, map[string]any{"name": "Back"}).wantErr(http.StatusConflict, "conflict")
		if g := h.c.do("GET", "/api/v1/teams/"+id, nil).want(http.StatusOK); str(g.json, "name") != "Back" || !reflect.DeepEqual(members(g.json), want) {
			t.Fatalf("refused PATCHes changed the team: %s", g.raw)
		}
		r = h.c.do("PATCH", "/api/v1/teams/"+id, map[string]any{"members": []any{}}).want(http.StatusOK)
		if len(members(r.json)) != 0 || len(members(h.c.do("GET", "/api/v1/teams/"+id, nil).want(http.StatusOK).json)) != 0 {
			t.Fatalf("emptying the team: %s", r.raw)
		}

		// Only settings.edit changes teams; everyone reads them.
		annC := h.login("ann@acme.test", testPassword)
		annC.do("GET", "/api/v1/teams/"+id, nil).want(http.StatusOK)
		annC.do("POST", "/api/v1/teams", map[string]any{"name": "Mine"}).wantErr(http.StatusForbidden, "forbidden")
		annC.do("PATCH", "/api/v1/teams/"+id, map[string]any{"name": "Mine"}).wantErr(http.StatusForbidden, "forbidden")
		annC.do("DELETE", "/api/v1/teams/"+id, nil).wantErr(http.StatusForbidden, "forbidden")
		// Another workspace does not see it.
		_, _, strangerC := h.workspace("Third", workspace.Free, "admin@third.test", false)
		strangerC.do("GET", "/api/v1/teams/"+id, nil).wantErr(http.StatusNotFound, "not_found")
		strangerC.do("PATCH", "/api/v1/teams/"+id, map[string]any{"name": "Mine"}).wantErr(http.StatusNotFound, "not_found")
		strangerC.do("DELETE", "/api/v1/teams/"+id, nil).wantErr(http.StatusNotFound, "not_found")

		if r := h.c.do("DELETE", "/api/v1/teams/"+id, nil).want(http.StatusNoContent); len(r.raw) != 0 {
			t.Fatalf("204 with a body %s", r.raw)
		}
		h.c.do("GET", "/api/v1/teams/"+id, nil).wantErr(http.StatusNotFound, "not_found")
		h.c.do("PATCH", "/api/v1/teams/"+id, map[string]any{"name": "Again"}).wantErr(http.StatusNotFound, "not_found")
		h.c.do("DELETE", "/api/v1/teams/"+id, nil).wantErr(http.StatusNotFound, "not_found")
		if ts := ids(t, h.c.do("GET", "/api/v1/teams", nil).want(http.StatusOK).json, "teams"); !slices.Equal(ts, []string{other}) {
			t.Fatalf("teams after delete %v", ts)
		}
		// Members stay users.
		h.c.do("GET", "/api/v1/users/"+cat.ID, nil).want(http.StatusOK)
	})
}

// Team scope follows team changes at once: a head with dialogs.view team
// sees a member's dialog while the member is in the team, not after.
func TestTeamScopeFollowsMembership(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		lead := str(h.c.do("POST", "/api/v1/roles", map[string]any{"name": "Lead", "permissions": map[string]any{"dialogs.view": "team"}}).
			want(http.StatusCreated).json, "key")
		head := h.user(h.ws.ID, "head@acme.test", user.Manager, false)
		h.c.do("PATCH", "/api/v1/users/"+head.ID, map[string]any{"role": lead}).want(http.StatusOK)
		op := h.user(h.ws.ID, "op@acme.test", user.Manager, false)
		headC, opC := h.login("head@acme.test", testPassword), h.login("op@acme.test", testPassword)
		t.Logf("administrator %s, head %s, op %s", h.admin.ID, head.ID, op.ID)
		lineID := h.c.do("POST", "/api/v1/lines", map[string]any{"name": "L", "queue": []string{op.ID}, "queue_time": 43200}).want(http.StatusCreated).id()
		ch := h.c.createChannel(lineID)
		opC.do("PUT", "/api/v1/me/status", map[string]any{"status": "online"}).want(http.StatusOK)
		d := h.c.newDialog(ch, "c1")
		s := waitSession(t, h.c, d, func(s map[string]any) bool { return len(offeredTo(s)) == 1 })
		opC.do("POST", "/api/v1/sessions/"+str(s, "id")+"/take", nil).want(http.StatusOK)

		headC.do("GET", "/api/v1/dialogs/"+d, nil).wantErr(http.StatusNotFound, "not_found")
		if got := ids(t, headC.dialogs("").want(http.StatusOK).json, "dialogs"); len(got) != 0 {
			t.Fatalf("head sees %v before the team exists", got)
		}
		team := h.c.do("POST", "/api/v1/teams", map[string]any{"name": "T", "members": []any{
			map[string]any{"user_id": head.ID, "head": true}, map[string]any{"user_id": op.ID}}}).want(http.StatusCreated).id()
		rightsEventually(t, "the head sees the member's dialog", func() (bool, string) {
			r := headC.do("GET", "/api/v1/dialogs/"+d, nil)
			return r.status == http.StatusOK, clip(r.raw)
		})
		if got := ids(t, headC.dialogs("").want(http.StatusOK).json, "dialogs"); !slices.Equal(got, []string{d}) {
			t.Fatalf("head's dialog list %v, want [%s]", got, d)
		}
		h.c.do("PATCH", "/api/v1/teams/"+team, map[string]any{"members": []any{map[string]any{"user_id": head.ID, "head": true}}}).want(http.StatusOK)
		rightsEventually(t, "the head loses the former member's dialog", func() (bool, string) {
			r := headC.do("GET", "/api/v1/dialogs/"+d, nil)
			return r.status == http.StatusNotFound, clip(r.raw)
		})
	})
}
