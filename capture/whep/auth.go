package whep

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// Token is one admin credential: the SHA-256 of the bearer token, a name
// for the audit log, and how many sessions it may hold at once.
type Token struct {
	Name       string
	Hash       [sha256.Size]byte
	MaxViewers int
}

var tokenName = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// ParseToken reads the config form "name:max_viewers:sha256-hex", e.g.
// "ops-alice:2:9f86d08...". Make the hash with HashToken or
// `printf %s "$TOKEN" | sha256sum`.
func ParseToken(s string) (Token, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return Token{}, fmt.Errorf("token %q: want name:max_viewers:sha256-hex", redact(s))
	}
	name, maxS, hexHash := parts[0], parts[1], strings.ToLower(parts[2])
	if !tokenName.MatchString(name) {
		return Token{}, fmt.Errorf("token name %q: use letters, digits, '.', '_', '@' or '-', at most 64", name)
	}
	n, err := strconv.Atoi(maxS)
	if err != nil || n < 1 || n > 100 {
		return Token{}, fmt.Errorf("token %s: max_viewers %q: want 1 to 100", name, maxS)
	}
	raw, err := hex.DecodeString(hexHash)
	if err != nil || len(raw) != sha256.Size {
		return Token{}, fmt.Errorf("token %s: want the 64 hex digits of the token's SHA-256, not the token", name)
	}
	t := Token{Name: name, MaxViewers: n}
	copy(t.Hash[:], raw)
	return t, nil
}

// redact keeps a mistyped config line out of error messages beyond its
// name: it might be the secret itself.
func redact(s string) string {
	name, _, _ := strings.Cut(s, ":")
	if len(name) > 16 {
		name = name[:16]
	}
	return name + ":…"
}

// HashToken returns the hash the config stores for a bearer token.
func HashToken(secret string) [sha256.Size]byte { return sha256.Sum256([]byte(secret)) }

// Tokens is the set of admin credentials.
type Tokens []Token

// Authenticate returns the token whose hash matches the request's bearer
// token. Every token is compared, in constant time, so the answer's timing
// says nothing about which one nearly matched.
func (ts Tokens) Authenticate(r *http.Request) (Token, bool) {
	secret, ok := bearer(r)
	if !ok {
		return Token{}, false
	}
	h := HashToken(secret)
	var found Token
	match := 0
	for _, t := range ts {
		eq := subtle.ConstantTimeCompare(h[:], t.Hash[:])
		if eq == 1 && match == 0 {
			found = t
		}
		match |= eq
	}
	return found, match == 1
}

func bearer(r *http.Request) (string, bool) {
	auth := r.Header.Get("Authorization")
	scheme, secret, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	secret = strings.TrimSpace(secret)
	return secret, secret != ""
}
