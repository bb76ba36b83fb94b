package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/openlines/openlines/internal/loadgen"
)

const benchUsage = `Usage: openlines bench <scenario> [flags]
       openlines bench --scenario <scenario> [flags]

Drives a running OpenLines server through its public interfaces (HTTP under
/api/v1, the operators' WebSocket, the widget's /widget/v1 and its socket) and
prints throughput, latency percentiles (p50/p90/p99/max), errors by HTTP status,
and the server's memory when it runs on this machine. Every run creates its own line, channel and operators
(signed in as an administrator) and removes them afterwards, so runs are
repeatable. In the same run it drives a bare net/http handler on 127.0.0.1 flat
out with the same client and connections for as long, and reports every
throughput figure also as a ratio to that baseline (--no-baseline skips it).

Scenarios:
  messages       customer messages (unique external ids) to POST
                 /api/v1/channels/{id}/messages from --customers customers whose
                 dialogs a warm-up creates first; flat out on --connections, or
                 at --rate
  conversations  every message from a new customer: a new dialog and session each
  backlog        --sessions waiting sessions on a line whose --operators are
                 offline; then they all go online (PUT /api/v1/me/status) and the
                 backlog is offered, each operator up to an equal share: offers/s
                 until all are offered (seen on a WebSocket as session.offered),
                 and the latency of status changes while it drains
  sockets        --sockets idle operator WebSockets (cookie sign-in, the server's
                 Origin) over --operators accounts, held open for --hold: server
                 RSS before and after, and per socket (no throughput figure,
                 so no baseline)
  latency        --operators operator screens (WebSockets) open, customers of
                 --customers dialogs write at --rate (default 1000/s): time from
                 sending the request, and from its acknowledgement, to the
                 message.created event on each screen
  widget-sockets --sockets idle web-chat visitors' WebSockets on a widget channel
                 (each visitor created through /widget/v1, hello, ready), held
                 open for --hold: server RSS before and after, and per socket
  widget-latency --customers widget visitors, each with a dialog taken by one of
                 --operators operators; the operators reply at --rate (default
                 1000/s): time to the message on the visitor's socket; then the
                 visitors write at --rate: time to each operator's screen

Widget visitors are limited per client address by the server (20 new a minute,
200 messages in 10 s); on a loopback URL the run spreads its visitors over
addresses of 127.0.0.0/8, 10 on each, as many people on as many addresses.

The run stops after --count requests or --duration, whichever comes first
(with --count alone, after at most an hour).

Examples:
  openlines bench messages --url http://127.0.0.1:8080 --email admin@localhost --password … --duration 30s
  openlines bench conversations --rate 2000/s --count 50000 --json
  openlines bench backlog --sessions 10000 --operators 100
  openlines bench sockets --sockets 10000 --hold 30s
  openlines bench latency --rate 1000/s --customers 100 --operators 10 --duration 20s
  openlines bench widget-sockets --sockets 10000 --hold 30s
  openlines bench widget-latency --rate 1000/s --duration 20s

Flags:
`

// rateFlag takes "1000" or "1000/s".
type rateFlag float64

func (r *rateFlag) String() string { return strconv.FormatFloat(float64(*r), 'g', -1, 64) }

func (r *rateFlag) Set(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "/s"), 64)
	if err != nil || v < 0 {
		return fmt.Errorf("%q is not a rate such as 1000/s", s)
	}
	*r = rateFlag(v)
	return nil
}

func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	var cfg loadgen.Config
	var rate rateFlag
	fs.StringVar(&cfg.Scenario, "scenario", "", "scenario: "+strings.Join(loadgen.ScenarioNames, ", ")+" (or give it as the first word)")
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "the server's address")
	fs.StringVar(&cfg.Email, "email", "", "an administrator's e-mail")
	fs.StringVar(&cfg.Password, "password", "", "the administrator's password (better in the environment than on the command line)")
	fs.StringVar(&cfg.Token, "token", "", "an administrator's API token (olt_…), instead of e-mail and password")
	fs.IntVar(&cfg.Connections, "connections", 32, fmt.Sprintf("concurrent HTTP connections, one sender each, 1..%d", loadgen.MaxConnections))
	fs.Var(&rate, "rate", "requests per second in total, e.g. 1000/s; 0: flat out (latency: default 1000/s)")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long to send")
	fs.IntVar(&cfg.Count, "count", 0, "stop after this many requests (0: only --duration)")
	fs.IntVar(&cfg.Customers, "customers", 0, "messages: customers (dialogs) the warm-up creates [1000]; latency: dialogs [100]; widget-latency: visitors, each with a dialog [max(100, 0.6 × rate)]")
	fs.IntVar(&cfg.Sessions, "sessions", 1000, "backlog: waiting sessions")
	fs.IntVar(&cfg.Operators, "operators", 10, "backlog, latency: operators (screens); sockets: accounts the sockets are spread over; widget-latency: operators who take the dialogs")
	fs.StringVar(&cfg.OperatorRole, "operator-role", "director", "the operators' role: director (every screen sees every dialog) or manager (only its own)")
	fs.IntVar(&cfg.Sockets, "sockets", 1000, fmt.Sprintf("sockets, widget-sockets: WebSockets to hold open, 1..%d", loadgen.MaxSockets))
	fs.DurationVar(&cfg.Hold, "hold", 10*time.Second, "sockets: how long to hold them open")
	fs.DurationVar(&cfg.Timeout, "timeout", 30*time.Second, "per request, and how long to wait for events and for a backlog to drain")
	fs.BoolVar(&cfg.NoBaseline, "no-baseline", false, "skip the bare net/http baseline")
	fs.IntVar(&cfg.PID, "pid", 0, "the server's process id for its memory (default: the local process listening on the URL's port)")
	fs.BoolVar(&cfg.SetupOnly, "setup-only", false, "create the scenario's line, channel and operators, print them (with the operators' password) and stop; nothing is removed")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the line, its dialogs and the operators after the run")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	word := "" // the scenario as the first word
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		word, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if word != "" {
		// The word wins over the environment, not over a different --scenario.
		if cfg.Scenario != "" && cfg.Scenario != word && os.Getenv(envName(fs.Name(), "scenario")) != cfg.Scenario {
			return usageErr("scenario given twice: %q and --scenario %q", word, cfg.Scenario)
		}
		cfg.Scenario = word
	}
	if cfg.Scenario == "" {
		fs.Usage()
		return usageErr("no scenario given: one of %s", strings.Join(loadgen.ScenarioNames, ", "))
	}
	cfg.Rate = float64(rate)
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	if cfg.Count > 0 && !explicit["duration"] { // parse marks environment values as set too
		cfg.Duration = time.Hour
	}
	if err := cfg.Normalize(); err != nil {
		return usageErr("%v", err)
	}
	cfg.Log = stderr
	res, err := loadgen.Run(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %w", err)
		}
		return err
	}
	if *asJSON {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", b)
		return nil
	}
	res.WriteText(stdout)
	return nil
}
