// Package deploy holds the deployment files (the Dockerfile and
// docker-compose.yml sit at the repository's root) and their tests: the
// image's binary built the way the Dockerfile builds it, every file linted
// by the tool that knows it, and nginx run in front of a real server.
package deploy_test

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

const root = ".."

// need finds tool on PATH: under CI a missing one fails the test (.ci/run installs it);
// locally it is skipped with a notice.
func need(t *testing.T, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing; .ci/run installs it", tool)
		}
		t.Skipf("%s is not installed", tool)
	}
	return path
}

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	buildOnce sync.Once
	built     string
	buildErr  string
)

const testVersion = "v0.0.0-dockerfile-test"

// imageBinary builds the binary with the Dockerfile's own go build line,
// run by the shell as the Dockerfile's RUN would, only its output path
// moved into a temporary directory.
func imageBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		line := ""
		for _, l := range strings.Split(read(t, "Dockerfile"), "\n") {
			if strings.HasPrefix(l, "RUN ") && strings.Contains(l, "go build") {
				line = strings.TrimPrefix(l, "RUN ")
			}
		}
		if line == "" || !strings.Contains(line, "CGO_ENABLED=0") || !strings.Contains(line, "-o /out/openlines") {
			buildErr = "the Dockerfile has no RUN CGO_ENABLED=0 … go build … -o /out/openlines line: " + line
			return
		}
		dir, err := os.MkdirTemp("", "openlines-image-")
		if err != nil {
			buildErr = err.Error()
			return
		}
		built = filepath.Join(dir, "openlines")
		cmd := exec.Command("sh", "-c", strings.Replace(line, "/out/openlines", built, 1))
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "VERSION="+testVersion)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = "the Dockerfile's build: " + err.Error() + "\n" + string(out)
		}
	})
	if buildErr != "" {
		t.Fatal(buildErr)
	}
	return built
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built != "" {
		os.RemoveAll(filepath.Dir(built))
	}
	os.Exit(code)
}

// The image's binary is static (no interpreter, no shared library: it runs
// on distroless/static or scratch), carries the version the build passed,
// and its healthcheck fails on a server that is not there.
func TestDockerfileBinaryIsStatic(t *testing.T) {
	bin := imageBinary(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary asks for a dynamic loader (PT_INTERP): it is not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs shared libraries: %v", libs)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "openlines "+testVersion {
		t.Errorf("version: %q %v", out, err)
	}
	if out, err := exec.Command(bin, "healthcheck", "--url", "http://127.0.0.1:1/readyz", "--timeout", "2s").CombinedOutput(); err == nil {
		t.Errorf("healthcheck of nothing succeeded: %s", out)
	}
}

// serveEnv lists the environment twins `openlines serve` knows.
func serveEnv(t *testing.T) []string {
	t.Helper()
	out, _ := exec.Command(imageBinary(t), "help", "serve").CombinedOutput()
	var names []string
	for _, m := range regexp.MustCompile(`env (OPENLINES_[A-Z_]+)`).FindAllStringSubmatch(string(out), -1) {
		names = append(names, m[1])
	}
	if len(names) < 10 {
		t.Fatalf("help serve lists %d environment twins:\n%s", len(names), out)
	}
	return names
}

// The Dockerfile follows the rules the image promises: a distroless or
// scratch base, a non-root user, a data volume, a healthcheck through the
// binary's own subcommand, and only options serve knows. hadolint lints it
// where it is installed (no Debian or npm package carries it).
func TestDockerfileRules(t *testing.T) {
	df := read(t, "Dockerfile")
	froms := regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(df, -1)
	if len(froms) < 2 {
		t.Fatal("the Dockerfile is not a multi-stage build")
	}
	if final := froms[len(froms)-1][1]; !strings.HasPrefix(final, "gcr.io/distroless/static") && final != "scratch" {
		t.Errorf("the final stage is %s, not distroless/static or scratch", final)
	}
	user := regexp.MustCompile(`(?m)^USER (\S+)`).FindStringSubmatch(df)
	if user == nil || strings.HasPrefix(user[1], "0") || strings.HasPrefix(user[1], "root") {
		t.Errorf("the image runs as %v, not a non-root user", user)
	}
	if !regexp.MustCompile(`(?m)^VOLUME \["/data"\]`).MatchString(df) || !strings.Contains(df, "OPENLINES_DB=/data/") {
		t.Error("no /data volume holding the database")
	}
	if !regexp.MustCompile(`(?m)^HEALTHCHECK .*\n?.*"healthcheck"`).MatchString(df) {
		t.Error("no HEALTHCHECK through openlines healthcheck")
	}
	checkEnvNames(t, "Dockerfile", df, serveEnv(t))
	if path, err := exec.LookPath("hadolint"); err == nil {
		if out, err := exec.Command(path, filepath.Join(root, "Dockerfile")).CombinedOutput(); err != nil {
			t.Errorf("hadolint: %v\n%s", err, out)
		}
	} else {
		t.Log("hadolint is not installed: the Dockerfile is checked by the rules above only")
	}
}

// checkEnvNames fails on an OPENLINES_ variable in text that serve does not know.
func checkEnvNames(t *testing.T, file, text string, known []string) {
	t.Helper()
	for _, m := range regexp.MustCompile(`OPENLINES_[A-Z_]+`).FindAllString(text, -1) {
		if !slices.Contains(known, m) {
			t.Errorf("%s sets %s, which openlines serve does not read", file, m)
		}
	}
}

// docker-compose.yml parses as YAML with the three services, and sets only
// options serve knows. (No Docker engine here: `docker compose config`
// cannot run.)
func TestComposeFile(t *testing.T) {
	py := need(t, "python3")
	text := read(t, "docker-compose.yml")
	cmd := exec.Command(py, "-c", `import sys, yaml
d = yaml.safe_load(sys.stdin)
print(" ".join(sorted(d["services"])))
print(d["services"]["openlines"]["build"])`)
	cmd.Stdin = strings.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil && bytes.Contains(out, []byte("No module named 'yaml'")) {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3-yaml is missing; .ci/run installs it")
		}
		t.Skip("python3-yaml is not installed")
	}
	if err != nil {
		t.Fatalf("docker-compose.yml is not YAML: %v\n%s", err, out)
	}
	if got := strings.Fields(string(out)); len(got) != 4 || strings.Join(got[:3], " ") != "nginx openlines postgres" || got[3] != "." {
		t.Errorf("compose services and build: %q", out)
	}
	checkEnvNames(t, "docker-compose.yml", text, serveEnv(t))
}

// The systemd unit passes systemd-analyze verify (which also checks that
// ExecStart's binary exists: it is pointed at the image's binary) without
// a warning, keeps its hardening, and sets only options serve knows.
func TestSystemdUnit(t *testing.T) {
	sa := need(t, "systemd-analyze")
	unit := read(t, "deploy/systemd/openlines.service")
	for _, want := range []string{"NoNewPrivileges=yes", "ProtectSystem=strict", "DynamicUser=yes", "StateDirectory=openlines",
		"CapabilityBoundingSet=\n", "SystemCallFilter=@system-service", "MemoryDenyWriteExecute=yes", "PrivateDevices=yes"} {
		if !strings.Contains(unit, want) {
			t.Errorf("the unit lost %q", strings.TrimSpace(want))
		}
	}
	checkEnvNames(t, "openlines.service", unit, serveEnv(t))
	dir := t.TempDir()
	path := filepath.Join(dir, "openlines.service")
	os.WriteFile(path, []byte(strings.ReplaceAll(unit, "/usr/local/bin/openlines", imageBinary(t))), 0o644)
	out, err := exec.Command(sa, "verify", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "openlines.service") {
			t.Errorf("systemd-analyze verify: %s", l)
		}
	}
}
