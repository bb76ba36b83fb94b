package dialog

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Attachment is a file a message carries (SPEC §11: files and images in
// both directions). A message carries at most one: a customer or an
// operator sending three files sends three messages, each with its place
// in the timeline, its delivery state and its preview. Its bytes live in
// the blob store (package attach) under its id; the type is the one the
// server sniffed from the bytes, never the one the client named.
type Attachment struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	// Image: a picture the browsers show (a preview in the inbox and the
	// widget); everything else is offered as a download.
	Image bool `json:"image"`
	// SHA256 of the bytes, hex.
	SHA256 string `json:"sha256"`
}

// MaxFileName bounds a file's name in bytes.
const MaxFileName = 200

// FileName makes a client's file name safe to store and show: the last
// element of any path, without control characters or the characters
// shells and headers treat specially, at most MaxFileName bytes of valid
// UTF-8; "file" when nothing is left.
func FileName(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.ReplaceAll(s, "\\", "/")
	s = path.Base("/" + s)
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), r == '"', r == '/', r == 0x7f, unicode.Is(unicode.Bidi_Control, r):
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	for len(s) > MaxFileName {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	if s == "" || s == "." || s == ".." {
		return "file"
	}
	return s
}

// imageTypes are the sniffed types shown as pictures. SVG is not among
// them: it can carry script, and http.DetectContentType never says it.
var imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "image/bmp": true}

// IsImage reports whether a sniffed content type is shown as a picture.
func IsImage(contentType string) bool { return imageTypes[contentType] }
