package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/user"
	"github.com/openlines/openlines/internal/workspace"
)

// DemoPassword is the password of every demo account.
const DemoPassword = "openlines-demo"

var demoOperators = []struct{ email, name string }{
	{"anna@demo.local", "Anna Smirnova"}, {"boris@demo.local", "Boris Ivanov"}, {"chen@demo.local", "Chen Wei"},
	{"dana@demo.local", "Dana Cohen"}, {"emil@demo.local", "Emil Novak"},
}

var demoLines = []struct{ name, mode string }{
	{"Sales", line.ModeEvenly}, {"Support", line.ModeStrictly}, {"VIP", line.ModeAll},
}

var demoTexts = []string{
	"Hello! Is the blue jacket available in size M?", "Where is my order #4821?", "Can I change the delivery address?",
	"Do you ship to Kazan?", "I was charged twice, please help.", "How do I return an item?", "Thanks, that helped!",
	"Здравствуйте! Когда привезут заказ?", "Можно оплатить картой при получении?", "Is there a discount for a second item?",
}

var demoNames = []string{"Olga", "Mark", "Ivan", "Sofia", "Liam", "Maria", "Noah", "Elena", "Omar", "Yuki", "Petr", "Aisha"}

// demoTokenName names the API token the simulated customers write with.
const demoTokenName = "demo customers"

// demoOnlyAvailable makes a demo line offer dialogs only to operators who
// are online. The five demo operators are accounts, not people: nobody is
// signed in as them, so without it every dialog was offered to an offline
// operator, timed out after queue_time and went to the next one, for ever.
// With it the dialogs wait in the queue until someone signs in as an
// operator and goes online — which is what the newcomer should see. This is
// simpler and more robust than simulated operators (which would have to
// hold a presence heartbeat, take, reply and finish, racing the person who
// signs in as the same operator to try the inbox).
func demoOnlyAvailable(l *line.Line) error {
	l.CheckAvailable = true
	return nil
}

// Demo runs the server on a demo workspace — three lines in the three
// modes, five operators and simulated customers writing through the API
// channel at a gentle pace — so a newcomer sees the product alive.
func Demo(ctx context.Context, cfg Config, out io.Writer, log *slog.Logger, pace time.Duration) error {
	return run(ctx, cfg, out, log, func(ctx context.Context, st *Stack, url string) (string, error) {
		token, channels, err := seedDemo(ctx, st)
		if err != nil {
			return "", fmt.Errorf("demo: %w", err)
		}
		go customers(ctx, log, url, token, channels, pace)
		return fmt.Sprintf("Demo workspace: sign in as admin@demo.local or an operator (%s, …), password %q\n", demoOperators[0].email, DemoPassword), nil
	})
}

// seedDemo creates the demo workspace unless the database has it already,
// and returns an administrator's API token and the channels to write to.
func seedDemo(ctx context.Context, st *Stack) (string, []string, error) {
	s := st.Store
	hash, err := user.HashPassword(DemoPassword)
	if err != nil {
		return "", nil, err
	}
	admin, err := s.UserByEmail(ctx, "admin@demo.local")
	if err != nil {
		ws, err := s.CreateWorkspace(ctx, "Demo company", workspace.Enterprise)
		if err != nil {
			return "", nil, err
		}
		if admin, err = s.CreateUser(ctx, user.User{WorkspaceID: ws.ID, Email: "admin@demo.local", Name: "Demo Admin", Role: user.Administrator,
			Active: true, ServerAdmin: true, PasswordHash: hash}); err != nil {
			return "", nil, err
		}
		var ops []string
		for _, o := range demoOperators {
			u, err := s.CreateUser(ctx, user.User{WorkspaceID: ws.ID, Email: o.email, Name: o.name, Role: user.Manager, Active: true, PasswordHash: hash})
			if err != nil {
				return "", nil, err
			}
			ops = append(ops, u.ID)
		}
		for i, dl := range demoLines {
			set := line.Defaults()
			set.Mode, set.QueueTime, set.Queue = dl.mode, 30, []string{ops[i], ops[(i+1)%len(ops)], ops[(i+2)%len(ops)]}
			set.CheckAvailable = true // see demoOnlyAvailable
			l, err := s.CreateLine(ctx, ws.ID, dl.name, set)
			if err != nil {
				return "", nil, err
			}
			if _, err := s.CreateChannel(ctx, channel.Channel{WorkspaceID: ws.ID, LineID: l.ID, Type: channel.TypeAPI, Name: "Website API"}); err != nil {
				return "", nil, err
			}
		}
	}
	// One token for the simulated customers: the previous run's secret is
	// gone with its process, so its token is replaced rather than piling up.
	toks, err := s.ListAPITokens(ctx, admin.WorkspaceID, admin.ID)
	if err != nil {
		return "", nil, err
	}
	for _, t := range toks {
		if t.Name == demoTokenName {
			if err := s.DeleteAPIToken(ctx, admin.WorkspaceID, admin.ID, t.ID); err != nil {
				return "", nil, err
			}
		}
	}
	secret, hashed, err := user.NewSecret("olt_")
	if err != nil {
		return "", nil, err
	}
	if _, err := s.CreateAPIToken(ctx, admin, demoTokenName, hashed, nil); err != nil {
		return "", nil, err
	}
	lines, err := s.ListLines(ctx, admin.WorkspaceID)
	if err != nil {
		return "", nil, err
	}
	var channels []string
	for _, l := range lines {
		if !l.CheckAvailable { // a demo database seeded before the lines checked availability
			if l, err = s.UpdateLine(ctx, admin.WorkspaceID, l.ID, demoOnlyAvailable); err != nil {
				return "", nil, err
			}
		}
		cs, err := s.ListChannels(ctx, admin.WorkspaceID, l.ID)
		if err != nil {
			return "", nil, err
		}
		for _, c := range cs {
			channels = append(channels, c.ID)
		}
	}
	return secret, channels, nil
}

// customers posts a customer message every pace (±50 %) through the API.
func customers(ctx context.Context, log *slog.Logger, url, token string, channels []string, pace time.Duration) {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 42))
	client := &http.Client{Timeout: 10 * time.Second}
	for n := 0; ; n++ {
		wait := pace/2 + time.Duration(rng.Int64N(int64(pace)+1))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		who := rng.IntN(len(demoNames))
		body, _ := json.Marshal(map[string]any{
			"customer": map[string]string{"external_id": fmt.Sprintf("demo-%d", who), "name": demoNames[who]},
			"message":  map[string]string{"external_id": fmt.Sprintf("demo-%d-%d", time.Now().UnixNano(), n), "text": demoTexts[rng.IntN(len(demoTexts))]},
		})
		req, _ := http.NewRequestWithContext(ctx, "POST", url+"/api/v1/channels/"+channels[rng.IntN(len(channels))]+"/messages", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("demo customer", "error", err)
			}
			continue
		}
		resp.Body.Close()
	}
}
