package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/store"
)

// statusOf is the one place where an error code becomes an HTTP status.
func statusOf(code apperr.Code) int {
	switch code {
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.Forbidden, apperr.PlanLimit:
		return http.StatusForbidden
	case apperr.Unauthorized:
		return http.StatusUnauthorized
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.Unsupported:
		return http.StatusUnsupportedMediaType
	case apperr.MethodNotAll:
		return http.StatusMethodNotAllowed
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	case apperr.RateLimited:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    apperr.Code `json:"code"`
	Message string      `json:"message"`
	Field   string      `json:"field,omitempty"`
	// Reason and Params let a screen word a field's error in its own
	// language and units (apperr.Error).
	Reason string         `json:"reason,omitempty"`
	Params map[string]any `json:"params,omitempty"`
}

// writeError answers with {"error":{"code","message"}}. Internal errors are
// logged with their cause and shown to the client without it.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := apperr.CodeOf(err)
	var cause string
	if code == apperr.Internal || code == apperr.Unavailable {
		cause = store.CauseOf(err)
	}
	if code == apperr.Internal && cause != "" {
		// A driver error that reached here unclassified still means an
		// unreachable database when it is one: 503, never 500.
		err, code = store.Unavailable(err, cause), apperr.Unavailable
	}
	if code == apperr.Unavailable {
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", "1")
		}
		if cause == "" {
			cause = "other"
		}
		if ri, ok := r.Context().Value(keyInfo).(*reqInfo); ok {
			ri.unavailable = cause
		}
	}
	detail := errorDetail{Code: code, Message: apperr.MessageOf(err)}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		detail.Field, detail.Reason, detail.Params = ae.Field, ae.Reason, ae.Params
	}
	status := statusOf(code)
	if status >= 500 {
		logger(r).Error("request failed", "error", err.Error())
	}
	if code == apperr.Unauthorized && r.Header.Get("Authorization") != "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="openlines"`)
	}
	writeJSON(w, status, errorBody{detail})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		slog.Debug("write response", "error", err)
	}
}

// writeList answers {key: items}, or returns err.
func writeList[T any](w http.ResponseWriter, key string, items []T, err error) error {
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{key: items})
	return nil
}

// writeResult answers with v at status, or returns err.
func writeResult(w http.ResponseWriter, status int, v any, err error) error {
	if err != nil {
		return err
	}
	writeJSON(w, status, v)
	return nil
}

// readBody reads a JSON request body within the size limit and checks that
// it is JSON of valid UTF-8.
func readBody(r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, apperr.New(apperr.Unsupported, "the request body must be application/json, not %q", ct)
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			return nil, apperr.New(apperr.Unsupported, "the request body must be JSON in UTF-8, not %q", cs)
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, apperr.New(apperr.TooLarge, "the request body is larger than %d bytes", mbe.Limit)
		}
		return nil, apperr.New(apperr.Invalid, "the request body could not be read")
	}
	if !utf8.Valid(body) {
		return nil, apperr.New(apperr.Invalid, "the request body is not valid UTF-8")
	}
	return body, nil
}

// decodeInto decodes body into v strictly: one JSON object, no unknown
// fields, types as documented, then (check.go) every string text by
// input.Text, no key twice in an object, and required times present. Fields
// already set in v are kept when absent in body.
func decodeInto(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return apperr.New(apperr.Invalid, "the request body is empty; a JSON object is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		if !errors.As(err, &se) { // the body is JSON: say what is wrong in it by field
			if serr := scanBody(body); serr != nil {
				return serr
			}
			if terr := badTime(reflect.TypeOf(v), body); terr != nil {
				return terr
			}
		}
		return jsonError(err)
	}
	if dec.More() {
		return apperr.New(apperr.Invalid, "the request body holds more than one JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return apperr.New(apperr.Invalid, "the request body has data after the JSON value")
	}
	if bytes.TrimSpace(body)[0] != '{' { // null decodes into a struct as nothing
		return apperr.New(apperr.Invalid, "the request body must be a JSON object")
	}
	if err := scanBody(body); err != nil {
		return err
	}
	return requiredTimes(reflect.TypeOf(v), body)
}

// decode reads the body and decodes it into v.
func decode(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeInto(body, v)
}

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return apperr.New(apperr.Invalid, "malformed JSON at byte %d: %s", se.Offset, se.Error())
	case errors.As(err, &te):
		field := apiField(te.Field)
		if field == "" {
			return apperr.New(apperr.Invalid, "expected %s as the JSON body, got %s", jsonType(te.Type.Kind().String()), te.Value)
		}
		return apperr.FieldError(field, "expected %s, got %s", jsonType(te.Type.Kind().String()), te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.New(apperr.Invalid, "malformed JSON: the body ends too early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apperr.FieldError(name, "is not a known field")
	}
	return apperr.New(apperr.Invalid, "malformed JSON: %v", err)
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return fmt.Sprintf("a %s", kind)
}

// apiField drops the Go names of embedded structs from a decoder's field
// path ("Settings.queue_time" → "queue_time"): API fields are snake_case.
func apiField(path string) string {
	var keep []string
	for _, p := range strings.Split(path, ".") {
		if p != "" && !(p[0] >= 'A' && p[0] <= 'Z') {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, ".")
}
