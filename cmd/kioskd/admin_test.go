package main

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture/encode"
	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
)

// Without a configured certificate the admin listener makes a self-signed
// one once, keeps its key private, and reuses it, so a browser exception
// an admin accepted stays valid across restarts.
func TestAdminCertificate_SelfSignedMadeOnceAndKept(t *testing.T) {
	cfg := &config.Config{Device: config.Device{DataDir: t.TempDir()}}
	c1, fp1, err := adminCertificate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(c1.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := leaf.VerifyHostname("127.0.0.1"); err != nil {
		t.Errorf("certificate does not cover 127.0.0.1: %v", err)
	}
	if err := leaf.VerifyHostname("localhost"); err != nil {
		t.Errorf("certificate does not cover localhost: %v", err)
	}
	key := filepath.Join(cfg.AdminTLSDir(), "key.pem")
	st, err := os.Stat(key)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file %v mode %v, want 0600", err, st.Mode().Perm())
	}
	_, fp2, err := adminCertificate(cfg)
	if err != nil || fp2 != fp1 || len(fp1) != 64 {
		t.Errorf("second start: fingerprint %s (%v), want the first one %s", fp2, err, fp1)
	}
}

func TestAdminCertificate_Configured(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM, err := selfSigned(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	os.WriteFile(certPath, certPEM, 0o644)
	os.WriteFile(keyPath, keyPEM, 0o600)
	cfg := &config.Config{Device: config.Device{DataDir: dir}, Admin: config.Admin{TLSCert: certPath, TLSKey: keyPath}}
	c, _, err := adminCertificate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(certPEM)
	if string(c.Certificate[0]) != string(block.Bytes) {
		t.Error("the configured certificate was not the one served")
	}
	if _, err := os.Stat(cfg.AdminTLSDir()); !os.IsNotExist(err) {
		t.Errorf("a development certificate was made although one is configured (%v)", err)
	}
}

func TestPreviewEncoder(t *testing.T) {
	tests := []struct {
		encoder string
		want    string
	}{
		{"vp8", encode.CodecVP8.MimeType},
		{"h264-m2m", encode.CodecH264.MimeType},
		{"h264-passthrough", encode.CodecH264.MimeType},
	}
	for _, tt := range tests {
		codec, open := previewEncoder(config.Admin{Encoder: tt.encoder, M2MDevice: "/nonexistent/video11", FPS: 15, BitrateKbps: 500})
		if codec.MimeType != tt.want {
			t.Errorf("%s: codec %s, want %s", tt.encoder, codec.MimeType, tt.want)
		}
		enc, err := open(64, 48)
		switch tt.encoder {
		case "h264-m2m":
			// No encoder device here: opening fails, and the failure must
			// be a nil interface, not a typed nil Live would call.
			if err == nil || enc != nil {
				t.Errorf("m2m without a device: %v, %v; want an error and no encoder", enc, err)
			}
		default:
			if err != nil || enc == nil || enc.Codec().MimeType != tt.want {
				t.Errorf("%s: open = %v, %v", tt.encoder, enc, err)
			} else {
				enc.Close()
			}
		}
	}
}

func TestAdminTokens(t *testing.T) {
	if _, err := adminTokens([]string{"ops:1:" + "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}); err != nil {
		t.Errorf("valid token: %v", err)
	}
	if _, err := adminTokens([]string{"ops:1:secret"}); err == nil {
		t.Error("a token instead of its hash: no error")
	}
}
