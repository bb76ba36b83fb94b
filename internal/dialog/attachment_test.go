package dialog

import (
	"strings"
	"testing"
)

func TestFileName(t *testing.T) {
	for in, want := range map[string]string{
		"report.pdf":                      "report.pdf",
		"../../etc/passwd":                "passwd",
		`C:\Users\ann\Фото 1.jpg`:         "Фото 1.jpg",
		"a\x00b\nc\"d.txt":                "abcd.txt",
		"\u202egnp.exe":                   "gnp.exe",
		"":                                "file",
		"..":                              "file",
		"  /  ":                           "file",
		"bad\xffutf8.txt":                 "badutf8.txt",
		strings.Repeat("я", 150) + ".txt": strings.Repeat("я", 100),
	} {
		if got := FileName(in); got != want {
			t.Errorf("FileName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsImage(t *testing.T) {
	for ct, want := range map[string]bool{"image/png": true, "image/jpeg": true, "image/svg+xml": false, "text/html; charset=utf-8": false, "application/pdf": false} {
		if IsImage(ct) != want {
			t.Errorf("IsImage(%q) != %v", ct, want)
		}
	}
}
