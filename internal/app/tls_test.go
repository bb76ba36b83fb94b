package app

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openlines/openlines/internal/testkit"
)

// A renewed certificate is served without a restart; a broken renewal
// keeps the one that works; bad files at start are an error naming the flags.
func TestCertificateReload(t *testing.T) {
	dir := t.TempDir()
	cf, kf := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	testkit.Cert(t, cf, kf, "first")
	c, err := loadCertFiles(cf, kf)
	if err != nil {
		t.Fatal(err)
	}
	c.every = 0
	cn := func() string {
		t.Helper()
		got, err := c.get(&tls.ClientHelloInfo{})
		if err != nil {
			t.Fatal(err)
		}
		leaf, _ := x509.ParseCertificate(got.Certificate[0])
		return leaf.Subject.CommonName
	}
	if cn() != "first" {
		t.Fatal("not the first certificate")
	}
	testkit.Cert(t, cf, kf, "renewed")
	future := time.Now().Add(time.Minute) // a changed modification time, however coarse the file system's clock
	os.Chtimes(cf, future, future)
	if got := cn(); got != "renewed" {
		t.Fatalf("after renewal: %s", got)
	}
	os.WriteFile(kf, []byte("garbage"), 0o600)
	later := future.Add(time.Minute)
	os.Chtimes(kf, later, later)
	if got := cn(); got != "renewed" {
		t.Fatalf("after a broken renewal: %s", got)
	}
	if _, err := loadCertFiles(cf, kf); err == nil {
		t.Fatal("a broken key pair loaded")
	}
}
