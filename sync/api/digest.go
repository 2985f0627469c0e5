package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
)

// ContentDigest returns the RFC 9530 Content-Digest field value for body,
// using sha-256: `sha-256=:<base64>:`.
func ContentDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
}

// CheckContentDigest verifies a Content-Digest field value against body. Only
// sha-256 is accepted; other algorithms in the dictionary are ignored, and at
// least one sha-256 member must be present and match.
func CheckContentDigest(field string, body []byte) error {
	want := sha256.Sum256(body)
	found := false
	for member := range strings.SplitSeq(field, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(member), "=")
		if !ok || strings.ToLower(name) != "sha-256" {
			continue
		}
		found = true
		value = strings.TrimSpace(value)
		if len(value) < 2 || value[0] != ':' || value[len(value)-1] != ':' {
			return fmt.Errorf("content-digest: sha-256 value is not a byte sequence")
		}
		got, err := base64.StdEncoding.DecodeString(value[1 : len(value)-1])
		if err != nil {
			return fmt.Errorf("content-digest: %w", err)
		}
		if subtle.ConstantTimeCompare(got, want[:]) != 1 {
			return fmt.Errorf("content-digest: sha-256 does not match the body")
		}
	}
	if !found {
		return fmt.Errorf("content-digest: no sha-256 member")
	}
	return nil
}
