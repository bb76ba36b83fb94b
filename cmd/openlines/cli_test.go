package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/app"
	"github.com/openlines/openlines/internal/store"
	"github.com/openlines/openlines/internal/workspace"
)

// readmeSection returns the README's section under the heading title.
func readmeSection(t *testing.T, title string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n## "+title+"\n")
	if i < 0 {
		t.Fatalf("README has no section %q", title)
	}
	s = s[i+len(title)+5:]
	if j := strings.Index(s, "\n## "); j >= 0 {
		s = s[:j]
	}
	return s
}

// TestREADMECommandLine runs the README's "Command line" sh blocks that
// start with `openlines ` as a script, on a database the server has already
// started on (so it holds the first-run workspace too, as a real one does):
// the README and the CLI must agree.
func TestREADMECommandLine(t *testing.T) {
	sec := readmeSection(t, "Command line")
	var script []string
	for _, blk := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(sec, -1) {
		if strings.HasPrefix(blk[1], "openlines ") {
			script = append(script, strings.Split(blk[1], "\n")...)
		}
	}
	db := filepath.Join(t.TempDir(), "openlines.db")
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, created, err := app.Bootstrap(ctx, st, app.Config{Plan: workspace.Enterprise}); err != nil || !created {
		t.Fatalf("bootstrap: %v %v", created, err)
	}
	st.Close()

	wsID, ran := "", map[string]bool{}
	for _, l := range script {
		if c := strings.TrimSpace(l); c == "" || strings.HasPrefix(c, "#") {
			continue
		}
		if !strings.HasPrefix(l, "openlines ") {
			t.Fatalf("README command-line line %q is not an openlines command", l)
		}
		if regexp.MustCompile(`\bID\b`).MatchString(l) {
			if wsID == "" {
				t.Fatalf("%q uses ID before `workspace create` printed one", l)
			}
			l = regexp.MustCompile(`\bID\b`).ReplaceAllString(l, wsID)
		}
		cmd := exec.Command("sh", "-c", "'"+binary+"' "+strings.TrimPrefix(l, "openlines "))
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), "OPENLINES_DB="+db)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("README: %s\n%v\n%s", l, err, out)
		}
		f := strings.Fields(l)
		ran[f[1]] = true
		if f[1] == "workspace" && f[2] == "create" {
			m := regexp.MustCompile(`created workspace (\S+)`).FindSubmatch(out)
			if m == nil || !strings.Contains(string(out), "created administrator") || !strings.Contains(string(out), "password: ") {
				t.Fatalf("workspace create printed no id, administrator or generated password:\n%s", out)
			}
			wsID = string(m[1])
		}
	}
	for _, c := range []string{"workspace", "user", "version"} {
		if !ran[c] {
			t.Errorf("the README's command line shows no `openlines %s`", c)
		}
	}
	if wsID == "" {
		t.Fatal("the README's command line creates no workspace")
	}
	// The administrator workspace create made is the one the README says.
	_, errOut, code := runBinary(t, []string{"OPENLINES_DB=" + db}, "user", "add", "--workspace", wsID, "--email", "boss@acme.io", "--name", "Boss", "--password", "secret-pass")
	if code == 0 || !strings.Contains(errOut, "already used") {
		t.Fatalf("boss@acme.io was not created by workspace create: %d %s", code, errOut)
	}
}

// The README tells how to get the `openlines` its examples call.
func TestREADMETellsHowToBuild(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "go install ./cmd/openlines") && !strings.Contains(string(b), "go build -o openlines ./cmd/openlines") {
		t.Fatal("README calls `openlines …` but never says how to build it")
	}
}

func TestWorkspaceCreateAdministrator(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ol.db")
	out, errOut, code := runBinary(t, nil, "workspace", "create", "--db", db, "--name", "Acme", "--admin-email", "boss@acme.io", "--admin-password", "chosen-password-1")
	if code != 0 || !strings.Contains(out, "created administrator boss@acme.io") {
		t.Fatalf("workspace create: %d %s %s", code, out, errOut)
	}
	if strings.Contains(out, "chosen-password-1") {
		t.Fatalf("a chosen password was printed:\n%s", out)
	}
	// A taken e-mail is refused before a workspace is made.
	out, errOut, code = runBinary(t, nil, "workspace", "create", "--db", db, "--name", "Other", "--admin-email", "boss@acme.io")
	if code != 2 || !strings.Contains(errOut, "already used") || strings.Contains(out, "created workspace") {
		t.Fatalf("workspace create with a taken e-mail: %d %s %s", code, out, errOut)
	}
	_, errOut, code = runBinary(t, nil, "workspace", "create", "--db", db, "--name", "Third", "--admin-email", "x@acme.io", "--admin-password", "short")
	if code != 2 || !strings.Contains(errOut, "--admin-password") {
		t.Fatalf("short --admin-password: %d %s", code, errOut)
	}
}

func TestHelp(t *testing.T) {
	cases := []struct {
		args     []string
		want     string
		onStderr bool // a command's own -h prints where flag prints: stderr
	}{
		{[]string{"workspace", "--help"}, "openlines workspace set-plan", false},
		{[]string{"user", "-h"}, "openlines user add", false},
		{[]string{"help", "workspace"}, "openlines workspace create", false},
		{[]string{"help", "workspace", "create"}, "-admin-email", false},
		{[]string{"help", "user", "add"}, "OPENLINES_USER_ADD_PASSWORD", false},
		{[]string{"help", "serve"}, "OPENLINES_MAX_BODY", false},
		{[]string{"help", "demo"}, "OPENLINES_DEMO_DB", false},
		{[]string{"help", "version"}, "Usage: openlines version", false},
		{[]string{"help"}, "Commands:", false},
		{[]string{"workspace", "create", "--help"}, "-admin-password", true},
	}
	for _, c := range cases {
		out, errOut, code := runBinary(t, nil, c.args...)
		if c.onStderr {
			out = errOut
		}
		if code != 0 || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 0 and %q", c.args, code, out, errOut, c.want)
		}
	}
	if _, _, code := runBinary(t, nil, "help", "frobnicate"); code != 2 {
		t.Errorf("help frobnicate: exit %d, want 2", code)
	}
	if _, _, code := runBinary(t, nil, "workspace"); code != 2 {
		t.Errorf("workspace without a command: exit %d, want 2", code)
	}
}

// version reports what the toolchain stamped into the binary.
func TestVersion(t *testing.T) {
	out, _, code := runBinary(t, nil, "version")
	got := strings.TrimSpace(strings.TrimPrefix(out, "openlines "))
	info, err := exec.Command("go", "version", "-m", binary).Output()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, l := range strings.Split(string(info), "\n") {
		f := strings.Fields(l)
		if len(f) >= 3 && f[0] == "mod" {
			want = append(want, f[2])
		}
		if len(f) >= 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.revision=") {
			want = append(want, strings.TrimPrefix(f[1], "vcs.revision="))
		}
	}
	if len(want) == 1 && want[0] == "(devel)" {
		// Checked before "dev" is refused: without a stamp "dev" is right.
		t.Skip("the test binary has no module version and no VCS stamp (not built in a git checkout, or in a worktree the toolchain does not stamp)")
	}
	if code != 0 || got == "" || got == "dev" {
		t.Fatalf("version: %d %q", code, out)
	}
	for _, w := range want {
		if w != "(devel)" && strings.HasPrefix(got, w) {
			return
		}
	}
	t.Fatalf("version %q is neither the module version nor the VCS revision of %v", got, want)
}

// A variable meant for the server does not leak into another command.
func TestEnvTwinsDoNotLeak(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ol.db")
	if _, errOut, code := runBinary(t, nil, "workspace", "create", "--db", db, "--name", "Acme"); code != 0 {
		t.Fatal(errOut)
	}
	leak := []string{"OPENLINES_DB=" + db, "OPENLINES_NAME=Leaked", "OPENLINES_PASSWORD=leaked-password", "OPENLINES_EMAIL=leak@acme.io"}
	_, errOut, code := runBinary(t, leak, "user", "add", "--email", "ann@acme.io", "--password", "secret-pass")
	if code != 2 || !strings.Contains(errOut, "--name") {
		t.Fatalf("user add took OPENLINES_NAME: exit %d, %s", code, errOut)
	}
	_, errOut, code = runBinary(t, leak, "user", "add", "--name", "Ann")
	if code != 2 || !strings.Contains(errOut, "--email") {
		t.Fatalf("user add took OPENLINES_EMAIL: exit %d, %s", code, errOut)
	}
	// Its own twins work.
	out, errOut, code := runBinary(t, append(leak, "OPENLINES_USER_ADD_NAME=Ann", "OPENLINES_USER_ADD_EMAIL=ann@acme.io", "OPENLINES_USER_ADD_PASSWORD=secret-pass"), "user", "add")
	if code != 0 || !strings.Contains(out, "ann@acme.io") {
		t.Fatalf("user add from OPENLINES_USER_ADD_*: %d %s %s", code, out, errOut)
	}
	// serve's OPENLINES_PLAN does not change workspace set-plan.
	_, errOut, code = runBinary(t, []string{"OPENLINES_DB=" + db, "OPENLINES_PLAN=enterprise"}, "workspace", "set-plan")
	if code != 2 || !strings.Contains(errOut, "--plan") {
		t.Fatalf("workspace set-plan took OPENLINES_PLAN: exit %d, %s", code, errOut)
	}
}

// A password the operator gave is not printed on the first run; a
// generated one is (TestServeFirstRun signs in with it).
func TestServeDoesNotPrintChosenPassword(t *testing.T) {
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "o.db"))
	cmd.Env = append(os.Environ(), "OPENLINES_ADMIN_EMAIL=", "OPENLINES_ADMIN_PASSWORD=chosen-password-1")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var printed strings.Builder
	sc := bufio.NewScanner(stdout)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for sc.Scan() {
			printed.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "password:") {
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("no first-run banner")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if !strings.Contains(printed.String(), "e-mail:") || strings.Contains(printed.String(), "chosen-password-1") {
		t.Fatalf("first-run banner:\n%s", printed.String())
	}
}
