package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestREADMEWalkthrough runs the README's "A first conversation through
// the API" with curl against the real binary on a fresh directory: each
// command as written, the capitalised placeholders replaced by the ids the
// command before printed, and at the end the dialog is the administrator's,
// answered.
func TestREADMEWalkthrough(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("curl is missing: the README walkthrough needs it")
		}
		t.Skip("curl is missing")
	}
	sec := readmeSection(t, "A first conversation through the API")
	blk := regexp.MustCompile("(?s)```sh\n(.*?)```").FindStringSubmatch(sec)
	if blk == nil {
		t.Fatal("the walkthrough has no sh block")
	}
	cmds := strings.Split(strings.ReplaceAll(blk[1], "\\\n", " "), "\n")

	const password = "walkthrough-password-1"
	dir := t.TempDir()
	srv := exec.Command(binary, "serve", "--addr", "127.0.0.1:0")
	srv.Dir = dir
	srv.Env = append(os.Environ(), "OPENLINES_ADMIN_EMAIL=", "OPENLINES_ADMIN_PASSWORD="+password, "OPENLINES_LOG_FORMAT=text")
	out, _ := srv.StdoutPipe()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Process.Kill()
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := regexp.MustCompile(`running at (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	var url string
	select {
	case url = <-urls:
	case <-time.After(30 * time.Second):
		t.Fatal("the server printed no URL")
	}

	ids := map[string]string{}
	var last []byte
	for _, c := range cmds {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		comment := ""
		if i := strings.Index(c, "# "); i >= 0 {
			c, comment = strings.TrimSpace(c[:i]), c[i+2:]
		}
		if v, ok := strings.CutPrefix(c, "B="); ok {
			if !strings.HasPrefix(v, "http://127.0.0.1:8080/") {
				t.Fatalf("the walkthrough's base %q is not the default address", v)
			}
			c = "B=" + url + strings.TrimPrefix(v, "http://127.0.0.1:8080")
		}
		c = strings.ReplaceAll(c, "…", password)
		// One pass, so that an id put in is never read as a placeholder.
		c = regexp.MustCompile(`\b[A-Z]{2,}\b`).ReplaceAllStringFunc(c, func(w string) string {
			if v, ok := ids[w]; ok {
				return v
			}
			return w
		})
		if strings.HasPrefix(c, "curl") {
			if strings.Contains(c, "/take") {
				waitOffered(t, curl, dir, url, ids["DIALOG"])
			}
			c = "curl -sS --fail-with-body" + strings.TrimPrefix(c, "curl")
		}
		sh := exec.Command("sh", "-c", "B="+url+"/api/v1\n"+c) // each command runs in a shell of its own: B stays set
		sh.Dir = dir
		b, err := sh.CombinedOutput()
		if err != nil {
			t.Fatalf("README: %s\n%v\n%s", c, err, b)
		}
		last = b
		var v map[string]any
		json.Unmarshal(b, &v)
		for _, name := range regexp.MustCompile(`\b[A-Z]{2,}\b`).FindAllString(comment, -1) {
			switch name {
			case "ME":
				ids[name], _ = v["user"].(map[string]any)["id"].(string)
			case "KEY":
				ids[name], _ = v["key"].(map[string]any)["secret"].(string)
			case "DIALOG", "SESSION":
				ids[name], _ = v[strings.ToLower(name)+"_id"].(string)
			default:
				ids[name], _ = v["id"].(string)
			}
			if ids[name] == "" {
				t.Fatalf("%s printed no id for %s:\n%s", c, name, b)
			}
		}
	}
	var page struct {
		Dialogs []struct {
			ID         string `json:"id"`
			Status     string `json:"status"`
			OperatorID string `json:"operator_id"`
		} `json:"dialogs"`
	}
	if err := json.Unmarshal(last, &page); err != nil || len(page.Dialogs) != 1 {
		t.Fatalf("the last command's dialogs: %v\n%s", err, last)
	}
	d := page.Dialogs[0]
	if d.ID != ids["DIALOG"] || d.OperatorID != ids["ME"] || d.Status != "waiting_client" {
		t.Fatalf("after the walkthrough the dialog is %+v, want %s held by %s and answered", d, ids["DIALOG"], ids["ME"])
	}
}

// waitOffered waits until the dialog's session is offered: the routing
// engine offers it just after the customer's message is stored.
func waitOffered(t *testing.T, curl, dir, url, dialogID string) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		b, err := exec.Command(curl, "-sS", "-b", filepath.Join(dir, "jar"), url+"/api/v1/dialogs/"+dialogID).Output()
		if err != nil {
			continue
		}
		var d struct {
			Session struct {
				OfferedTo []string `json:"offered_to"`
			} `json:"session"`
		}
		if json.Unmarshal(b, &d) == nil && len(d.Session.OfferedTo) > 0 {
			return
		}
	}
	t.Fatal("the dialog was never offered")
}
