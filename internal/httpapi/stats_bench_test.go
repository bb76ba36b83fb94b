package httpapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/httpapi"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/session"
	"github.com/openlines/openlines/internal/stats"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// The statistics benchmarks seed their data with multi-row INSERTs on a
// second connection to the store's database (the store's API would take
// hours for millions of rows on two cores), then measure through the HTTP
// handler. Sizes come from the environment so that the full targets can be
// run where there is time:
//
//	OPENLINES_BENCH_SESSIONS (1,000,000)  sessions behind the 30-day summary
//	OPENLINES_BENCH_DIALOGS  (100,000)    dialogs of the history and export
//	OPENLINES_BENCH_MESSAGES (10)         messages a dialog
//
//	go test -run '^$' -bench 'Stats' -benchtime 20x ./internal/httpapi/

func benchSize(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchDB is a store on a fresh database with a second, raw connection.
type benchDB struct {
	engine string
	st     *store.Store
	db     *sql.DB
	ws     workspace.Workspace
	admin  user.User
	token  string
	lines  []line.Line
	chans  []channel.Channel
	ops    []user.User
	h      http.Handler
}

func openBench(b *testing.B, engine string, nLines, opsPerLine int) *benchDB {
	ctx := context.Background()
	dsn := storetest.DSN(b, engine)
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	driver := "sqlite"
	if engine == store.Postgres {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	b.Cleanup(func() { db.Close() })
	if engine == store.SQLite {
		db.Exec(`PRAGMA busy_timeout = 10000`)
	}
	w := &benchDB{engine: engine, st: st, db: db}
	w.ws, _ = st.CreateWorkspace(ctx, "Big", workspace.Enterprise)
	if err := st.SetWorkspaceTimezone(ctx, w.ws.ID, "Europe/Moscow"); err != nil {
		b.Fatal(err)
	}
	w.admin, _ = st.CreateUser(ctx, user.User{WorkspaceID: w.ws.ID, Email: "a@big.io", Name: "Admin", Role: user.Administrator, Active: true, PasswordHash: "x"})
	secret, hash, _ := user.NewSecret("olt_")
	st.CreateAPIToken(ctx, w.admin, "bench", hash, nil)
	w.token = secret
	set := line.Defaults()
	set.WelcomeEnabled = false
	for i := range nLines {
		l, err := st.CreateLine(ctx, w.ws.ID, fmt.Sprint("Line ", i), set)
		if err != nil {
			b.Fatal(err)
		}
		w.lines = append(w.lines, l)
		for k := range 2 {
			c, _ := st.CreateChannel(ctx, channel.Channel{WorkspaceID: w.ws.ID, LineID: l.ID, Type: channel.TypeAPI, Name: fmt.Sprint("api", k)})
			w.chans = append(w.chans, c)
		}
		for k := range opsPerLine {
			u, _ := st.CreateUser(ctx, user.User{WorkspaceID: w.ws.ID, Email: fmt.Sprintf("op%d-%d@big.io", i, k), Name: fmt.Sprintf("Op %d-%d", i, k),
				Role: user.Manager, Active: true, PasswordHash: "x"})
			w.ops = append(w.ops, u)
		}
	}
	w.h = httpapi.New(httpapi.Config{Store: st, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}).Handler()
	return w
}

// bulk inserts n rows into table with multi-row statements in one
// transaction a batch.
func (w *benchDB) bulk(b *testing.B, table string, cols []string, n int, row func(i int) []any) {
	per := max(1, 30000/len(cols))
	for start := 0; start < n; start += per {
		end := min(n, start+per)
		var sb strings.Builder
		args := make([]any, 0, (end-start)*len(cols))
		fmt.Fprintf(&sb, "INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
		for i := start; i < end; i++ {
			if i > start {
				sb.WriteString(", ")
			}
			sb.WriteByte('(')
			for k := range cols {
				if k > 0 {
					sb.WriteString(", ")
				}
				fmt.Fprintf(&sb, "$%d", len(args)+k+1)
			}
			sb.WriteByte(')')
			args = append(args, row(i)...)
		}
		if _, err := w.db.Exec(sb.String(), args...); err != nil {
			b.Fatalf("insert into %s: %v", table, err)
		}
	}
}

func (w *benchDB) get(b *testing.B, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Authorization", "Bearer "+w.token)
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body.String())
	}
	return rec
}

// BenchmarkStatsSummary30d: the 30-day summary (and per line, per operator)
// over the figures of OPENLINES_BENCH_SESSIONS sessions spread over 30 days,
// 10 lines of 2 channels and 5 operators each. The figures are what the
// rebuild writes for those sessions — each session's contribution by
// stats.OfSession, summed per key — written directly: the summary reads only
// the figures, never the sessions (target ≤ 100 ms).
func BenchmarkStatsSummary30d(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		b.Run(engine, func(b *testing.B) {
			w := openBench(b, engine, 10, 5)
			n := benchSize("OPENLINES_BENCH_SESSIONS", 1_000_000)
			loc, _ := time.LoadLocation("Europe/Moscow")
			start := time.Date(2026, 11, 1, 0, 0, 0, 0, loc)
			rng := rand.New(rand.NewPCG(1, 2))
			sums := map[stats.Key]*stats.Sums{}
			for range n {
				li := rng.IntN(len(w.lines))
				s := session.State{LineID: w.lines[li].ID, OpenedAt: start.Add(time.Duration(rng.Int64N(int64(30 * 24 * time.Hour)))).UnixMicro(), Status: "queued"}
				if rng.IntN(10) > 0 {
					s.OperatorID = w.ops[li*5+rng.IntN(5)].ID
					s.FirstResponseAt = s.OpenedAt + int64(rng.ExpFloat64()*60e6) + 1
					s.Answered = true
					s.Status = "closed"
					s.ClosedAt = s.FirstResponseAt + int64(rng.ExpFloat64()*900e6)
				} else if rng.IntN(2) == 0 {
					s.Status, s.ClosedAt = "spam", s.OpenedAt+60e6
				}
				s.OffHours = rng.IntN(5) == 0
				c := stats.OfSession(&s, w.chans[li*2+rng.IntN(2)].ID, loc)
				g := sums[c.Key]
				if g == nil {
					g = &stats.Sums{}
					sums[c.Key] = g
				}
				g.Counts.Add(c.Counts)
				if s.Answered {
					g.Counts.Add(stats.OfMessages(3))
				}
				if c.FRT >= 0 {
					g.FRT[c.FRT]++
				}
				if c.TTC >= 0 {
					g.TTC[c.TTC]++
				}
			}
			keys := make([]stats.Key, 0, len(sums))
			for k := range sums {
				keys = append(keys, k)
			}
			cols := append(append([]string{"workspace_id", "day", "line_id", "channel_id", "operator_id"}, stats.Columns[:]...), "frt", "ttc")
			w.bulk(b, "stats_daily", cols, len(keys), func(i int) []any {
				k := keys[i]
				row := []any{w.ws.ID, k.Day, k.Line, k.Channel, k.Operator}
				for _, v := range sums[k].Counts {
					row = append(row, v)
				}
				return append(row, sums[k].FRT.Encode(), sums[k].TTC.Encode())
			})
			if engine == store.Postgres {
				w.db.Exec(`ANALYZE stats_daily`)
			}
			b.Logf("%d sessions: %d rows of figures", n, len(keys))
			for _, path := range []string{"summary", "lines", "operators", "daily"} {
				b.Run(path, func(b *testing.B) {
					for b.Loop() {
						w.get(b, "/api/v1/stats/"+path+"?from=2026-11-01&to=2026-11-30")
					}
				})
			}
		})
	}
}

// words are the messages' vocabulary: a few common words of both languages
// and many rare ones.
var benchWords = []string{"заказ", "доставка", "оплата", "спасибо", "здравствуйте", "order", "delivery", "payment", "thanks", "hello", "where", "когда"}

// seedHistory writes OPENLINES_BENCH_DIALOGS dialogs (customer, closed
// session, messages) over 4 lines; one dialog in 1,000 has a message with
// the rare word "кенгуру" and one in 1,000 with "zebrafish".
func seedHistory(b *testing.B, w *benchDB) (dialogs, messages int) {
	dialogs = benchSize("OPENLINES_BENCH_DIALOGS", 100_000)
	per := benchSize("OPENLINES_BENCH_MESSAGES", 10)
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	ids := func(prefix byte, i int) string { // UUID-shaped, unique, sortable
		u := uuid.UUID{}
		u[0] = prefix
		for k := 0; k < 8; k++ {
			u[15-k] = byte(i >> (8 * k))
		}
		u[6], u[8] = 0x70, 0x80
		return u.String()
	}
	t0 := time.Now()
	w.bulk(b, "customers", []string{"id", "workspace_id", "channel_id", "external_id", "name", "created_at"}, dialogs, func(i int) []any {
		return []any{ids(1, i), w.ws.ID, w.chans[i%len(w.chans)].ID, fmt.Sprint("c", i), fmt.Sprintf("Клиент %d, \"Иванов\"", i), base + int64(i)*1e6}
	})
	w.bulk(b, "dialogs", []string{"id", "workspace_id", "line_id", "channel_id", "customer_id", "status", "operator_id", "session_id", "created_at", "last_message_at"}, dialogs,
		func(i int) []any {
			c := w.chans[i%len(w.chans)]
			return []any{ids(2, i), w.ws.ID, c.LineID, c.ID, ids(1, i), "closed", w.admin.ID, ids(3, i), base + int64(i)*1e6, base + int64(i)*1e6 + int64(per)*1e6}
		})
	w.bulk(b, "sessions", []string{"id", "workspace_id", "dialog_id", "line_id", "status", "operator_id", "answered", "opened_at", "first_response_at", "closed_at", "queued_at"}, dialogs,
		func(i int) []any {
			c := w.chans[i%len(w.chans)]
			at := base + int64(i)*1e6
			return []any{ids(3, i), w.ws.ID, ids(2, i), c.LineID, "closed", w.admin.ID, true, at, at + 1e6, at + int64(per)*1e6, at}
		})
	rng := rand.New(rand.NewPCG(3, 4))
	messages = dialogs * per
	w.bulk(b, "messages", []string{"id", "workspace_id", "dialog_id", "session_id", "channel_id", "direction", "author_id", "text", "created_at", "kind"}, messages,
		func(i int) []any {
			d := i / per
			var sb strings.Builder
			for k := range 8 {
				if k > 0 {
					sb.WriteByte(' ')
				}
				if rng.IntN(4) == 0 {
					sb.WriteString(benchWords[rng.IntN(len(benchWords))])
				} else {
					fmt.Fprintf(&sb, "w%d", rng.IntN(200_000))
				}
			}
			if i%per == 0 && d%1000 == 7 {
				sb.WriteString(" кенгуру")
			}
			if i%per == 1 && d%1000 == 507 {
				sb.WriteString(" zebrafish")
			}
			dir, author := "in", any(nil)
			if i%2 == 1 {
				dir, author = "out", w.admin.ID
			}
			return []any{ids(4, i), w.ws.ID, ids(2, d), ids(3, d), w.chans[d%len(w.chans)].ID, dir, author, sb.String(), base + int64(d)*1e6 + int64(i%per)*1e6, "text"}
		})
	if w.engine == store.Postgres {
		w.db.Exec(`ANALYZE`)
	}
	b.Logf("seeded %d dialogs, %d messages in %v", dialogs, messages, time.Since(t0).Round(time.Second))
	return dialogs, messages
}

// BenchmarkStatsHistorySearch: the dialog history's first page with a
// full-text term, through the handler, over OPENLINES_BENCH_DIALOGS ×
// OPENLINES_BENCH_MESSAGES messages: a rare Russian word, a rare English
// one, a rare word with a line filter, and a common word (target ≤ 200 ms
// over 5,000,000 messages).
func BenchmarkStatsHistorySearch(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		b.Run(engine, func(b *testing.B) {
			w := openBench(b, engine, 4, 1)
			seedHistory(b, w)
			for _, q := range []string{"кенгуру", "zebrafish", "кенгуру&line_id=" + w.lines[1].ID, "заказ", "заказ+доставка"} {
				b.Run(q[:min(len(q), 20)], func(b *testing.B) {
					for b.Loop() {
						w.get(b, "/api/v1/dialogs?limit=50&text="+q)
					}
				})
			}
		})
	}
}

// BenchmarkStatsExportCSV: the CSV export of every dialog
// (OPENLINES_BENCH_DIALOGS), through the handler into a discarding writer;
// rows/s and the most heap in use while it runs, sampled every 5 ms
// (target ≥ 50,000 rows/s, flat memory).
func BenchmarkStatsExportCSV(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		b.Run(engine, func(b *testing.B) {
			w := openBench(b, engine, 4, 1)
			if engine == store.SQLite { // the export reads no full-text rows: seed faster without them
				if _, err := w.db.Exec(`DROP TRIGGER messages_fts_insert`); err != nil {
					b.Fatal(err)
				}
			}
			dialogs, _ := seedHistory(b, w)
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			before := ms.HeapInuse
			var peak atomic.Uint64
			stop := make(chan struct{})
			go func() {
				var m runtime.MemStats
				for {
					select {
					case <-stop:
						return
					case <-time.After(5 * time.Millisecond):
						runtime.ReadMemStats(&m)
						if m.HeapInuse > peak.Load() {
							peak.Store(m.HeapInuse)
						}
					}
				}
			}()
			b.ResetTimer()
			for b.Loop() {
				req := httptest.NewRequest("GET", "/api/v1/dialogs/export", nil)
				req.Header.Set("Authorization", "Bearer "+w.token)
				cw := &countingWriter{header: http.Header{}}
				w.h.ServeHTTP(cw, req)
				if cw.code != http.StatusOK || cw.lines != dialogs+1 {
					b.Fatalf("export: %d, %d lines", cw.code, cw.lines)
				}
			}
			close(stop)
			b.ReportMetric(float64(dialogs)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(peak.Load()-min(peak.Load(), before))/(1<<20), "MiB-heap-growth")
		})
	}
}

// countingWriter is a ResponseWriter that counts the lines it is sent.
type countingWriter struct {
	header http.Header
	code   int
	lines  int
}

func (c *countingWriter) Header() http.Header { return c.header }
func (c *countingWriter) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
}
func (c *countingWriter) Write(p []byte) (int, error) {
	if c.code == 0 {
		c.code = http.StatusOK
	}
	c.lines += bytes.Count(p, []byte("\n")) // a CRLF may straddle two writes
	return len(p), nil
}
func (c *countingWriter) Flush() {}
