package app

// WriteTestCert writes a self-signed certificate for 127.0.0.1 (tests).
var WriteTestCert = writeCert
