package envelope

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/idkiosk/idkiosk/sync/api"
)

// SignatureSize is the length of a version 2 envelope's trailing signature.
const SignatureSize = ed25519.SignatureSize

// sigContext is the Ed25519ctx context (RFC 8032) of envelope signatures.
// The device key also signs its enrollment proof; the context keeps one from
// ever passing for the other, and, unlike a prefix, needs no copy of a
// 400 KB envelope to sign it.
const sigContext = "idkiosk envelope v2"

func sigOptions() *ed25519.Options { return &ed25519.Options{Context: sigContext} }

// ErrUnsigned reports a version 1 envelope where a signature was required.
var ErrUnsigned = errors.New("envelope is not signed")

// ErrSignature reports a signature that does not verify: the envelope was
// changed after signing, or signed by another key than the device's.
var ErrSignature = errors.New("envelope signature does not verify")

// SignerID names a device's Ed25519 public key the way a version 2 header
// does: the first 8 bytes of its SHA-256, in hex.
func SignerID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// SealSigned seals p to pub like Seal and signs the whole envelope, clear
// header and HPKE part, with the device's Ed25519 key. HPKE base mode proves
// nothing about who sealed a profile (anyone can encrypt to a public key);
// the signature does, and the service checks it against the key the device
// enrolled with.
//
// Wire format, version 2 (all integers big-endian):
//
//	"IDKE" | version u8 = 2 | header length u16 | header (JSON, with "signer")
//	| HPKE enc || ciphertext | Ed25519 signature (64 bytes)
//
// The signature (Ed25519ctx with context "idkiosk envelope v2") covers every
// byte before it. key is a crypto.Signer so the key can stay wherever the
// device keeps it.
func SealSigned(pub *PublicKey, key crypto.Signer, p *api.Profile) ([]byte, error) {
	dpub, ok := key.Public().(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("seal: signing key is %T, want Ed25519", key.Public())
	}
	env, err := encrypt(pub, p, VersionSigned, SignerID(dpub))
	if err != nil {
		return nil, err
	}
	sig, err := key.Sign(rand.Reader, env, sigOptions())
	if err != nil {
		return nil, fmt.Errorf("seal: sign: %w", err)
	}
	if len(sig) != SignatureSize {
		return nil, fmt.Errorf("seal: signature is %d bytes, want %d", len(sig), SignatureSize)
	}
	return append(env, sig...), nil
}

// Verify checks that env is a version 2 envelope signed by pub and returns
// its header. A version 1 envelope is ErrUnsigned; a header naming another
// signer, or a signature that does not match the bytes, is ErrSignature.
func Verify(env []byte, pub ed25519.PublicKey) (*Header, error) {
	p, err := split(env)
	if err != nil {
		return nil, err
	}
	if p.h.Version != VersionSigned {
		return p.h, ErrUnsigned
	}
	if len(pub) != ed25519.PublicKeySize {
		return p.h, fmt.Errorf("verify: public key is %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	if want := SignerID(pub); p.h.Signer != want {
		return p.h, fmt.Errorf("%w: header names signer %s, the device's key is %s", ErrSignature, p.h.Signer, want)
	}
	if err := ed25519.VerifyWithOptions(pub, p.signed, p.sig, sigOptions()); err != nil {
		return p.h, ErrSignature
	}
	return p.h, nil
}
