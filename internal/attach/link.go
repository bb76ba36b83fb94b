package attach

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"time"
)

// Links signs and checks the unguessable links a customer opens a file
// with (/files/{id}?exp=…&sig=…): HMAC-SHA256 of the id and the expiry
// under a key of the server's (secret.Box.Derive), so a link names one
// file until one moment and cannot be made for another file or moved in
// time. Operators never use them: they read files through the API with
// their own credentials.
type Links struct{ key []byte }

// NewLinks returns the signer of links with key.
func NewLinks(key []byte) *Links { return &Links{key: key} }

// LinkTTL is how long a link lasts at least. Links are made when a
// customer's conversation is rendered, so a page open for long still has
// working links, and one rendered again gets new ones.
const LinkTTL = 24 * time.Hour

// Query returns "exp=…&sig=…" for the file id, valid at least LinkTTL
// from now: the expiry is rounded up to the hour, so a conversation
// rendered twice within the hour has the same links (a browser's cache
// keeps the pictures).
func (l *Links) Query(id string, now time.Time) string {
	exp := now.Add(LinkTTL).Truncate(time.Hour).Add(time.Hour).Unix()
	v := url.Values{"exp": {strconv.FormatInt(exp, 10)}, "sig": {l.sign(id, exp)}}
	return v.Encode()
}

func (l *Links) sign(id string, exp int64) string {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(id + "\n" + strconv.FormatInt(exp, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Valid reports whether exp and sig make a link to the file id that has
// not expired at now.
func (l *Links) Valid(id, exp, sig string, now time.Time) bool {
	e, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || e < now.Unix() {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(l.sign(id, e)))
}
