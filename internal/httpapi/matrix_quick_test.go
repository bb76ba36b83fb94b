package httpapi_test

import (
	"net/http"
	"strings"
)

// The quick answers' rows of the rights matrix (SPEC §8, §9): reading is
// everyone's, changing needs quick_answers.edit (Administrator and
// Director); another workspace's answer, section or message is 404.
func init() {
	for pattern, e := range map[string]entry{
		"GET /api/v1/quick-answers":                 {want: anyone},
		"POST /api/v1/quick-answers":                {perm: "quick_answers.edit", want: needsPerm("quick_answers.edit")},
		"GET /api/v1/quick-answers/{id}":            {rels: allRels, want: record("")},
		"PATCH /api/v1/quick-answers/{id}":          {perm: "quick_answers.edit", rels: allRels, want: record("quick_answers.edit")},
		"DELETE /api/v1/quick-answers/{id}":         {perm: "quick_answers.edit", rels: allRels, want: record("quick_answers.edit")},
		"POST /api/v1/quick-answers/{id}/uses":      {rels: allRels, want: record("")},
		"POST /api/v1/messages/{id}/quick-answer":   {perm: "quick_answers.edit", rels: allRels, want: record("quick_answers.edit")},
		"GET /api/v1/quick-answer-sections":         {want: anyone},
		"POST /api/v1/quick-answer-sections":        {perm: "quick_answers.edit", want: needsPerm("quick_answers.edit")},
		"PATCH /api/v1/quick-answer-sections/{id}":  {perm: "quick_answers.edit", rels: allRels, want: record("quick_answers.edit")},
		"DELETE /api/v1/quick-answer-sections/{id}": {perm: "quick_answers.edit", rels: allRels, want: record("quick_answers.edit")},
	} {
		matrix[pattern] = e
	}
}

// quickRequest builds the call of a quick answers route: a fresh answer,
// section or operator message of Acme, or of Beta for a foreign record.
func (w *mworld) quickRequest(pattern string, c *mcaller, rel string) (method, path string, body any) {
	method, path, _ = strings.Cut(pattern, " ")
	by := w.c
	if rel == relForeign {
		by = w.bAdmin.c
	}
	n := w.next()
	switch {
	case strings.HasPrefix(path, "/api/v1/quick-answers/{id}"):
		id := by.do("POST", "/api/v1/quick-answers", map[string]any{"text": "Matrix answer " + n}).want(http.StatusCreated).id()
		path = strings.Replace(path, "{id}", id, 1)
		if method == "PATCH" {
			body = map[string]any{"title": "Changed " + n}
		}
	case strings.HasPrefix(path, "/api/v1/quick-answer-sections/{id}"):
		id := by.do("POST", "/api/v1/quick-answer-sections", map[string]any{"name": "Section " + n}).want(http.StatusCreated).id()
		path = strings.Replace(path, "{id}", id, 1)
		if method == "PATCH" {
			body = map[string]any{"name": "Renamed " + n}
		}
	case strings.HasPrefix(path, "/api/v1/messages/{id}"):
		holder := w.holderOf(c, rel)
		d, _ := w.shared(holder)
		m := holder.c.do("POST", "/api/v1/dialogs/"+d+"/messages", map[string]any{"text": "Saved reply " + n}).want(http.StatusCreated).id()
		path = strings.Replace(path, "{id}", m, 1)
		body = map[string]any{}
	case method == "POST" && path == "/api/v1/quick-answers":
		body = map[string]any{"text": "New answer " + n}
	case method == "POST":
		body = map[string]any{"name": "New section " + n}
	}
	return method, path, body
}
