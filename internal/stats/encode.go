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

// AddEncoded adds an encoded histogram (Encode) to h.
func (h *Histogram) AddEncoded(s string) error {
	if s == "" {
		return nil
	}
	for _, pair := range strings.Split(s, ",") {
		bs, ns, ok := strings.Cut(pair, ":")
		b, err1 := strconv.Atoi(bs)
		n, err2 := strconv.ParseInt(ns, 10, 64)
		if !ok || err1 != nil || err2 != nil || b < 0 || b > MaxBucket {
			return fmt.Errorf("stats: malformed histogram entry %q", pair)
		}
		h[b] += n
	}
	return nil
}
