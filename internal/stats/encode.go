package stats

import (
	"fmt"
	"strconv"
	"strings"
)

// Encode writes the histogram as the store keeps it: "bucket:count" pairs
// of the non-zero buckets in order, comma-separated ("" when empty).
func (h *Histogram) Encode() string {
	var b strings.Builder
	for i, n := range h {
		if n == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(n, 10))
	}
	return b.String()
}

// AddEncoded adds an encoded histogram (Encode) to h. It parses by hand:
// a month's summary decodes thousands of them.
func (h *Histogram) AddEncoded(s string) error {
	bad := func() error { return fmt.Errorf("stats: malformed histogram %q", s) }
	for i := 0; i < len(s); {
		b, j := 0, i
		for ; j < len(s) && s[j] >= '0' && s[j] <= '9'; j++ {
			if b = b*10 + int(s[j]-'0'); b > MaxBucket {
				return bad()
			}
		}
		if j == i || j == len(s) || s[j] != ':' {
			return bad()
		}
		j++
		neg := j < len(s) && s[j] == '-'
		if neg {
			j++
		}
		var n int64
		k := j
		for ; j < len(s) && s[j] >= '0' && s[j] <= '9' && j-k < 18; j++ {
			n = n*10 + int64(s[j]-'0')
		}
		if j == k {
			return bad()
		}
		if neg {
			n = -n
		}
		h[b] += n
		if j < len(s) {
			if s[j] != ',' || j+1 == len(s) {
				return bad()
			}
			j++
		}
		i = j
	}
	return nil
}
