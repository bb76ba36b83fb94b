package store_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/workspace"
)

// Many customers write at once — follow-ups in open sessions, each sent
// twice concurrently, renamed customers, new customers — so that batches
// mix messages that change nothing (PostgreSQL writes those together) with
// the rest: every message is stored once, a repeat gets the first ids, and
// each dialog holds its messages in order.
func TestConcurrentInboundBatches(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		const customers, perCustomer = 40, 12
		first := map[string]dialog.InboundResult{}
		for c := range customers {
			r, err := f.s.Ingest(ctx, f.inbound(fmt.Sprint("c", c), fmt.Sprint("c", c, "-0"), "hello"))
			if err != nil {
				t.Fatal(err)
			}
			first[fmt.Sprint("c", c)] = r
		}
		type sent struct {
			ext string
			res dialog.InboundResult
		}
		var mu sync.Mutex
		got := map[string][]dialog.InboundResult{}
		var wg sync.WaitGroup
		for c := range customers + 8 { // the last 8 are new customers
			for copy := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for m := 1; m <= perCustomer; m++ {
						in := f.inbound(fmt.Sprint("c", c), fmt.Sprint("c", c, "-", m), fmt.Sprint("message ", m))
						if c%7 == 0 && m == 5 {
							in.Customer.Name = "Renamed " + fmt.Sprint(c, copy)
						}
						r, err := f.s.Ingest(ctx, in)
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						got[in.ExternalID] = append(got[in.ExternalID], r)
						mu.Unlock()
					}
				}()
			}
		}
		wg.Wait()
		for ext, rs := range got {
			if len(rs) != 2 {
				t.Fatalf("%s: %d answers", ext, len(rs))
			}
			a, b := rs[0], rs[1]
			if a.MessageID != b.MessageID || a.DialogID != b.DialogID || a.SessionID != b.SessionID || a.Duplicate == b.Duplicate {
				t.Fatalf("%s sent twice: %+v and %+v; want the same ids, one of them a duplicate", ext, a, b)
			}
		}
		for c := range customers + 8 {
			name := fmt.Sprint("c", c)
			dialogID := got[fmt.Sprint(name, "-1")][0].DialogID
			if r, ok := first[name]; ok && r.DialogID != dialogID {
				t.Fatalf("%s: a second dialog", name)
			}
			ms, err := f.s.ListMessages(ctx, f.ws.ID, dialogID, "", 1000)
			if err != nil {
				t.Fatal(err)
			}
			want := perCustomer
			if _, ok := first[name]; ok {
				want++
			}
			var texts []string
			for _, m := range ms {
				if m.Kind == dialog.KindText && m.Direction == dialog.In {
					texts = append(texts, m.Text)
				}
			}
			if len(texts) != want {
				t.Fatalf("%s: %d customer messages stored, want %d: %v", name, len(texts), want, texts)
			}
		}
	})
}
