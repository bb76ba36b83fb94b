package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/openlines/openlines/internal/store/storetest"
)

// TestDialogExportCSV: the export is the list's dialogs as CSV with a BOM,
// a header, quoting of commas, quotes and newlines, Cyrillic as it is, and
// formulas neutralised; the list's filters and the caller's scope apply.
func TestDialogExportCSV(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		line := h.c.createLine("Продажи")
		ch := h.c.createChannel(line)
		send := func(ext, name, text string) {
			h.c.do("POST", "/api/v1/channels/"+ch+"/messages", map[string]any{
				"customer": map[string]any{"external_id": ext, "name": name},
				"message":  map[string]any{"external_id": "m-" + ext, "text": text},
			}).want(http.StatusCreated)
		}
		send("c1", "Иван, \"Ваня\" Петров", "Где мой заказ?\nСрочно")
		send("=cmd|' /C calc'!A0", "@SUM(A1)", "+1 555 0100")
		send("c3", "-2+3", "=HYPERLINK(\"http://evil\")")
		send("c4", "Tab", "\tindented")
		r := h.c.do("GET", "/api/v1/dialogs/export", nil).want(http.StatusOK)
		if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Fatalf("Content-Type %q", ct)
		}
		if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="dialogs-`) {
			t.Fatalf("Content-Disposition %q", cd)
		}
		if !bytes.HasPrefix(r.raw, []byte("\xEF\xBB\xBF")) {
			t.Fatalf("no UTF-8 byte-order mark: %q", r.raw[:min(10, len(r.raw))])
		}
		if !bytes.Contains(r.raw, []byte("\r\n")) {
			t.Fatal("rows do not end in CRLF")
		}
		recs, err := csv.NewReader(bytes.NewReader(r.raw[3:])).ReadAll()
		if err != nil {
			t.Fatalf("not CSV: %v\n%s", err, r.raw)
		}
		head := recs[0]
		col := func(name string) int {
			i := slices.Index(head, name)
			if i < 0 {
				t.Fatalf("no column %s in %v", name, head)
			}
			return i
		}
		if len(recs) != 5 || head[0] != "dialog_id" {
			t.Fatalf("%d records, header %v", len(recs), head)
		}
		byExt := map[string][]string{}
		for _, rec := range recs[1:] {
			byExt[rec[col("customer_external_id")]] = rec
			if rec[col("line")] != "Продажи" || rec[col("status")] != "queued" {
				t.Errorf("row %v", rec)
			}
		}
		ivan := byExt["c1"]
		if ivan[col("customer")] != `Иван, "Ваня" Петров` || ivan[col("last_message")] != "Где мой заказ?\nСрочно" {
			t.Errorf("quoting lost: %q / %q", ivan[col("customer")], ivan[col("last_message")])
		}
		if !bytes.Contains(r.raw, []byte(`"Иван, ""Ваня"" Петров"`)) {
			t.Error("a cell with a comma and quotes is not quoted with doubled quotes")
		}
		evil := byExt["'=cmd|' /C calc'!A0"]
		if evil == nil || evil[col("customer")] != "'@SUM(A1)" || evil[col("last_message")] != "'+1 555 0100" {
			t.Errorf("formulas not neutralised: %v", byExt)
		}
		if c3 := byExt["c3"]; c3[col("customer")] != "'-2+3" || c3[col("last_message")] != `'=HYPERLINK("http://evil")` {
			t.Errorf("formulas not neutralised: %v", c3)
		}
		if c4 := byExt["c4"]; c4[col("last_message")] != "'\tindented" {
			t.Errorf("a leading tab is not neutralised: %q", c4[col("last_message")])
		}
		// The list's filters: full text, and a status nothing has.
		r = h.c.do("GET", "/api/v1/dialogs/export?text="+url.QueryEscape("заказ"), nil).want(http.StatusOK)
		if recs, _ := csv.NewReader(bytes.NewReader(r.raw[3:])).ReadAll(); len(recs) != 2 || recs[1][col("customer_external_id")] != "c1" {
			t.Errorf("text filter: %v", recs)
		}
		r = h.c.do("GET", "/api/v1/dialogs/export?status=spam", nil).want(http.StatusOK)
		if recs, _ := csv.NewReader(bytes.NewReader(r.raw[3:])).ReadAll(); len(recs) != 1 {
			t.Errorf("status filter: %v", recs)
		}
		// Bad filters are refused before anything is written.
		for q, field := range map[string]string{"rating=6": "rating", "text=" + url.QueryEscape("!!!"): "text", "text=%ff": "text",
			"text=" + url.QueryEscape(strings.Repeat("я", 201)): "text", "status=lost": "status", "from=never": "from"} {
			for _, path := range []string{"/api/v1/dialogs/export?", "/api/v1/dialogs?"} {
				if r := h.c.do("GET", path+q, nil).wantErr(http.StatusBadRequest, "invalid"); r.errField() != field {
					t.Errorf("%s%s: field %q, want %q", path, q, r.errField(), field)
				}
			}
		}
		// A manager (dialogs.view own) exports nothing of others'.
		mgr := h.user(h.ws.ID, "mgr@acme.test", "manager", false)
		r = h.login(mgr.Email, testPassword).do("GET", "/api/v1/dialogs/export", nil).want(http.StatusOK)
		if recs, _ := csv.NewReader(bytes.NewReader(r.raw[3:])).ReadAll(); len(recs) != 1 {
			t.Errorf("manager's export: %v", recs)
		}
	})
}
