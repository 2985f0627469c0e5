// Package envelope seals a Verification Profile to the central service's
// public key, so that what a kiosk stores and sends is unreadable to anyone
// but the service: a stolen kiosk, its disk image, or a proxy on the way.
//
// Sealing is HPKE base mode (RFC 9180, Go's crypto/hpke) with the suite in
// DefaultSuite. The envelope's clear header (profile id, device id, creation
// time, key id, suite) is bound as the HPKE info, so a header cannot be
// swapped onto another profile's ciphertext without Open failing.
//
// Wire format, version 1 (all integers big-endian):
//
//	"IDKE" | version u8 = 1 | header length u16 | header (JSON) | HPKE enc || ciphertext
//
// testdata/ holds a v1 vector that Open must keep accepting: the service has
// to read every envelope a kiosk in the field ever wrote.
package envelope
