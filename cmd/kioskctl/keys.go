package main

import (
	"encoding/base64"
	"fmt"
	"io"

	"github.com/idkiosk/idkiosk/cmd/kioskd/control"
)

// keys prints the kiosk's own public keys and the service's it pins, as
// fingerprints to compare with verifyd's (verifyd -add-device prints its
// CA's).
func keys(args []string, stdout, stderr io.Writer) int {
	fs, sf := socketCommand("keys", stderr)
	return ask(fs, sf, args, stdout, stderr, (*control.Client).Keys, printKeys, nil)
}

func printKeys(stdout io.Writer, k control.Keys) {
	fmt.Fprintf(stdout, "device:        %s\n", k.Device)
	fmt.Fprintf(stdout, "signing key:   %s (Ed25519 %s)\n", k.Signer.ID, base64.StdEncoding.EncodeToString(k.Signer.PublicKey))
	printCert(stdout, "certificate:  ", k.Certificate)
	for _, ca := range k.ServiceCA {
		printCert(stdout, "service CA:   ", ca)
	}
	for _, sk := range k.ServiceKeys {
		cur := ""
		if sk.Current {
			cur = ", current: new profiles are sealed to it"
		}
		fmt.Fprintf(stdout, "service key:   %s (suite %s, sha256 %s%s)\n", sk.KeyID, sk.Suite, sk.SHA256, cur)
	}
}

func printCert(w io.Writer, label string, c control.CertInfo) {
	fmt.Fprintf(w, "%s %s, serial %s, valid %s to %s\n", label, c.Subject, c.Serial, day(c.NotBefore), day(c.NotAfter))
	fmt.Fprintf(w, "               sha256 %s\n               public key sha256 %s\n", c.SHA256, c.SPKI)
}
