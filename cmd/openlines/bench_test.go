package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openlines/openlines/internal/app"
	"github.com/openlines/openlines/internal/loadgen"
	"github.com/openlines/openlines/internal/workspace"
)

// TestBenchCommand runs `openlines bench conversations --json` against a
// server in this process and reads its JSON.
func TestBenchCommand(t *testing.T) {
	ctx := context.Background()
	stack, err := app.Start(ctx, filepath.Join(t.TempDir(), "bench.db"), app.StackOptions{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(stack.Handler)
	defer func() { srv.Close(); stack.Close() }()
	if _, _, _, err := app.Bootstrap(ctx, stack.Store, app.Config{AdminEmail: "admin@bench.test", AdminPassword: "bench-password", Plan: workspace.Enterprise}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OPENLINES_BENCH_PASSWORD", "bench-password") // the password from the environment
	var stdout, stderr bytes.Buffer
	err = run(ctx, []string{"bench", "conversations", "--url", srv.URL, "--email", "admin@bench.test", "--count", "50", "--connections", "4", "--no-baseline", "--json"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var res loadgen.Result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, stdout.String())
	}
	if res.Scenario != "conversations" || len(res.Throughput) != 1 || res.Throughput[0].Count != 50 || res.Errors.Total() != 0 {
		t.Errorf("result: %+v", res)
	}
	if !strings.Contains(stderr.String(), "cleaning up") {
		t.Errorf("no progress on stderr:\n%s", stderr.String())
	}
}

func TestBenchUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bench"}, "no scenario"},
		{[]string{"bench", "flood", "--token", "t"}, "not one of"},
		{[]string{"bench", "messages"}, "password, or an API token"},
		{[]string{"bench", "messages", "--token", "t", "--rate", "fast"}, "not a rate"},
		{[]string{"bench", "messages", "--token", "t", "--scenario", "backlog"}, "given twice"},
		{[]string{"bench", "--scenario", "backlog", "--token", "t", "--sessions", "5000", "--operators", "2"}, "at most 1000"},
		{[]string{"bench", "messages", "--token", "t", "--url", "ftp://host"}, "not a server address"},
	} {
		var out bytes.Buffer
		err := run(context.Background(), tc.args, &out, &out)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error()+out.String(), tc.want) {
			t.Errorf("%v: %v, want exit 2 about %q", tc.args, err, tc.want)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"bench", "-h"}, &out, &out); !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "Scenarios:") {
		t.Errorf("bench -h: %v\n%s", err, out.String())
	}
}
