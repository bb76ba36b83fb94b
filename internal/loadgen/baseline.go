package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Baseline is a bare net/http handler on loopback driven by the same client
// with the same connections for as long as the scenario ran: the ceiling
// of this machine and client, against which the server's figures are read.
type Baseline struct {
	Requests  int64   `json:"requests"`
	Elapsed   float64 `json:"elapsed_s"`
	PerSecond float64 `json:"per_second"`
	Latency   Latency `json:"latency"`
	Errors    Errors  `json:"errors"`
}

// bareHandler reads a small JSON body and answers 201 with a small JSON,
// like the messages endpoint without anything behind it.
func bareHandler(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Customer struct {
			ExternalID string `json:"external_id"`
		} `json:"customer"`
		Message struct {
			ExternalID string `json:"external_id"`
			Text       string `json:"text"`
		} `json:"message"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		http.Error(w, `{"error":{"code":"invalid"}}`, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"message_id":%q,"duplicate":false}`, in.Message.ExternalID)
}

// startBare serves bareHandler on 127.0.0.1:0 and returns its base URL.
func startBare() (base string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(bareHandler), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }() // its failures show as transport errors
	return "http://" + ln.Addr().String(), func() { srv.Close(); <-done }, nil
}

// runBaseline drives the bare handler flat out with conns connections for d.
func runBaseline(ctx context.Context, conns int, d, timeout time.Duration) (*Baseline, error) {
	base, stop, err := startBare()
	if err != nil {
		return nil, err
	}
	defer stop()
	a := newAPI(base, conns)
	a.token = "baseline"
	defer a.close()
	o := drive(ctx, load{conns: conns, duration: d, timeout: timeout}, func(ctx context.Context, seq int) error {
		return a.post(ctx, "/api/v1/channels/bare/messages", messageBody("baseline-c", "baseline-m-"+strconv.Itoa(seq)), http.StatusCreated)
	})
	return &Baseline{Requests: o.OK, Elapsed: round3(o.Elapsed.Seconds()), PerSecond: round1(o.PerSecond()), Latency: o.latency("request"), Errors: o.Errors}, nil
}

// messageBody is a customer message as the API channel takes it.
func messageBody(customer, ext string) []byte {
	return fmt.Appendf(nil, `{"customer":{"external_id":%q,"name":"Bench customer"},"message":{"external_id":%q,"text":"Hello! Where is my order?"}}`, customer, ext)
}
