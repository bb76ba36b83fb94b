package app_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/app"
	"github.com/openlines/openlines/internal/workspace"
)

// Nothing answers before the first-run administrator exists: the first 200
// of /healthz or /readyz is followed by a sign-in that works.
func TestReadyMeansBootstrapped(t *testing.T) {
	for _, probe := range []string{"/healthz", "/readyz"} {
		t.Run(strings.TrimPrefix(probe, "/"), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- app.Serve(ctx, app.Config{DB: filepath.Join(t.TempDir(), "o.db"), Addr: addr, Plan: workspace.Enterprise,
					AdminEmail: "boss@acme.test", AdminPassword: "a long enough password", ShutdownTimeout: 5 * time.Second, Version: "test"},
					io.Discard, slog.New(slog.NewJSONHandler(io.Discard, nil)))
			}()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("serve: %v", err)
				}
			}()
			hc := &http.Client{Timeout: 10 * time.Second}
			deadline := time.Now().Add(20 * time.Second)
			for {
				res, err := hc.Get("http://" + addr + probe)
				if err == nil {
					res.Body.Close()
					if res.StatusCode == http.StatusOK {
						break
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s never answered 200: %v", probe, err)
				}
				time.Sleep(time.Millisecond)
			}
			res, err := hc.Post("http://"+addr+"/api/v1/auth/login", "application/json",
				bytes.NewReader([]byte(`{"email":"boss@acme.test","password":"a long enough password"}`)))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("sign-in right after the first 200 of %s: %d %s", probe, res.StatusCode, body)
			}
		})
	}
}
