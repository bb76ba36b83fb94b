package routing_test

import (
	"strings"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/apperr"
	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/dialog"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/store/storetest"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// Scenario tests of SPEC §4, §6, §7 on every engine, with a controlled clock.

func (e *env) act(session string, op int) store.Action {
	return store.Action{WorkspaceID: e.ws.ID, SessionID: session, UserID: e.ops[op]}
}

// timeline returns the dialog's entries as "kind:text" (events, notes and
// auto-replies included) after the first n.
func (e *env) timeline(session string) []string {
	e.t.Helper()
	ms, err := e.s.ListMessages(ctx, e.ws.ID, e.session(session).DialogID, "", 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Kind+":"+m.Text)
	}
	return out
}

func (e *env) has(session, entry string) bool {
	for _, m := range e.timeline(session) {
		if m == entry {
			return true
		}
	}
	return false
}

func (e *env) count(session, entry string) int {
	n := 0
	for _, m := range e.timeline(session) {
		if m == entry {
			n++
		}
	}
	return n
}

// write sends a customer message into the session's dialog.
func (e *env) write(session, text string) string {
	e.t.Helper()
	d, err := e.s.GetDialog(ctx, e.ws.ID, e.session(session).DialogID)
	if err != nil {
		e.t.Fatal(err)
	}
	e.mu.Lock()
	e.n++
	ext := "w" + string(rune('a'+e.n%26)) + time.Now().Format("150405.000000000")
	e.mu.Unlock()
	r, err := e.s.Ingest(ctx, inboundFor(e, d.Customer.ExternalID, ext, text))
	if err != nil {
		e.t.Fatal(err)
	}
	e.flush()
	return r.SessionID
}

func (e *env) reply(session string, op int, text string) {
	e.t.Helper()
	if _, err := e.s.AddOperatorMessage(ctx, e.ws.ID, e.session(session).DialogID, e.ops[op], text); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) status(session string) string { return e.session(session).Status }

func (e *env) ratingToken(session string) string {
	e.t.Helper()
	ms, _ := e.s.ListMessages(ctx, e.ws.ID, e.session(session).DialogID, "", 1000)
	for _, m := range ms {
		if m.Kind == dialog.KindRatingRequest {
			return m.RatingToken
		}
	}
	e.t.Fatal("no rating request")
	return ""
}

func lifecycle(set func(*line.Settings)) func(*line.Settings) {
	return func(s *line.Settings) {
		queue := s.Queue
		*s = line.Defaults() // every auto-reply and the rating on, as a new line has them
		s.Queue = queue
		if set != nil {
			set(s)
		}
	}
}

func TestLifecycle(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, engine string)
	}{
		{"welcome on open; the no-answer text once when nobody takes it", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 1, lifecycle(func(s *line.Settings) { s.NoAnswerEnabled, s.NoAnswerTime, s.QueueTime = true, 90, 600 }))
			a := e.customer()
			e.flush()
			want(t, "on open", e.timeline(a)[:2], []string{"text:hello", "auto:" + line.Defaults().WelcomeText})
			e.advance(89 * time.Second)
			want(t, "before no_answer_time", e.count(a, "auto:"+line.Defaults().NoAnswerText), 0)
			e.advance(time.Second)
			want(t, "at no_answer_time", e.count(a, "auto:"+line.Defaults().NoAnswerText), 1)
			e.advance(time.Hour)
			want(t, "once", e.count(a, "auto:"+line.Defaults().NoAnswerText), 1)
			b := e.customer()
			e.flush()
			e.take(b, 0)
			e.advance(time.Hour)
			want(t, "not after a take", e.count(b, "auto:"+line.Defaults().NoAnswerText), 0)
		}},
		{"finish with close text and rating, the customer rates, closed after the delay", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 1, lifecycle(nil))
			a := e.customer()
			e.flush()
			e.take(a, 0)
			e.reply(a, 0, "done")
			if err := e.finish(a, 0); err != nil {
				t.Fatal(err)
			}
			tl := e.timeline(a)
			want(t, "texts", tl[len(tl)-2:], []string{"auto:" + line.Defaults().CloseText, "rating_request:" + line.Defaults().RatingText})
			want(t, "closing", e.status(a), "closing")
			if err := e.s.Rate(ctx, e.ratingToken(a), 1, "thanks"); err != nil {
				t.Fatal(err)
			}
			wantCode(t, e.s.Rate(ctx, e.ratingToken(a), 0, ""), apperr.Conflict) // twice
			wantCode(t, e.s.Rate(ctx, "foreign-token", 1, ""), apperr.NotFound)
			ses := e.session(a)
			want(t, "rated, still closing", []any{ses.Status, ses.Rating.Value, ses.Rating.Scale}, []any{"closing", 1, "like"})
			e.advance(599 * time.Second)
			want(t, "before full_close_delay", e.status(a), "closing")
			e.advance(time.Second)
			want(t, "after full_close_delay", e.status(a), "closed")
			e.take(e.customer(), 0) // the operator has room again
		}},
		{"finish without texts closes at once", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 1, lifecycle(func(s *line.Settings) { s.CloseRule, s.RatingEnabled = line.RuleNone, false }))
			a := e.customer()
			e.flush()
			e.take(a, 0)
			e.finish(a, 0)
			want(t, "status", e.status(a), "closed")
			next, ok, _ := e.s.NextDeadline(ctx)
			if ok {
				t.Fatalf("a timer is left: %v", next)
			}
		}},
		{"close as soon as rated; a text reply on the stars scale is a rating", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 1, lifecycle(func(s *line.Settings) { s.CloseOnRating, s.RatingScale = true, line.RatingStars }))
			a := e.customer()
			e.flush()
			e.take(a, 0)
			e.finish(a, 0)
			e.write(a, " 4 ")
			ses := e.session(a)
			want(t, "rated by text and closed", []any{ses.Status, ses.Rating.Value, ses.Rating.Scale}, []any{"closed", 4, "stars"})
			if !e.has(a, "event:Rated by the customer: 4 of 5") {
				t.Fatalf("timeline %v", e.timeline(a))
			}
		}},
		{"a customer message reopens a finishing session; a rating after the window reopens too", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 1, lifecycle(func(s *line.Settings) { s.RatingWindow = 60 }))
			a := e.customer()
			e.flush()
			e.take(a, 0)
			e.finish(a, 0)
			e.write(a, "one more question")
			want(t, "reopened", e.status(a), "in_work")
			if !e.has(a, "event:Reopened: the customer wrote again") {
				t.Fatalf("timeline %v", e.timeline(a))
			}
			e.advance(time.Hour) // the full-close timer was cancelled
			want(t, "still in work", e.status(a), "in_work")
			e.finish(a, 0)
			e.advance(61 * time.Second)
			wantCode(t, e.s.Rate(ctx, e.ratingToken(a), 1, ""), apperr.Conflict)
			e.write(a, "1")
			want(t, "late rating reply reopens", []any{e.status(a), e.session(a).Rating == nil}, []any{"in_work", true})
		}},
		{"auto-close after customer silence following a reply", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 1, lifecycle(func(s *line.Settings) { s.AutoCloseTime = 3600 }))
			a := e.customer()
			e.flush()
			e.take(a, 0)
			e.reply(a, 0, "anything else?")
			e.advance(30 * time.Minute)
			e.write(a, "wait") // the customer answers: the timer stops
			e.advance(2 * time.Hour)
			want(t, "not closed while in work", e.status(a), "in_work")
			e.reply(a, 0, "here you go")
			e.advance(time.Hour)
			want(t, "auto-closed", e.status(a), "closed")
			want(t, "auto-close text", e.count(a, "auto:"+line.Defaults().AutoCloseText), 1)
		}},
		{"auto-close switched off while a session waits: its pending timer closes nothing", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 1, lifecycle(func(s *line.Settings) { s.AutoCloseTime = 3600 }))
			a := e.customer()
			e.flush()
			e.take(a, 0)
			e.reply(a, 0, "anything else?")
			e.setLine(func(s *line.Settings) { s.AutoCloseEnabled = false })
			e.advance(2 * time.Hour)
			want(t, "still waiting", e.status(a), "waiting_client")
			want(t, "no auto-close text", e.count(a, "auto:"+line.Defaults().AutoCloseText), 0)
		}},
		{"spam closes at once without texts; the next message opens a new session", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 1, lifecycle(nil))
			a := e.customer()
			e.flush()
			before := len(e.timeline(a))
			if err := e.s.Spam(ctx, e.act(a, 0)); err != nil {
				t.Fatal(err)
			}
			want(t, "status", e.status(a), "spam")
			want(t, "only the event", e.timeline(a)[before:], []string{"event:Marked as spam"})
			b := e.write(a, "hello again")
			if b == a || e.status(b) != "queued" {
				t.Fatalf("a new session was not opened: %s %s", b, e.status(b))
			}
		}},
		{"off hours in Moscow: flagged, the off-hours text once instead of the welcome", func(t *testing.T, engine string) {
			// t0 is Monday 10:00 UTC = 13:00 in Moscow.
			e := newEnv(t, engine, 1, lifecycle(func(s *line.Settings) {
				s.WorkingHours.Enabled, s.WorkingHours.Timezone = true, "Europe/Moscow"
				s.WorkingHours.Week["mon"] = []line.Interval{{From: "09:00", To: "12:00"}, {From: "14:00", To: "18:00"}}
			}))
			a := e.customer()
			e.flush()
			ses := e.session(a)
			want(t, "flag and text", []any{ses.OffHours, e.timeline(a)[1:2]}, []any{true, []string{"auto:" + line.Defaults().WorkingHours.OffHoursText}})
			want(t, "distributed as usual", e.offeredTo(a), []int{0})
			e.write(a, "still there?")
			want(t, "once per session", e.count(a, "auto:"+line.Defaults().WorkingHours.OffHoursText), 1)
			e.clk.Set(t0.Add(time.Hour)) // 14:00 Moscow
			b := e.customer()
			e.flush()
			want(t, "in hours: welcome, no flag", []any{e.session(b).OffHours, e.timeline(b)[1]}, []any{false, "auto:" + line.Defaults().WelcomeText})
		}},
		{"off hours across the New York daylight-saving switch, and a holiday", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 1, lifecycle(func(s *line.Settings) {
				s.WorkingHours.Enabled, s.WorkingHours.Timezone = true, "America/New_York"
				s.WorkingHours.Holidays = []string{"03-10"}
			}))
			check := func(at string, off bool) {
				t.Helper()
				e.clk.Set(utcTime(at))
				s := e.customer()
				e.flush()
				if got := e.session(s).OffHours; got != off {
					t.Fatalf("at %s: off_hours=%v, want %v", at, got, off)
				}
			}
			check("2026-03-06T13:30:00Z", true)  // Fri 08:30 EST
			check("2026-03-06T14:30:00Z", false) // Fri 09:30 EST
			check("2026-03-09T13:30:00Z", false) // Mon 09:30 EDT: the same UTC hour is now in hours
			check("2026-03-09T22:30:00Z", true)  // Mon 18:30 EDT
			check("2026-03-10T15:00:00Z", true)  // Tue 11:00, a yearly holiday
		}},
		{"a pending timer survives a restart and fires once", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 1, lifecycle(nil))
			a := e.customer()
			e.flush()
			e.take(a, 0)
			e.finish(a, 0)
			e.reopen()
			e.clk.Advance(10 * time.Minute)
			n, err := e.s.RunDue(ctx)
			if err != nil || n != 1 {
				t.Fatalf("fired %d (%v), want 1", n, err)
			}
			e.reopen()
			if n, _ := e.s.RunDue(ctx); n != 0 {
				t.Fatal("fired twice")
			}
			want(t, "closed", e.status(a), "closed")
			want(t, "one close event", e.count(a, "event:Closed"), 1)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { storetest.Run(t, c.run) })
	}
}

func utcTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestOperatorActions(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, engine string)
	}{
		{"transfer an untaken and a taken session to a user: they hold it at once", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 3, nil)
			a := e.customer()
			e.flush()
			want(t, "offered", e.offeredTo(a), []int{0})
			if err := e.s.Transfer(ctx, e.act(a, 0), e.ops[2], ""); err != nil {
				t.Fatal(err)
			}
			ses := e.session(a)
			want(t, "held by op2", []any{*ses.OperatorID == e.ops[2], ses.Status, len(ses.OfferedTo)}, []any{true, "in_work", 0})
			wantCode(t, e.s.Transfer(ctx, e.act(a, 2), e.ops[2], ""), apperr.Conflict)  // same holder
			wantCode(t, e.s.Transfer(ctx, e.act(a, 1), e.ops[0], ""), apperr.Forbidden) // not the holder: a right, not a state (403)
			if err := e.s.Transfer(ctx, e.act(a, 2), e.ops[1], ""); err != nil {
				t.Fatal(err)
			}
			want(t, "held by op1", *e.session(a).OperatorID == e.ops[1], true)
			// Given directly, it stays with op1 even outside the queue.
			e.setLine(func(s *line.Settings) { s.Queue = s.Queue[:1] })
			e.write(a, "hi")
			want(t, "still op1", *e.session(a).OperatorID == e.ops[1], true)
			checkInvariants(t, e, 1000)
		}},
		{"transfer to a deactivated user, a missing user or without a target is refused and changes nothing", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 2, nil)
			a := e.customer()
			e.flush()
			e.take(a, 0)
			e.s.UpdateUser(ctx, e.ws.ID, e.ops[1], func(u *user.User) error { u.Active = false; return nil })
			wantCode(t, e.s.Transfer(ctx, e.act(a, 0), e.ops[1], ""), apperr.Conflict)
			wantCode(t, e.s.Transfer(ctx, e.act(a, 0), "nobody", ""), apperr.NotFound)
			wantCode(t, e.s.Transfer(ctx, e.act(a, 0), "", ""), apperr.Invalid)
			wantCode(t, e.s.Transfer(ctx, e.act(a, 0), e.ops[1], e.ln.ID), apperr.Invalid)
			want(t, "unchanged", *e.session(a).OperatorID == e.ops[0], true)
		}},
		{"transfer to a line whose operators are full: it waits there, then is offered", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 2, func(s *line.Settings) { s.Queue = s.Queue[:1] })
			st := line.Defaults()
			st.Queue, st.LimitEnabled, st.Limit = []string{e.ops[1]}, true, 1
			st.WelcomeEnabled, st.CloseRule, st.RatingEnabled = false, line.RuleNone, false
			other, err := e.s.CreateLine(ctx, e.ws.ID, "Billing", st)
			if err != nil {
				t.Fatal(err)
			}
			och, _ := e.s.CreateChannel(ctx, channel.Channel{WorkspaceID: e.ws.ID, LineID: other.ID, Type: channel.TypeAPI, Name: "api"})
			busy, _ := e.s.Ingest(ctx, dialog.Inbound{WorkspaceID: e.ws.ID, ChannelID: och.ID, LineID: other.ID,
				Customer: dialog.Customer{ExternalID: "x"}, ExternalID: "x1", Text: "hi"})
			e.flush()
			e.take(busy.SessionID, 1) // op1 is at Billing's limit
			a := e.customer()
			e.flush()
			e.take(a, 0)
			if err := e.s.Transfer(ctx, e.act(a, 0), "", other.ID); err != nil {
				t.Fatal(err)
			}
			e.flush()
			ses := e.session(a)
			want(t, "waits on Billing", []any{ses.LineID == other.ID, ses.Status, ses.OperatorID == nil, len(ses.OfferedTo)}, []any{true, "queued", true, 0})
			d, _ := e.s.GetDialog(ctx, e.ws.ID, ses.DialogID)
			want(t, "the dialog follows", d.LineID == other.ID, true)
			e.finish(busy.SessionID, 1)
			e.flush()
			want(t, "offered on Billing", e.offeredTo(a), []int{1})
			checkInvariants(t, e, 1)
		}},
		{"transfer to a line of another workspace is not found", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 1, nil)
			ws2, _ := e.s.CreateWorkspace(ctx, "Other", workspace.Enterprise)
			foreign, _ := e.s.CreateLine(ctx, ws2.ID, "Theirs", line.Defaults())
			a := e.customer()
			e.flush()
			e.take(a, 0)
			wantCode(t, e.s.Transfer(ctx, e.act(a, 0), "", foreign.ID), apperr.NotFound)
			wantCode(t, e.s.Transfer(ctx, e.act(a, 0), "", e.ln.ID), apperr.Conflict) // its own line
			want(t, "unchanged", []any{e.session(a).LineID == e.ln.ID, *e.session(a).OperatorID == e.ops[0]}, []any{true, true})
		}},
		{"intercept, join, pin, note and vote", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 2, nil)
			a := e.customer()
			e.flush()
			wantCode(t, e.s.Intercept(ctx, e.act(a, 1)), apperr.Conflict) // nobody holds it yet
			e.take(a, 0)
			wantCode(t, e.finish(a, 1), apperr.Forbidden) // not the holder, no right (403)
			if err := e.s.Join(ctx, e.act(a, 1)); err != nil {
				t.Fatal(err)
			}
			if err := e.s.Intercept(ctx, e.act(a, 1)); err != nil {
				t.Fatal(err)
			}
			want(t, "op1 holds it", *e.session(a).OperatorID == e.ops[1], true)
			if err := e.s.Pin(ctx, e.act(a, 1), true); err != nil {
				t.Fatal(err)
			}
			e.setLine(func(s *line.Settings) { s.Queue = s.Queue[:1] })
			e.write(a, "are you there?")
			want(t, "pinned: stays with op1", *e.session(a).OperatorID == e.ops[1], true)
			note, err := e.s.AddNote(ctx, e.ws.ID, e.session(a).DialogID, e.ops[1], "VIP customer")
			if err != nil || note.Direction != dialog.System || note.Kind != dialog.KindNote {
				t.Fatalf("note %+v %v", note, err)
			}
			wantCode(t, e.s.Vote(ctx, e.act(a, 0), 6, ""), apperr.Invalid)
			if err := e.s.Vote(ctx, e.act(a, 0), 4, "good"); err != nil {
				t.Fatal(err)
			}
			priv := e.act(a, 0)
			priv.Privileged = true
			if err := e.s.Finish(ctx, priv); err != nil { // the intercept right finishes anyone's session
				t.Fatal(err)
			}
			for _, entry := range []string{"event:op1 joined", "event:Intercepted by op1", "event:Pinned", "note:VIP customer", "event:Supervisor vote: 4 of 5", "event:Finished"} {
				if !e.has(a, entry) {
					t.Fatalf("timeline lacks %q: %v", entry, e.timeline(a))
				}
			}
			for _, m := range e.timeline(a) {
				if strings.HasPrefix(m, "auto:VIP") {
					t.Fatal("a note was sent to the customer")
				}
			}
		}},
		{"forward search finds lines and users by part of the name, in any case and script", func(t *testing.T, engine string) {
			e := newEnv(t, engine, 1, nil)
			e.s.CreateLine(ctx, e.ws.ID, "Отдел продаж", line.Defaults())
			e.s.CreateUser(ctx, user.User{WorkspaceID: e.ws.ID, Email: "olga@acme.io", Name: "Ольга Петрова", Role: user.Manager, Active: true, PasswordHash: "x"})
			lines, users, err := e.s.TransferTargets(ctx, e.ws.ID, "ПРОД", nil)
			if err != nil || len(lines) != 1 || lines[0].Name != "Отдел продаж" || len(users) != 0 {
				t.Fatalf("lines %v users %v %v", lines, users, err)
			}
			_, users, _ = e.s.TransferTargets(ctx, e.ws.ID, "ольга", nil)
			want(t, "users", len(users), 1)
			lines, _, _ = e.s.TransferTargets(ctx, e.ws.ID, "supp", nil)
			want(t, "Support", len(lines), 1)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { storetest.Run(t, c.run) })
	}
}
