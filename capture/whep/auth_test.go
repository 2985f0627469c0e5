package whep

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestParseToken(t *testing.T) {
	hash := fmt.Sprintf("%x", HashToken("s3cret-s3cret-s3cret"))
	tests := []struct {
		in      string
		name    string
		max     int
		wantErr string
	}{
		{"ops-alice:2:" + hash, "ops-alice", 2, ""},
		{"ops@example.org:10:" + strings.ToUpper(hash), "ops@example.org", 10, ""},
		{"alice:2", "", 0, "name:max_viewers:sha256-hex"},
		{"alice:0:" + hash, "", 0, "max_viewers"},
		{"alice:x:" + hash, "", 0, "max_viewers"},
		{"al ice:1:" + hash, "", 0, "token name"},
		{"alice:1:s3cret-s3cret-s3cret", "", 0, "not the token"},
		{"alice:1:" + hash[:62], "", 0, "64 hex digits"},
	}
	for _, tt := range tests {
		got, err := ParseToken(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseToken(%q) error %v, want one mentioning %q", tt.in, err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("ParseToken(%q) error repeats the secret: %v", tt.in, err)
			}
			continue
		}
		if err != nil || got.Name != tt.name || got.MaxViewers != tt.max || got.Hash != HashToken("s3cret-s3cret-s3cret") {
			t.Errorf("ParseToken(%q) = %+v, %v; want %s max %d", tt.in, got, err, tt.name, tt.max)
		}
	}
}

func TestTokens_Authenticate(t *testing.T) {
	ts := Tokens{tokenLine("alice", 1, secretAlice), tokenLine("bob", 1, secretBob)}
	tests := []struct {
		header string
		want   string
		ok     bool
	}{
		{"Bearer " + secretAlice, "alice", true},
		{"bearer " + secretBob, "bob", true},
		{"Bearer  " + secretBob + " ", "bob", true},
		{"Basic " + secretAlice, "", false},
		{"Bearer", "", false},
		{"Bearer nope", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		r, _ := http.NewRequest(http.MethodPost, "/whep", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		got, ok := ts.Authenticate(r)
		if ok != tt.ok || got.Name != tt.want {
			t.Errorf("Authorization %q: %q, %v; want %q, %v", tt.header, got.Name, ok, tt.want, tt.ok)
		}
	}
}

func TestCheckICEURL(t *testing.T) {
	for _, u := range []string{"stun:stun.example.org:3478", "turn:turn.example.org:3478?transport=tcp", "turns:t.example.org"} {
		if err := checkICEURL(u); err != nil {
			t.Errorf("checkICEURL(%q) = %v", u, err)
		}
	}
	for _, u := range []string{"http://stun.example.org", "stun:", "example.org:3478"} {
		if err := checkICEURL(u); err == nil {
			t.Errorf("checkICEURL(%q): no error", u)
		}
	}
}

func TestLinkHeaders(t *testing.T) {
	got := linkHeaders([]ICEServer{
		{URLs: []string{"stun:stun.example.org"}},
		{URLs: []string{"turn:turn.example.org?transport=udp"}, Username: "kiosk", Credential: "pw"},
	})
	want := []string{
		`<stun:stun.example.org>; rel="ice-server"`,
		`<turn:turn.example.org?transport=udp>; rel="ice-server"; username="kiosk"; credential="pw"; credential-type="password"`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("linkHeaders =\n%q\nwant\n%q", got, want)
	}
}
