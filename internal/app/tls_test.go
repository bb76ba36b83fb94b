package app

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeCert writes a self-signed certificate for 127.0.0.1 named cn to
// certFile and keyFile.
func writeCert(t testing.TB, certFile, keyFile, cn string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	c, _ := x509.ParseCertificate(der)
	return c
}

// A renewed certificate is served without a restart; a broken renewal
// keeps the one that works; bad files at start are an error naming the flags.
func TestCertificateReload(t *testing.T) {
	dir := t.TempDir()
	cf, kf := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	writeCert(t, cf, kf, "first")
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
	writeCert(t, cf, kf, "renewed")
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
