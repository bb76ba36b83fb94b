package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/openlines/openlines/internal/line"
)

// The statistics dashboard with no sessions says so; with some it shows
// the figures, the four charts and the operators' table, sortable.
func TestStatsDashboard(t *testing.T) {
	e := newEnv(t)
	pa := e.signIn(e.admin)
	pa.click(`[data-testid=nav-stats]`)
	pa.waitFor("the empty dashboard", `!!document.querySelector('[data-testid=stats-empty]')`)

	olga := e.user("olga@acme.test", "Olga Smirnova", "manager")
	_, sales := e.line("Sales", line.ModeEvenly, []string{olga.ID}, nil)
	for i, c := range []string{"anna", "boris", "vera"} {
		r := e.customer(sales, c, strings.ToUpper(c[:1])+c[1:], "m"+c, "Where is my order?")
		if i < 2 { // the administrator answers two of them, taking them
			if st := e.api("POST", "/api/v1/dialogs/"+r.DialogID+"/messages", map[string]string{"text": "Let me check"}, nil); st != http.StatusCreated {
				t.Fatalf("reply: status %d", st)
			}
		}
	}
	pa.click(`[data-testid=stats-preset-7d]`)
	pa.waitFor("the figures", `document.querySelector('[data-testid=stat-received] .stat-value')?.textContent === '3'`)
	var got []string
	pa.eval(`[
		document.querySelector('[data-testid=stat-taken] .stat-value').textContent,
		String(document.querySelectorAll('[data-testid=chart-status] rect.chart-bar').length),
		String(document.querySelectorAll('[data-testid=chart-channels] polyline').length),
		String(document.querySelectorAll('[data-testid=chart-frt] rect.chart-bar').length),
		String(document.querySelectorAll('[data-testid=chart-ratings] rect.chart-bar').length),
		String(document.querySelectorAll('[data-testid=operator-row]').length),
	]`, &got)
	if strings.Join(got, ",") != "2,4,1,7,7,2" {
		t.Fatalf("taken, status bars, channel lines, response bars, rating bars, operator rows: %v", got)
	}
	pa.screenshotPage("stats-dashboard")
	// Sorting by name puts "Alice Morgan" before "Nobody" in English.
	pa.click(`[data-testid=sort-name]`)
	pa.waitFor("sorted by name", `document.querySelector('[data-testid=sort-name]').closest('th').getAttribute('aria-sort') === 'ascending'`)
	names := pa.strings(`[...document.querySelectorAll('[data-testid=operator-row] td:first-child')].map(td => td.textContent)`)
	if len(names) != 2 || names[0] != "Alice Morgan" {
		t.Fatalf("operators sorted by name: %v", names)
	}
	pa.click(`[data-testid=sort-name]`)
	pa.waitFor("sorted by name, descending", `document.querySelector('[data-testid=operator-row] td:first-child').textContent !== 'Alice Morgan'`)
	// A period with nothing in it.
	pa.eval(`(() => { const f = document.querySelector('[data-testid=stats-from]'), to = document.querySelector('[data-testid=stats-to]');
		f.value = '2020-01-01'; to.value = '2020-01-31'; to.dispatchEvent(new Event('change')); return true; })()`, nil)
	pa.waitFor("the empty period", `!!document.querySelector('[data-testid=stats-empty]')`)
}

// The history lists the dialogs, filters them by the words of their
// messages, and the export button downloads the CSV of what is shown.
func TestHistoryExportDownloads(t *testing.T) {
	e := newEnv(t)
	_, sales := e.line("Продажи", line.ModeEvenly, nil, nil)
	e.customer(sales, "anna", "Анна Петрова", "a1", "Где мой заказ?")
	e.customer(sales, "boris", "Boris", "b1", "=1+2 is a formula")
	pa := e.signIn(e.admin)
	pa.click(`[data-testid=nav-history]`)
	pa.waitFor("both dialogs", `document.querySelectorAll('[data-testid=history-row]').length === 2`)
	pa.fill(`[data-testid=history-text]`, "заказ")
	pa.waitFor("the filtered list", `document.querySelectorAll('[data-testid=history-row]').length === 1 &&
		document.querySelector('[data-testid=history-export]').getAttribute('href').includes('text=')`)

	pa.screenshot("history")
	dir := t.TempDir()
	pa.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
			BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
		})
		return err
	}))
	pa.click(`[data-testid=history-export]`)
	var data []byte
	deadline := time.Now().Add(waitLimit)
	for len(data) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no file was downloaded")
		}
		time.Sleep(50 * time.Millisecond)
		files, _ := filepath.Glob(filepath.Join(dir, "dialogs-*.csv"))
		if len(files) == 1 {
			data, _ = os.ReadFile(files[0])
		}
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")))).ReadAll()
	if err != nil || !bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("the download is not CSV with a BOM: %v\n%q", err, data)
	}
	if len(recs) != 2 || recs[1][5] != "Анна Петрова" || recs[1][3] != "Продажи" {
		t.Fatalf("the downloaded CSV: %v", recs)
	}
}

// The staffing planner draws the week and today's shift: with no history
// the plan is empty, and today's row counts the line's queue.
func TestStaffingHeatmap(t *testing.T) {
	e := newEnv(t)
	olga := e.user("olga@acme.test", "Olga Smirnova", "manager")
	pavel := e.user("pavel@acme.test", "Pavel Ivanov", "manager")
	e.line("Sales", line.ModeEvenly, []string{olga.ID, pavel.ID}, nil)
	pa := e.signIn(e.admin)
	pa.click(`[data-testid=nav-stats]`)
	pa.click(`[data-testid=stats-staffing]`)
	pa.waitFor("the heat map", `document.querySelectorAll('[data-testid=staffing-heatmap] .heat-cell').length === 192 &&
		!!document.querySelector('[data-testid=staffing-empty]')`)
	sched := pa.strings(`[...document.querySelectorAll('[data-testid=staffing-heatmap] [data-scheduled]')].map(g => g.dataset.scheduled)`)
	if len(sched) != 24 || sched[0] != "2" || sched[23] != "2" {
		t.Fatalf("today's shift: %v", sched)
	}
	pa.screenshot("staffing")
}
