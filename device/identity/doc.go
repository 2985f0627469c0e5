// Package identity keeps a kiosk's own credentials on its data partition:
// the Ed25519 key that signs every envelope, the TLS key and client
// certificate that authenticate it to the service (mTLS), and what it pinned
// at enrollment: the CA the service's server certificate must chain to and
// the service's sealing keys.
//
// Everything lives in <data_dir>/identity (mode 0700), every file mode 0600,
// written atomically (temporary file, fsync, rename, fsync of the directory)
// so a power cut leaves the old file or the new one, never half of one:
//
//	signing.key        Ed25519 private key, PKCS #8 PEM; never leaves the device
//	tls.key            ECDSA P-256 private key for mTLS, PKCS #8 PEM
//	tls.key.pending    the TLS key of an enrollment in progress
//	tls.crt            the client certificate the service's device CA issued
//	service-ca.pem     the pinned CA certificate(s) for the service's server certificate
//	service-keys.json  the pinned service key list (parsed by sync/envelope, opaque here)
//	enrollment.json    device id, service URL, when enrolled
//
// The signing key is made once and reused by later enrollments: envelopes
// already queued are signed with it and must stay verifiable. A device that
// was stolen or compromised is re-enrolled from a wiped data partition.
//
// No value of this package prints a key: Identity and Pending format and
// log as their device id and certificate serial only.
//
// This package does no networking and knows nothing of the service's wire
// format; cmd/kioskctl (enroll) and cmd/kioskd wire it to sync/client.
package identity
