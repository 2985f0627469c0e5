package envelope

import (
	"strings"
	"testing"

	"github.com/idkiosk/idkiosk/sync/api"
)

func TestServiceKeys_RoundTrip(t *testing.T) {
	old, cur := testKey(t), testKey(t)
	sk, err := ServiceKeys(KeyRing{old.KeyID: old, cur.KeyID: cur}, cur.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ParseServiceKeys(sk)
	if err != nil {
		t.Fatalf("ParseServiceKeys(ServiceKeys(...)): %v", err)
	}
	if got := l.Current().KeyID; got != cur.KeyID {
		t.Errorf("current %s, want %s", got, cur.KeyID)
	}
	// What the kiosk seals to the current key, the service opens.
	if env, err := Seal(l.Current(), testProfile(t, 2)); err != nil {
		t.Fatal(err)
	} else if _, _, err := Open(KeyRing{cur.KeyID: cur}, env); err != nil {
		t.Errorf("envelope sealed to the parsed current key does not open: %v", err)
	}
	if again, err := ParseServiceKeys(l.API()); err != nil || again.Current().KeyID != cur.KeyID || len(again.keys) != 2 {
		t.Errorf("API() does not round-trip: %v", err)
	}
	if _, err := ServiceKeys(KeyRing{old.KeyID: old}, cur.KeyID); err == nil {
		t.Error("ServiceKeys with a current key outside the ring: err = nil")
	}
}

// A key list is what decides who can read every future profile: each way
// it could be wrong must be refused, whatever channel it came over.
func TestParseServiceKeys_Refuses(t *testing.T) {
	a, b := testKey(t), testKey(t)
	good := func() api.ServiceKeys {
		return api.ServiceKeys{Current: a.KeyID, Keys: []api.ServiceKey{a.Public().API(), b.Public().API()}}
	}
	for _, tt := range []struct {
		name string
		edit func(*api.ServiceKeys)
		want string
	}{
		{"empty", func(s *api.ServiceKeys) { s.Keys = nil }, "empty"},
		{"current not listed", func(s *api.ServiceKeys) { s.Current = "0011223344556677" }, "not in the list"},
		{"id not of the key", func(s *api.ServiceKeys) { s.Keys[1].KeyID = a.KeyID }, "does not match"},
		{"swapped bytes", func(s *api.ServiceKeys) { s.Keys[0].PublicKey = b.Public().API().PublicKey }, "does not match"},
		{"listed twice", func(s *api.ServiceKeys) { s.Keys[1] = s.Keys[0] }, "twice"},
		{"weaker suite", func(s *api.ServiceKeys) { s.Keys[0].Suite.KEM = 0x0020 }, "suite"},
		{"not a key", func(s *api.ServiceKeys) { s.Keys[0].PublicKey = []byte("short") }, "public key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sk := good()
			tt.edit(&sk)
			_, err := ParseServiceKeys(sk)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := ParseServiceKeys(good()); err != nil {
		t.Errorf("the good list: %v", err)
	}
}

func TestGenerateKey_CreatedSurvivesKeyFile(t *testing.T) {
	k := testKey(t)
	if k.Created.IsZero() {
		t.Fatal("GenerateKey left Created zero: the service could not tell its newest key")
	}
	priv, _, err := WriteKeyPair(t.TempDir(), k)
	if err != nil {
		t.Fatal(err)
	}
	got, err := LoadPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Created.Equal(k.Created) {
		t.Errorf("Created after a round trip through the key file: %v, want %v", got.Created, k.Created)
	}
}
