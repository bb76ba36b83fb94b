package store_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/quickanswer"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// sections makes the workspace's default sections in locale and returns
// them by name.
func sections(t testing.TB, s *store.Store, wsID, locale string) map[string]quickanswer.Section {
	t.Helper()
	if err := s.EnsureSections(ctx, wsID, locale); err != nil {
		t.Fatal(err)
	}
	ss, err := s.ListSections(ctx, wsID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]quickanswer.Section{}
	for _, sec := range ss {
		out[sec.Name] = sec
	}
	return out
}

func newAnswer(t *testing.T, s *store.Store, wsID string, a quickanswer.Answer) quickanswer.Answer {
	t.Helper()
	got, created, err := s.CreateAnswer(ctx, wsID, a)
	if err != nil || !created {
		t.Fatalf("create %q: created=%v %v", a.Text, created, err)
	}
	return got
}

func TestQuickSectionsDefaults(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		ru := sections(t, f.s, f.ws.ID, "ru")
		ss, _ := f.s.ListSections(ctx, f.ws.ID)
		var names []string
		for _, sec := range ss {
			names = append(names, sec.Name)
		}
		if !slices.Equal(names, []string{"Приветствие", "Оплата", "Доставка", "Общие"}) {
			t.Errorf("ru sections: %v", names)
		}
		// Made once: another caller's language changes nothing, nor does
		// deleting them all.
		if got := sections(t, f.s, f.ws.ID, "en"); len(got) != 4 || got["Greeting"].ID != "" {
			t.Errorf("second call: %v", got)
		}
		for _, sec := range ru {
			if err := f.s.DeleteSection(ctx, f.ws.ID, sec.ID, ""); err != nil {
				t.Fatal(err)
			}
		}
		if got := sections(t, f.s, f.ws.ID, "en"); len(got) != 0 {
			t.Errorf("sections came back: %v", got)
		}
		ws2, _ := f.s.CreateWorkspace(ctx, "Beta", workspace.Free)
		if en := sections(t, f.s, ws2.ID, "en"); en["Greeting"].ID == "" || en["Common"].Position != 3 {
			t.Errorf("en sections: %v", en)
		}
	})
}

func TestQuickSectionsRenameDelete(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		sec := sections(t, f.s, f.ws.ID, "en")
		name := "Hello"
		got, err := f.s.UpdateSection(ctx, f.ws.ID, sec["Greeting"].ID, &name, nil)
		if err != nil || got.Name != "Hello" {
			t.Fatalf("rename: %v %v", got, err)
		}
		taken := "Payment"
		if _, err := f.s.UpdateSection(ctx, f.ws.ID, sec["Greeting"].ID, &taken, nil); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("rename onto another's name: %v", err)
		}
		if _, err := f.s.CreateSection(ctx, f.ws.ID, " Delivery "); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("a second Delivery: %v", err)
		}
		extra, err := f.s.CreateSection(ctx, f.ws.ID, "Returns")
		if err != nil || extra.Position != 4 {
			t.Fatalf("create: %v %v", extra, err)
		}
		a := newAnswer(t, f.s, f.ws.ID, quickanswer.Answer{SectionID: sec["Payment"].ID, Text: "We take cards"})
		if err := f.s.DeleteSection(ctx, f.ws.ID, sec["Payment"].ID, ""); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("delete a section with answers: %v", err)
		}
		if err := f.s.DeleteSection(ctx, f.ws.ID, sec["Payment"].ID, sec["Payment"].ID); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("move to itself: %v", err)
		}
		if err := f.s.DeleteSection(ctx, f.ws.ID, sec["Payment"].ID, extra.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.s.GetAnswer(ctx, f.ws.ID, a.ID); got.SectionID != extra.ID {
			t.Errorf("answer not moved: %v", got.SectionID)
		}
		ws2, _ := f.s.CreateWorkspace(ctx, "Beta", workspace.Free)
		if err := f.s.DeleteSection(ctx, ws2.ID, extra.ID, ""); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("another workspace's section: %v", err)
		}
	})
}

func TestQuickAnswersCRUD(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		sec := sections(t, f.s, f.ws.ID, "en")
		op, _ := f.s.CreateUser(ctx, user.User{WorkspaceID: f.ws.ID, Email: "op@x.io", Name: "Op", Role: user.Administrator, Active: true, PasswordHash: "h"})
		actx := store.WithActor(ctx, store.Actor{ID: op.ID, Name: op.Name})
		long := strings.Repeat("Thank you for waiting. ", 10)
		a, created, err := f.s.CreateAnswer(actx, f.ws.ID, quickanswer.Answer{SectionID: sec["Common"].ID, Text: long})
		if err != nil || !created {
			t.Fatal(created, err)
		}
		if a.Title != quickanswer.AutoTitle(long) || len([]rune(a.Title)) > 100 || a.CreatedBy == nil || *a.CreatedBy != op.ID || a.Usage != 0 {
			t.Errorf("created: %+v", a)
		}
		got, err := f.s.GetAnswer(ctx, f.ws.ID, a.ID)
		if err != nil || got.Text != a.Text || !got.CreatedAt.Equal(a.CreatedAt) || len(got.LineIDs) != 0 {
			t.Errorf("get: %+v %v", got, err)
		}
		// The automatic title follows a new text; a title given stays.
		up, err := f.s.UpdateAnswer(actx, f.ws.ID, a.ID, func(x *quickanswer.Answer) error { x.Text = "Short now"; return nil })
		if err != nil || up.Title != "Short now" || up.UpdatedBy == nil {
			t.Fatalf("update: %+v %v", up, err)
		}
		up, err = f.s.UpdateAnswer(ctx, f.ws.ID, a.ID, func(x *quickanswer.Answer) error { x.Title = "Wait"; return nil })
		if err != nil || up.Title != "Wait" {
			t.Fatal(up, err)
		}
		up, err = f.s.UpdateAnswer(ctx, f.ws.ID, a.ID, func(x *quickanswer.Answer) error { x.Text = "Other text"; return nil })
		if err != nil || up.Title != "Wait" || up.Text != "Other text" {
			t.Fatal(up, err)
		}
		if n, err := f.s.UseAnswer(ctx, f.ws.ID, a.ID); err != nil || n != 1 {
			t.Errorf("use: %d %v", n, err)
		}
		if err := f.s.DeleteAnswer(ctx, f.ws.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.GetAnswer(ctx, f.ws.ID, a.ID); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("deleted answer: %v", err)
		}
		if _, err := f.s.UseAnswer(ctx, f.ws.ID, a.ID); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("use of a deleted answer: %v", err)
		}
		// Another workspace sees nothing and cannot file into our section.
		ws2, _ := f.s.CreateWorkspace(ctx, "Beta", workspace.Free)
		b := newAnswer(t, f.s, f.ws.ID, quickanswer.Answer{SectionID: sec["Common"].ID, Text: "Ours"})
		if _, err := f.s.GetAnswer(ctx, ws2.ID, b.ID); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("foreign get: %v", err)
		}
		if _, _, err := f.s.CreateAnswer(ctx, ws2.ID, quickanswer.Answer{SectionID: sec["Common"].ID, Text: "x"}); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("foreign section: %v", err)
		}
	})
}

// TestQuickAnswersBadInput: the same clear refusal on both engines, and
// nothing written.
func TestQuickAnswersBadInput(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		sec := sections(t, f.s, f.ws.ID, "en")["Common"].ID
		for name, c := range map[string]struct{ text, title, field string }{
			"nul":          {"a\x00b", "", "text"},
			"invalid utf8": {"a\xc3\x28", "", "text"},
			"oversized":    {strings.Repeat("ю", quickanswer.MaxText+1), "", "text"},
			"blank":        {" \r\n ", "", "text"},
			"title nul":    {"fine", "t\x00", "title"},
		} {
			_, _, err := f.s.CreateAnswer(ctx, f.ws.ID, quickanswer.Answer{SectionID: sec, Text: c.text, Title: c.title})
			var ae *apperr.Error
			if apperr.CodeOf(err) != apperr.Invalid || !errors.As(err, &ae) || ae.Field != c.field {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := f.s.CreateSection(ctx, f.ws.ID, "bad\x00name"); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("section name with NUL: %v", err)
		}
		if p, _ := f.s.SearchAnswers(ctx, f.ws.ID, quickanswer.Filter{AllLines: true}); len(p.Answers) != 0 {
			t.Errorf("something was written: %v", p.Answers)
		}
		if _, err := f.s.SearchAnswers(ctx, f.ws.ID, quickanswer.Filter{AllLines: true, Cursor: "bm90IGEgY3Vyc29y"}); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("forged cursor: %v", err)
		}
	})
}

func TestQuickAnswersSearch(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		sec := sections(t, f.s, f.ws.ID, "ru")
		ln2, err := f.s.CreateLine(ctx, f.ws.ID, "Sales", quiet())
		if err != nil {
			t.Fatal(err)
		}
		pay, del := sec["Оплата"].ID, sec["Доставка"].ID
		mk := func(section, title, text string, uses int, lines ...string) string {
			a := newAnswer(t, f.s, f.ws.ID, quickanswer.Answer{SectionID: section, Title: title, Text: text, LineIDs: lines})
			for range uses {
				if _, err := f.s.UseAnswer(ctx, f.ws.ID, a.ID); err != nil {
					t.Fatal(err)
				}
			}
			return a.Title
		}
		mk(del, "Сроки доставки", "Доставим ЗАВТРА курьером", 5)
		mk(del, "Самовывоз", "Ёлки забирайте сами со склада", 9)
		mk(pay, "Card", "We accept Visa and MasterCard; café payments too", 2)
		mk(pay, "Счёт", "Выставим счёт на оплату", 7, f.ln.ID)
		mk(del, "Sales only", "Доставка для отдела продаж", 1, ln2.ID)
		find := func(fl quickanswer.Filter) []string {
			t.Helper()
			p, err := f.s.SearchAnswers(ctx, f.ws.ID, fl)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range p.Answers {
				got = append(got, a.Title)
			}
			return got
		}
		all := quickanswer.Filter{AllLines: true}
		for _, c := range []struct {
			q    string
			want []string
		}{
			{"", []string{"Самовывоз", "Счёт", "Сроки доставки", "Card", "Sales only"}}, // most used first
			{"доставк", []string{"Сроки доставки", "Sales only"}},                       // title or text
			{"ДОСТАВ", []string{"Сроки доставки", "Sales only"}},                        // Cyrillic, any case
			{"завтра", []string{"Сроки доставки"}},
			{"елки", []string{"Самовывоз"}}, // ё as е
			{"ЁЛКИ", []string{"Самовывоз"}},
			{"ёл", []string{"Самовывоз", "Sales only"}},                  // shorter than a trigram: "ёлки", "отдела"
			{"к", []string{"Самовывоз", "Сроки доставки", "Sales only"}}, // Cyrillic к, not Latin k
			{"сами со", []string{"Самовывоз"}},
			{"счет", []string{"Счёт"}},
			{"cafe", []string{"Card"}}, // accents dropped
			{"CAFÉ", []string{"Card"}},
			{"visa and", []string{"Card"}}, // a substring, spaces included
			{"%", nil},
			{"ничего", nil},
		} {
			fl := all
			fl.Query = c.q
			if got := find(fl); !slices.Equal(got, c.want) {
				t.Errorf("q=%q: %v, want %v", c.q, got, c.want)
			}
			// Through the trigram index alone, and among the most used alone;
			// a term shorter than a trigram is looked for among the most used
			// only (none here).
			restore := store.SetUsageScan(0)
			wantIdx := c.want
			if n := utf8.RuneCountInString(c.q); n > 0 && n < 3 {
				wantIdx = nil
			}
			if got := find(fl); !slices.Equal(got, wantIdx) {
				t.Errorf("q=%q by the index: %v, want %v", c.q, got, wantIdx)
			}
			restore()
			if fl.Limit = 1; len(c.want) > 1 {
				if got := find(fl); !slices.Equal(got, c.want[:1]) {
					t.Errorf("q=%q, one: %v, want %v", c.q, got, c.want[:1])
				}
			}
		}
		if got := find(quickanswer.Filter{AllLines: true, SectionID: pay}); !slices.Equal(got, []string{"Счёт", "Card"}) {
			t.Errorf("section: %v", got)
		}
		if got := find(quickanswer.Filter{AllLines: true, SectionID: del, Query: "ёлки"}); !slices.Equal(got, []string{"Самовывоз"}) {
			t.Errorf("section + q: %v", got)
		}
		// Line sharing: the first line sees its own and the shared ones;
		// no line sees the shared ones only.
		if got := find(quickanswer.Filter{Lines: []string{f.ln.ID}}); !slices.Equal(got, []string{"Самовывоз", "Счёт", "Сроки доставки", "Card"}) {
			t.Errorf("line 1: %v", got)
		}
		if got := find(quickanswer.Filter{Lines: []string{ln2.ID}, Query: "доставк"}); !slices.Equal(got, []string{"Сроки доставки", "Sales only"}) {
			t.Errorf("line 2: %v", got)
		}
		if got := find(quickanswer.Filter{}); !slices.Equal(got, []string{"Самовывоз", "Сроки доставки", "Card"}) {
			t.Errorf("no line: %v", got)
		}
		// Paging: two at a time, nothing twice, nothing lost.
		var paged []string
		fl := quickanswer.Filter{AllLines: true, Limit: 2}
		for i := 0; i < 5; i++ {
			p, err := f.s.SearchAnswers(ctx, f.ws.ID, fl)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range p.Answers {
				paged = append(paged, a.Title)
			}
			if p.NextCursor == "" {
				break
			}
			fl.Cursor = p.NextCursor
		}
		if !slices.Equal(paged, find(all)) {
			t.Errorf("paged: %v", paged)
		}
		// Deleting a line drops its sharing: the answer shared with it only
		// is left to editors (every line of none).
		if err := f.s.DeleteLine(ctx, f.ws.ID, ln2.ID, func(line.Line) error { return nil }); err != nil {
			t.Fatal(err)
		}
		p, _ := f.s.SearchAnswers(ctx, f.ws.ID, quickanswer.Filter{AllLines: true, Query: "продаж"})
		if len(p.Answers) != 1 || len(p.Answers[0].LineIDs) != 0 {
			t.Errorf("after the line's deletion: %+v", p.Answers)
		}
	})
}

// TestQuickAnswersDedup: identical text is never saved twice; a message
// saved again updates the answer saved from it.
func TestQuickAnswersDedup(t *testing.T) {
	storetest.Run(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine, workspace.Enterprise)
		sec := sections(t, f.s, f.ws.ID, "en")
		first := newAnswer(t, f.s, f.ws.ID, quickanswer.Answer{SectionID: sec["Greeting"].ID, Text: "Hello! How can I help?"})
		again, created, err := f.s.CreateAnswer(ctx, f.ws.ID, quickanswer.Answer{SectionID: sec["Common"].ID, Text: "  Hello! How can I help?\r\n", Title: "Other"})
		if err != nil || created || again.ID != first.ID || again.Title != first.Title {
			t.Errorf("identical text: created=%v %+v %v", created, again, err)
		}
		second := newAnswer(t, f.s, f.ws.ID, quickanswer.Answer{SectionID: sec["Greeting"].ID, Text: "hello! how can i help?"}) // case differs: another text
		if _, err := f.s.UpdateAnswer(ctx, f.ws.ID, second.ID, func(a *quickanswer.Answer) error { a.Text = "Hello! How can I help?"; return nil }); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("update onto another's text: %v", err)
		}

		op, _ := f.s.CreateUser(ctx, user.User{WorkspaceID: f.ws.ID, Email: "op@x.io", Name: "Op", Role: user.Manager, Active: true, PasswordHash: "h"})
		res, err := f.s.Ingest(ctx, f.inbound("c1", "m1", "where is my order?"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := f.s.AddOperatorReply(ctx, f.ws.ID, res.DialogID, store.Writer{UserID: op.ID, MayIntercept: true}, "Your order ships today.")
		if err != nil {
			t.Fatal(err)
		}
		saved, created, err := f.s.SaveMessage(ctx, f.ws.ID, m.ID, sec["Delivery"].ID, "")
		if err != nil || !created || saved.Text != m.Text || saved.SourceMessageID == nil || *saved.SourceMessageID != m.ID {
			t.Fatalf("save: created=%v %+v %v", created, saved, err)
		}
		// Edited, then saved again: the same answer, as the message has it,
		// in the section and with the title chosen this time.
		f.s.UpdateAnswer(ctx, f.ws.ID, saved.ID, func(a *quickanswer.Answer) error { a.Text = "edited"; return nil })
		re, created, err := f.s.SaveMessage(ctx, f.ws.ID, m.ID, sec["Common"].ID, "Ships today")
		if err != nil || created || re.ID != saved.ID || re.Text != m.Text || re.SectionID != sec["Common"].ID || re.Title != "Ships today" {
			t.Errorf("save again: created=%v %+v %v", created, re, err)
		}
		// A message whose text an answer has: that answer, no new one.
		m2, _ := f.s.AddOperatorReply(ctx, f.ws.ID, res.DialogID, store.Writer{UserID: op.ID}, "Hello! How can I help?")
		dup, created, err := f.s.SaveMessage(ctx, f.ws.ID, m2.ID, sec["Common"].ID, "")
		if err != nil || created || dup.ID != first.ID {
			t.Errorf("message with an answer's text: created=%v %+v %v", created, dup, err)
		}
		// A customer's message is not an operator's.
		in, _ := f.s.ListMessages(ctx, f.ws.ID, res.DialogID, "", 10)
		for _, msg := range in {
			if msg.Direction == "in" {
				if _, _, err := f.s.SaveMessage(ctx, f.ws.ID, msg.ID, sec["Common"].ID, ""); apperr.CodeOf(err) != apperr.Invalid {
					t.Errorf("customer message saved: %v", err)
				}
			}
		}
		ws2, _ := f.s.CreateWorkspace(ctx, "Beta", workspace.Free)
		if _, _, err := f.s.SaveMessage(ctx, ws2.ID, m.ID, sec["Common"].ID, ""); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("another workspace's message: %v", err)
		}
		if d, err := f.s.MessageDialog(ctx, f.ws.ID, m.ID); err != nil || d != res.DialogID {
			t.Errorf("message dialog: %q %v", d, err)
		}
		p, _ := f.s.SearchAnswers(ctx, f.ws.ID, quickanswer.Filter{AllLines: true})
		if len(p.Answers) != 3 {
			t.Errorf("answers: %d, want 3", len(p.Answers))
		}
	})
}
