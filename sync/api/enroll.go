package api

// Enrollment turns a one-time code from the service's operator into a
// device identity: the kiosk makes its own keys, sends the public halves, and
// gets back a client certificate and the service's sealing keys.

// EnrollRequest is the body of POST /v1/enroll. It is the only request a
// kiosk makes without a client certificate: the code is its credential.
type EnrollRequest struct {
	// Code is the one-time enrollment code the operator got from the
	// service (verifyd -add-device); dashes and case do not matter.
	Code string `json:"code"`
	// DeviceID must be the device the code was issued for.
	DeviceID string `json:"device_id"`
	// CSR is a PKCS #10 certificate request (DER) for the device's TLS key.
	CSR []byte `json:"csr"`
	// SigningKey is the device's Ed25519 public key (32 bytes), the key
	// every envelope it seals is signed with.
	SigningKey []byte `json:"signing_key"`
	// Proof is an Ed25519 signature by SigningKey over EnrollProofMessage,
	// so a device cannot enroll a signing key it does not hold.
	Proof []byte `json:"proof"`
}

// enrollProofLabel separates enrollment proofs from envelope signatures made
// with the same device key.
const enrollProofLabel = "idkiosk enroll v1\x00"

// EnrollProofMessage is what EnrollRequest.Proof signs: a label, the device
// id and the CSR. Binding the CSR ties the signing key to the TLS key that
// the certificate will be issued for.
func EnrollProofMessage(deviceID string, csr []byte) []byte {
	m := make([]byte, 0, len(enrollProofLabel)+len(deviceID)+1+len(csr))
	m = append(m, enrollProofLabel...)
	m = append(m, deviceID...)
	m = append(m, 0)
	return append(m, csr...)
}

// EnrollResponse answers a successful enrollment.
type EnrollResponse struct {
	DeviceID string `json:"device_id"`
	// Certificate is the device's client certificate (DER), issued by the
	// service's device CA for the key in the CSR.
	Certificate []byte `json:"certificate"`
	// Keys are the service's HPKE public keys; the kiosk pins them and
	// seals to Keys.Current.
	Keys ServiceKeys `json:"keys"`
}

// ServiceKeys answers GET /v1/keys: the public keys profiles may be sealed
// to and which one is current. It arrives only over a TLS connection whose
// server certificate chains to the CA the kiosk pinned at enrollment.
type ServiceKeys struct {
	Current string       `json:"current"`
	Keys    []ServiceKey `json:"keys"`
}

// ServiceKey is one HPKE public key of the service. KeyID is derived from
// the key bytes (see package envelope), so a kiosk can check it.
type ServiceKey struct {
	KeyID     string   `json:"key_id"`
	Suite     KeySuite `json:"suite"`
	PublicKey []byte   `json:"public_key"`
}

// KeySuite names an HPKE ciphersuite by its IANA identifiers.
type KeySuite struct {
	KEM  uint16 `json:"kem"`
	KDF  uint16 `json:"kdf"`
	AEAD uint16 `json:"aead"`
}
