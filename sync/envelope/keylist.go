package envelope

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/idkiosk/idkiosk/sync/api"
)

// KeyList is the set of service keys a kiosk has pinned and the one it
// seals to. It is built only from a list that passed ParseServiceKeys.
type KeyList struct {
	current *PublicKey
	keys    []*PublicKey
}

// ParseServiceKeys checks a key list from the service and returns it as a
// KeyList. Where the list came from is the caller's business (the kiosk
// takes it only over TLS to the CA it pinned at enrollment); what is in it
// is checked here:
//
//   - every key ID matches its key bytes, so an ID can never point at the
//     wrong key;
//   - every key uses DefaultSuite: the kiosk seals with the suite it was
//     built for, and a list cannot downgrade it;
//   - IDs are unique and the current key is in the list.
func ParseServiceKeys(sk api.ServiceKeys) (*KeyList, error) {
	if len(sk.Keys) == 0 {
		return nil, errors.New("service keys: empty list")
	}
	l := &KeyList{}
	seen := map[string]bool{}
	for _, k := range sk.Keys {
		s := Suite{KEM: k.Suite.KEM, KDF: k.Suite.KDF, AEAD: k.Suite.AEAD}
		if s != DefaultSuite {
			return nil, fmt.Errorf("service keys: key %s uses suite %+v, this kiosk seals only with %+v", k.KeyID, s, DefaultSuite)
		}
		pub, err := NewPublicKey(k.KeyID, s, k.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("service keys: %w", err)
		}
		if seen[pub.KeyID] {
			return nil, fmt.Errorf("service keys: key %s listed twice", pub.KeyID)
		}
		seen[pub.KeyID] = true
		l.keys = append(l.keys, pub)
		if pub.KeyID == sk.Current {
			l.current = pub
		}
	}
	if l.current == nil {
		return nil, fmt.Errorf("service keys: current key %q is not in the list", sk.Current)
	}
	return l, nil
}

// Current is the key new profiles are sealed to.
func (l *KeyList) Current() *PublicKey { return l.current }

// API returns the list in its wire form, for storing it as pinned.
func (l *KeyList) API() api.ServiceKeys {
	out := api.ServiceKeys{Current: l.current.KeyID}
	for _, k := range l.keys {
		out.Keys = append(out.Keys, k.API())
	}
	return out
}

// NewPublicKey builds a public key from its parts and checks keyID
// against the key bytes.
func NewPublicKey(id string, s Suite, b []byte) (*PublicKey, error) {
	kem, _, _, err := s.parts()
	if err != nil {
		return nil, err
	}
	pub, err := kem.NewPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", id, err)
	}
	if want := keyID(s.KEM, b); id != want {
		return nil, fmt.Errorf("public key: key_id %q does not match the key (want %q)", id, want)
	}
	return &PublicKey{KeyID: id, Suite: s, key: pub}, nil
}

// API returns the key in its wire form.
func (k *PublicKey) API() api.ServiceKey {
	return api.ServiceKey{
		KeyID:     k.KeyID,
		Suite:     api.KeySuite{KEM: k.Suite.KEM, KDF: k.Suite.KDF, AEAD: k.Suite.AEAD},
		PublicKey: k.key.Bytes(),
	}
}

// ServiceKeys lists the public halves of ring with current marked: what
// the service hands kiosks at enrollment and on GET /v1/keys.
func ServiceKeys(ring KeyRing, current string) (api.ServiceKeys, error) {
	if _, ok := ring[current]; !ok {
		return api.ServiceKeys{}, fmt.Errorf("service keys: current key %q is not in the ring", current)
	}
	out := api.ServiceKeys{Current: current}
	for _, id := range sortedIDs(ring) {
		out.Keys = append(out.Keys, ring[id].Public().API())
	}
	return out, nil
}

func sortedIDs(ring KeyRing) []string {
	// A stable order, so the same ring gives the same list.
	return slices.Sorted(maps.Keys(ring))
}
