package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/input"
)

// The checks decodeInto applies to a body that is well-formed JSON: after
// encoding/json accepted it, or to say by field why it did not. Each names the offending field by its JSON path ("message.text",
// "working_hours.week.mon"); array items share their array's name, since
// that is how the interface names its inputs.

// joinPath appends a key to a JSON field path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// jsonName is the key of a struct field in JSON, "-" when it has none, and
// "" for an embedded struct whose fields are its parent's.
func jsonName(f reflect.StructField) string {
	if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" {
		return name
	}
	if f.Anonymous && indirect(f.Type).Kind() == reflect.Struct {
		return ""
	}
	return f.Name
}

func indirect(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

var timeType = reflect.TypeFor[time.Time]()

// eachTime calls fn for every time field (time.Time or *time.Time) of the
// struct type t, itself or in its struct fields, with its JSON path, whether
// it is required, and its value in raw (nil when absent or null). A time
// field that is not a pointer is required: its zero value cannot tell
// "absent" from "0001-01-01T00:00:00Z", which is a time like any other and
// is judged by the route's rules. Optional times are pointers. Arrays are
// not looked into (no request has times in arrays).
func eachTime(t reflect.Type, raw []byte, path string, fn func(path string, required bool, val []byte) error) error {
	t = indirect(t)
	if !timesIn(t) {
		return nil
	}
	var obj map[string]json.RawMessage
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil // not an object: the decoder refuses it
		}
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := jsonName(f)
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if name == "" { // embedded: its fields are in this object
			if err := eachTime(f.Type, raw, path, fn); err != nil {
				return err
			}
			continue
		}
		val, _ := lookupKey(obj, name)
		if string(bytes.TrimSpace(val)) == "null" {
			val = nil
		}
		var err error
		switch ft := indirect(f.Type); {
		case ft == timeType:
			err = fn(joinPath(path, name), f.Type == timeType, val)
		case ft.Kind() == reflect.Struct && (val != nil || f.Type.Kind() == reflect.Struct):
			err = eachTime(ft, val, joinPath(path, name), fn)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// requiredTimes refuses a body that leaves out, or sends null for, a
// required time (see eachTime).
func requiredTimes(t reflect.Type, raw []byte) error {
	return eachTime(t, raw, "", func(path string, required bool, val []byte) error {
		if required && val == nil {
			return apperr.FieldError(path, "is required")
		}
		return nil
	})
}

// badTime names the time field whose value encoding/json could not take
// (time.Time's errors say nothing of the field), or returns nil.
func badTime(t reflect.Type, raw []byte) error {
	return eachTime(t, raw, "", func(path string, _ bool, val []byte) error {
		var tm time.Time
		if val != nil && json.Unmarshal(val, &tm) != nil {
			return apperr.FieldError(path, "is not an RFC 3339 time such as 2026-01-31T09:00:00Z")
		}
		return nil
	})
}

// hasTime reports whether a struct type has a time field, itself or in its
// struct fields.
// timesIn is hasTime remembered per type: it is asked on every request.
func timesIn(t reflect.Type) bool {
	if v, ok := hasTimeCache.Load(t); ok {
		return v.(bool)
	}
	v := hasTime(t, 0)
	hasTimeCache.Store(t, v)
	return v
}

var hasTimeCache sync.Map // reflect.Type → bool

func hasTime(t reflect.Type, depth int) bool {
	if t.Kind() != reflect.Struct || t == timeType || depth > 8 {
		return false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if jsonName(f) == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if ft := indirect(f.Type); ft == timeType || hasTime(ft, depth+1) {
			return true
		}
	}
	return false
}

// lookupKey finds a field's value as encoding/json does: the exact key,
// else a key equal to it ignoring case.
func lookupKey(obj map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	if v, ok := obj[name]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// scanBody walks the tokens of a body that encoding/json accepted and
// refuses the first string, key or value, that is not text (input.Text:
// invalid UTF-8 or a control character other than tab, LF and CR), and an
// object that gives a key twice.
//
// Text: PostgreSQL refuses NUL, and a NUL stored inside a JSON document (a
// line's settings) would fail only later, when the text is copied into a
// message; the other controls have no place in names or messages. Every
// string is checked, even of fields the route ignores, so the rule has no
// exceptions to remember.
//
// Keys twice (ignoring case, since encoding/json matches field names so):
// the decoder would keep the last silently, and a proxy or a log that reads
// the first would see another request than the one served.
func scanBody(body []byte) error {
	type frame struct {
		object  bool
		wantKey bool
		key     string
		path    string
		keys    map[string]bool
	}
	var stack []*frame
	top := func() *frame {
		if len(stack) == 0 {
			return nil
		}
		return stack[len(stack)-1]
	}
	valueDone := func() {
		if f := top(); f != nil && f.object {
			f.wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF, or what the decoder has refused already
		}
		f := top()
		if f != nil && f.object && f.wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				valueDone()
				continue
			}
			k, _ := tok.(string)
			if p := input.Problem(k); p != "" {
				return textError(f.path, "has a key that "+p)
			}
			fold := strings.ToLower(k)
			if f.keys[fold] {
				return apperr.FieldError(joinPath(f.path, k), "is given more than once")
			}
			if f.keys == nil {
				f.keys = map[string]bool{}
			}
			f.keys[fold] = true
			f.key, f.wantKey = k, false
			continue
		}
		path := ""
		if f != nil {
			path = f.path
			if f.object {
				path = joinPath(f.path, f.key)
			}
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				stack = append(stack, &frame{object: t == '{', wantKey: t == '{', path: path})
				continue
			}
			stack = stack[:len(stack)-1] // ']'
		case string:
			if p := input.Problem(t); p != "" {
				return textError(path, p)
			}
		}
		valueDone()
	}
}

func textError(path, problem string) error {
	if path == "" {
		return apperr.New(apperr.Invalid, "the request body %s", problem)
	}
	return apperr.FieldError(path, "%s", problem)
}
