// Package envelope seals a Verification Profile to the central service's
// public key, so that what a kiosk stores and sends is unreadable to anyone
// but the service: a stolen kiosk, its disk image, or a proxy on the way.
//
// Sealing is HPKE base mode (RFC 9180, Go's crypto/hpke) with the suite in
// DefaultSuite. The envelope's clear header (profile id, device id, creation
// time, key id, suite, signer) is bound as the HPKE info, so a header cannot
// be swapped onto another profile's ciphertext without Open failing.
//
// HPKE base mode proves nothing about who sealed a profile: anyone holding
// the service's public key can. So kiosks sign each envelope with their own
// Ed25519 key (SealSigned), and the service checks it with Verify against
// the key the device enrolled with: chain of custody for every image.
//
// Wire format (all integers big-endian):
//
//	v1: "IDKE" | 1 | header length u16 | header (JSON) | HPKE enc || ciphertext
//	v2: "IDKE" | 2 | header length u16 | header (JSON, "signer" set)
//	    | HPKE enc || ciphertext | Ed25519 signature (64 bytes)
//
// The v2 signature covers every byte before it. Each version has its own
// HPKE info label, so a v2 envelope stripped of its signature and re-framed
// as v1 does not open.
//
// Rotation: the service's keys carry key IDs derived from their bytes
// (KeyRing on the service, KeyList on a kiosk). A kiosk seals to the current
// key; the service keeps retired private keys, so envelopes sealed before a
// rotation still open.
//
// testdata/v1 and testdata/v2 hold vectors that Open must keep accepting:
// the service has to read every envelope a kiosk in the field ever wrote.
package envelope
