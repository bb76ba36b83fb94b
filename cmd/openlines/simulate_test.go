package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"strings"
	"testing"
)

func TestSimulateJSON(t *testing.T) {
	var out, errb bytes.Buffer
	args := []string{"--operators", "10", "--arrival-rate", "8", "--service-rate", "1", "--sessions", "200000", "--seed", "3", "--json"}
	if err := simulate(context.Background(), args, &out, &errb); err != nil {
		t.Fatalf("simulate: %v\n%s", err, errb.String())
	}
	var r map[string]any
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	for _, k := range []string{"sessions", "p_wait", "mean_wait_seconds", "p90_wait_seconds", "mean_wait_of_waiting_seconds",
		"utilization", "offers", "erlang_c_p_wait", "erlang_c_mean_wait_seconds", "elapsed_virtual_seconds"} {
		if _, ok := r[k]; !ok {
			t.Errorf("JSON lacks %q:\n%s", k, out.String())
		}
	}
	num := func(k string) float64 { v, _ := r[k].(float64); return v }
	if num("sessions") != 200000 {
		t.Errorf("sessions = %v, want 200000", r["sessions"])
	}
	// 200,000 sessions at ρ = 0.8: within 10% of Erlang C.
	for _, pair := range [][2]string{{"p_wait", "erlang_c_p_wait"}, {"mean_wait_seconds", "erlang_c_mean_wait_seconds"}} {
		if got, want := num(pair[0]), num(pair[1]); !(want > 0) || math.Abs(got/want-1) > 0.1 {
			t.Errorf("%s = %v, %s = %v: want within 10%%", pair[0], got, pair[1], want)
		}
	}
	if errb.Len() != 0 {
		t.Errorf("stderr: %s", errb.String())
	}

	// The same seed prints the same result; the environment twins work.
	t.Setenv("OPENLINES_SIMULATE_ARRIVAL_RATE", "8")
	t.Setenv("OPENLINES_SIMULATE_SEED", "3")
	var again bytes.Buffer
	if err := simulate(context.Background(), []string{"--operators=10", "--service-rate=1", "--sessions=200000", "--json"}, &again, &errb); err != nil {
		t.Fatal(err)
	}
	if again.String() != out.String() {
		t.Errorf("same flags through the environment, different output:\n%s\n%s", out.String(), again.String())
	}
}

func TestSimulateOverloadedJSON(t *testing.T) {
	var out, errb bytes.Buffer
	args := []string{"--operators", "2", "--arrival-rate", "3", "--service-rate", "1", "--sessions", "5000", "--json"}
	if err := simulate(context.Background(), args, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if v, ok := r["erlang_c_p_wait"]; !ok || v != nil {
		t.Errorf("erlang_c_p_wait = %v (present %v), want null when λ ≥ Nμ", v, ok)
	}
	if !strings.Contains(errb.String(), "grows without bound") {
		t.Errorf("no overload warning on stderr: %q", errb.String())
	}
}

func TestSimulateText(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--arrival-rate", "0.04", "--service-rate", "0.01", "--sessions", "20000"},
			[]string{"P(wait)", "mean wait", "p90 wait", "utilization", "Erlang C", "load 80.0%"}},
		{[]string{"--mode", "strictly", "--operators", "3", "--limit", "2", "--arrival-rate", "0.05", "--service-rate", "0.01", "--take-probability", "0.8", "--queue-time", "30", "--sessions", "20000"},
			[]string{"mode strictly", "limit 2", "queue_time 30 s", "As 6 single-session places, Erlang C"}},
		{[]string{"--mode", "all", "--operators", "2", "--arrival-rate", "1", "--service-rate", "0.5", "--sessions", "2000"},
			[]string{"mode all", "grows without bound"}},
	} {
		var out, errb bytes.Buffer
		if err := simulate(context.Background(), tc.args, &out, &errb); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v: output lacks %q:\n%s", tc.args, w, out.String())
			}
		}
	}
}

func TestSimulateBadFlags(t *testing.T) {
	ok := []string{"--arrival-rate", "1", "--service-rate", "1", "--sessions", "10"}
	for _, tc := range []struct {
		args []string
		flag string // named in the message
	}{
		{[]string{"--service-rate", "1"}, "--arrival-rate"},
		{[]string{"--arrival-rate", "1"}, "--service-rate"},
		{append(ok, "--arrival-rate", "-2"), "--arrival-rate"},
		{append(ok, "--arrival-rate", "NaN"), "--arrival-rate"},
		{append(ok, "--mode", "random"), "--mode"},
		{append(ok, "--operators", "0"), "--operators"},
		{append(ok, "--limit", "1001"), "--limit"},
		{append(ok, "--queue-time", "0"), "--queue-time"},
		{append(ok, "--queue-time", "43201"), "--queue-time"},
		{append(ok, "--take-probability", "0"), "--take-probability"},
		{append(ok, "--take-probability", "1.01"), "--take-probability"},
		{append(ok, "--sessions", "0"), "--sessions"},
		{append(ok, "--sessions", "100000001"), "--sessions"},
		{append(ok, "--seed", "-1"), "seed"},
		{append(ok, "--operators", "many"), "operators"},
		{append(ok, "extra"), "extra"},
	} {
		var out, errb bytes.Buffer
		err := simulate(context.Background(), tc.args, &out, &errb)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 {
			t.Errorf("%v: err = %v, want an exit code 2 error", tc.args, err)
			continue
		}
		if msg := err.Error() + errb.String(); !strings.Contains(msg, tc.flag) {
			t.Errorf("%v: message %q does not name %s", tc.args, err, tc.flag)
		}
		if out.Len() != 0 {
			t.Errorf("%v: printed a result: %s", tc.args, out.String())
		}
	}
	t.Setenv("OPENLINES_SIMULATE_LIMIT", "0")
	err := simulate(context.Background(), ok, new(bytes.Buffer), new(bytes.Buffer))
	if ee := (*exitError)(nil); !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), "--limit") {
		t.Errorf("OPENLINES_SIMULATE_LIMIT=0: err = %v, want an exit code 2 error naming --limit", err)
	}
	if err := simulate(context.Background(), []string{"-h"}, new(bytes.Buffer), new(bytes.Buffer)); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v, want flag.ErrHelp", err)
	}
}

func TestSimulateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := simulate(ctx, []string{"--arrival-rate", "1", "--service-rate", "1", "--sessions", "100000000"}, new(bytes.Buffer), new(bytes.Buffer))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: %v, want context.Canceled", err)
	}
}
