package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/openlines/openlines/internal/httpapi"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
)

// oaMethods are the operation keys of an OpenAPI path item.
var oaMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// oaPublic are the routes that need no credentials: the document must mark
// them with an empty security requirement.
var oaPublic = []string{
	"POST /api/v1/auth/login",
	"POST /api/v1/auth/logout",
	"GET /healthz",
	"GET /readyz",
	"GET /metrics",
	"GET /api/v1/openapi.json",
	"GET /widget/v1/channels/{id}",
	"POST /widget/v1/messages",
	"GET /widget/v1/socket",
	"GET /widget.js",
}

// oaParamRE finds the wildcards of a path template: {id}, {rest...}; {$} is
// ServeMux's end anchor, not a parameter.
var oaParamRE = regexp.MustCompile(`\{([^{}]+)\}`)

// oaServer builds the real server on a fresh SQLite store.
func oaServer(t *testing.T) *httpapi.Server {
	t.Helper()
	st := storetest.Open(t, store.SQLite, store.Options{})
	return httpapi.New(httpapi.Config{Store: st})
}

// oaLoad fetches GET /api/v1/openapi.json through the server's handler and
// decodes it.
func oaLoad(t *testing.T, srv *httpapi.Server) map[string]any {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json: status %d, body %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET /api/v1/openapi.json: Content-Type %q, want application/json", ct)
	}
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("GET /api/v1/openapi.json is not JSON: %v", err)
	}
	return doc
}

// oaOperation is one documented operation.
type oaOperation struct {
	Method, Path string         // "GET", "/api/v1/lines/{id}"
	Op           map[string]any // the operation object
	Item         map[string]any // its path item
}

func (o oaOperation) String() string { return o.Method + " " + o.Path }

// oaOperations lists the document's operations in a stable order.
func oaOperations(t *testing.T, doc map[string]any) []oaOperation {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatalf("the document has no paths object")
	}
	var ops []oaOperation
	for path, v := range paths {
		item, ok := v.(map[string]any)
		if !ok {
			t.Errorf("paths[%q] is not an object", path)
			continue
		}
		for _, m := range oaMethods {
			if raw, found := item[m]; found {
				op, ok := raw.(map[string]any)
				if !ok {
					t.Errorf("%s %s is not an object", strings.ToUpper(m), path)
					continue
				}
				ops = append(ops, oaOperation{Method: strings.ToUpper(m), Path: path, Op: op, Item: item})
			}
		}
	}
	slices.SortFunc(ops, func(a, b oaOperation) int { return strings.Compare(a.String(), b.String()) })
	return ops
}

// TestOpenAPIRoutes checks that the document describes exactly the routes
// the server registers.
func TestOpenAPIRoutes(t *testing.T) {
	srv := oaServer(t)
	doc := oaLoad(t, srv)

	registered := map[string]bool{}
	for _, r := range srv.Routes() {
		registered[r.Method+" "+r.Path] = true
	}
	if len(registered) == 0 {
		t.Fatal("the server registers no routes")
	}
	documented := map[string]bool{}
	for _, o := range oaOperations(t, doc) {
		documented[o.String()] = true
	}

	var missing, extra []string
	for r := range registered {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for d := range documented {
		if !registered[d] {
			extra = append(extra, d)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	if len(missing) > 0 {
		t.Errorf("%d registered route(s) missing from openapi.json:\n  %s", len(missing), strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("%d documented operation(s) not registered by the server:\n  %s", len(extra), strings.Join(extra, "\n  "))
	}
}

// TestOpenAPIDocument checks that the served document is a well-formed
// OpenAPI 3.1.0 document: unique operation ids, responses everywhere,
// resolvable references, declared path parameters and known security schemes.
func TestOpenAPIDocument(t *testing.T) {
	doc := oaLoad(t, oaServer(t))

	if v := doc["openapi"]; v != "3.1.0" {
		t.Errorf(`"openapi" is %v, want "3.1.0"`, v)
	}
	info, _ := doc["info"].(map[string]any)
	if s, _ := info["title"].(string); s == "" {
		t.Error("info.title is missing")
	}
	if s, _ := info["version"].(string); s == "" {
		t.Error("info.version is missing")
	}

	// Every $ref resolves within the document.
	oaWalk(doc, "#", func(where string, node map[string]any) {
		raw, found := node["$ref"]
		if !found {
			return
		}
		ref, ok := raw.(string)
		if !ok {
			t.Errorf("%s: $ref is not a string", where)
			return
		}
		if _, err := oaResolve(doc, ref); err != "" {
			t.Errorf("%s: $ref %q does not resolve: %s", where, ref, err)
		}
	})

	schemes := map[string]bool{}
	if comps, ok := doc["components"].(map[string]any); ok {
		if ss, ok := comps["securitySchemes"].(map[string]any); ok {
			for name := range ss {
				schemes[name] = true
			}
		}
	}
	checkSecurity := func(where string, v any) {
		reqs, ok := v.([]any)
		if !ok {
			t.Errorf("%s: security is not an array", where)
			return
		}
		for _, r := range reqs {
			req, ok := r.(map[string]any)
			if !ok {
				t.Errorf("%s: a security requirement is not an object", where)
				continue
			}
			for name := range req {
				if !schemes[name] {
					t.Errorf("%s: security scheme %q is not in components.securitySchemes", where, name)
				}
			}
		}
	}
	if v, found := doc["security"]; found {
		checkSecurity("security", v)
	}

	ops := oaOperations(t, doc)
	if len(ops) == 0 {
		t.Fatal("the document has no operations")
	}
	ids := map[string]string{}
	for _, o := range ops {
		id, _ := o.Op["operationId"].(string)
		switch {
		case id == "":
			t.Errorf("%s: no operationId", o)
		case ids[id] != "":
			t.Errorf("%s: operationId %q is also used by %s", o, id, ids[id])
		default:
			ids[id] = o.String()
		}
		if s, _ := o.Op["summary"].(string); s == "" {
			t.Errorf("%s: no summary", o)
		}
		if tags, _ := o.Op["tags"].([]any); len(tags) == 0 {
			t.Errorf("%s: no tags", o)
		}

		responses, _ := o.Op["responses"].(map[string]any)
		if len(responses) == 0 {
			t.Errorf("%s: no responses", o)
		}
		for code := range responses {
			if !oaStatusKey(code) {
				t.Errorf("%s: response key %q is not a status code, a range such as 4XX, or default", o, code)
			}
		}

		if v, found := o.Op["security"]; found {
			checkSecurity(o.String()+": security", v)
		}

		// Path parameters: every wildcard of the template is declared
		// in: path, required: true, and nothing else is declared in: path.
		declared := map[string]map[string]any{}
		for _, src := range []map[string]any{o.Item, o.Op} { // operation overrides path item
			list, _ := src["parameters"].([]any)
			for i, raw := range list {
				p, ok := raw.(map[string]any)
				if ok {
					if ref, isRef := p["$ref"].(string); isRef {
						r, err := oaResolve(doc, ref)
						if err != "" {
							continue // reported by the $ref check
						}
						p, ok = r.(map[string]any)
					}
				}
				if !ok {
					t.Errorf("%s: parameter %d is not an object", o, i)
					continue
				}
				name, _ := p["name"].(string)
				in, _ := p["in"].(string)
				if name == "" || in == "" {
					t.Errorf("%s: parameter %d has no name or no in", o, i)
					continue
				}
				if _, hasSchema := p["schema"]; !hasSchema {
					if _, hasContent := p["content"]; !hasContent {
						t.Errorf("%s: parameter %s has neither schema nor content", o, name)
					}
				}
				if in == "path" {
					declared[name] = p
				}
			}
		}
		inTemplate := map[string]bool{}
		for _, m := range oaParamRE.FindAllStringSubmatch(o.Path, -1) {
			name := strings.TrimSuffix(m[1], "...")
			if name == "$" {
				continue
			}
			inTemplate[name] = true
			p, found := declared[name]
			if !found {
				t.Errorf("%s: path parameter {%s} is not declared (in: path)", o, name)
				continue
			}
			if req, _ := p["required"].(bool); !req {
				t.Errorf("%s: path parameter {%s} is not required: true", o, name)
			}
		}
		for name := range declared {
			if !inTemplate[name] {
				t.Errorf("%s: parameter %q is declared in: path but the path has no {%s}", o, name, name)
			}
		}
	}

	// The routes that need no credentials are marked so.
	byKey := map[string]oaOperation{}
	for _, o := range ops {
		byKey[o.String()] = o
	}
	for _, key := range oaPublic {
		o, found := byKey[key]
		if !found {
			continue // reported by TestOpenAPIRoutes
		}
		if sec, ok := o.Op["security"].([]any); !ok || len(sec) != 0 {
			t.Errorf("%s is public but not marked security: []", key)
		}
	}
}

// oaWalk calls f on every object in v, depth first, with its JSON pointer.
func oaWalk(v any, where string, f func(where string, node map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		f(where, v)
		for k, child := range v {
			oaWalk(child, where+"/"+oaEscape(k), f)
		}
	case []any:
		for i, child := range v {
			oaWalk(child, where+"/"+strconv.Itoa(i), f)
		}
	}
}

func oaEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// oaResolve follows a local reference "#/a/b" in doc; err is "" on success.
func oaResolve(doc map[string]any, ref string) (v any, err string) {
	if ref == "#" {
		return doc, ""
	}
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, "only local references (#/...) are allowed"
	}
	v = doc
	for _, tok := range strings.Split(rest, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch cur := v.(type) {
		case map[string]any:
			next, found := cur[tok]
			if !found {
				return nil, "no " + strconv.Quote(tok)
			}
			v = next
		case []any:
			i, e := strconv.Atoi(tok)
			if e != nil || i < 0 || i >= len(cur) {
				return nil, "no index " + strconv.Quote(tok)
			}
			v = cur[i]
		default:
			return nil, strconv.Quote(tok) + " goes into a scalar"
		}
	}
	return v, ""
}

// oaStatusKey reports whether k is a valid key of a responses object.
func oaStatusKey(k string) bool {
	if k == "default" {
		return true
	}
	if len(k) != 3 || k[0] < '1' || k[0] > '5' {
		return false
	}
	if k[1:] == "XX" {
		return true
	}
	_, err := strconv.Atoi(k)
	return err == nil
}
