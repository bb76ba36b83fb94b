package httpapi

import (
	"github.com/openlines/openlines/internal/access"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/input"
)

// Ids and other values of the path and the query are checked here, before
// a handler runs, so that no malformed value reaches SQL: PostgreSQL refuses
// NUL and invalid UTF-8 in text with an error that would be a 500. A path
// value that is not a well-formed id is a record that does not exist (404);
// a query value that is not is a bad filter (400 naming the parameter).

// wildcardRE finds the wildcards of a route pattern: {id}, {token}, {rest...}.
var wildcardRE = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)(?:\.\.\.)?\}`)

// wildcards lists the path parameters of a route pattern.
func wildcards(pattern string) []string {
	var names []string
	for _, m := range wildcardRE.FindAllStringSubmatch(pattern, -1) {
		names = append(names, m[1])
	}
	return names
}

// checkInput wraps a route's handler with the checks of its path values and
// query parameters.
func checkInput(pattern string, h handlerFunc) handlerFunc {
	names := wildcards(pattern)
	roles := strings.Contains(pattern, "/roles/{id}")
	return func(w http.ResponseWriter, r *http.Request, p principal) error {
		for _, name := range names {
			v := r.PathValue(name)
			if roles && access.IsPredefined(v) {
				continue // a predefined role's key: its routes answer 403
			}
			if err := checkPathValue(name, v); err != nil {
				return err
			}
		}
		if err := checkQuery(r); err != nil {
			return err
		}
		return h(w, r, p)
	}
}

// checkPathValue: {token} is a rating token, every other wildcard an id.
func checkPathValue(name, v string) error {
	ok := input.ID(v)
	if name == "token" {
		ok = validRatingToken(v)
	}
	if !ok {
		return apperr.NotFoundf("not found: %s %q is not well-formed", name, v)
	}
	return nil
}

// validRatingToken reports whether s can be a rating token: the store makes
// them of random bytes in unpadded base64url (24 characters today); any
// length up to 64 is allowed so that a longer token one day still passes.
func validRatingToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '-' || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			return false
		}
	}
	return true
}

// queryIDs are the query parameters that hold ids besides those named *_id.
var queryIDs = map[string]bool{"offered_to": true, "after": true}

// checkQuery refuses a query whose names or values are not text
// (input.Text), and an id parameter (line_id, operator_id, after...) that is
// not a well-formed id. An empty value is no filter, as before.
func checkQuery(r *http.Request) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return apperr.New(apperr.Invalid, "the query string is malformed: %v", err)
	}
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if p := input.Problem(name); p != "" {
			return apperr.New(apperr.Invalid, "a query parameter's name %s", p)
		}
		isID := strings.HasSuffix(name, "_id") || queryIDs[name]
		for _, v := range q[name] {
			if p := input.Problem(v); p != "" {
				return apperr.FieldError(name, "%s", p)
			}
			if isID && v != "" && !input.ID(v) {
				return apperr.FieldError(name, "%q is not a well-formed id", v)
			}
		}
	}
	return nil
}
