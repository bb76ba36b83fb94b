package app

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"
)

// certFiles serves the certificate in certFile/keyFile and reads them
// again when either file changed (looked at most every few seconds), so
// that a renewed certificate (certbot, cert-manager) is used without a
// restart. A renewal that cannot be loaded keeps the previous certificate.
type certFiles struct {
	certFile, keyFile string
	every             time.Duration // how often the files are looked at

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string // the files' modification times at the last load
	checked time.Time
}

func loadCertFiles(certFile, keyFile string) (*certFiles, error) {
	c := &certFiles{certFile: certFile, keyFile: keyFile, every: 5 * time.Second}
	if err := c.reload(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *certFiles) filesStamp() string {
	var s string
	for _, f := range []string{c.certFile, c.keyFile} {
		if fi, err := os.Stat(f); err == nil {
			s += fi.ModTime().String() + "/"
		}
	}
	return s
}

func (c *certFiles) reload() error {
	stamp := c.filesStamp()
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	c.cert, c.stamp = &cert, stamp
	return nil
}

// get is tls.Config.GetCertificate.
func (c *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := time.Now(); now.Sub(c.checked) >= c.every {
		c.checked = now
		if c.filesStamp() != c.stamp {
			c.reload() // on error the old certificate stays
		}
	}
	return c.cert, nil
}

// tlsConfig is the listener's TLS: TLS 1.2 at least, HTTP/1.1 only. The
// WebSockets of operators and widgets upgrade an HTTP/1.1 request; a
// browser that had HTTP/2 on the connection could try them over HTTP/2's
// extended CONNECT, which the WebSocket library does not accept. HTTP/2
// to browsers is the front proxy's (nginx) job.
func (c *certFiles) tlsConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.get, NextProtos: []string{"http/1.1"}}
}
