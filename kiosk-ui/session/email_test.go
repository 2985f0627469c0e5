package session

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantKey string
	}{
		{"ana@example.org", "ana@example.org", ""},
		{"  Ana.Perez+kiosk@Example.ORG ", "Ana.Perez+kiosk@example.org", ""},
		{"o'brien@mail.example.co.uk", "o'brien@mail.example.co.uk", ""},
		{"jose@münchen.de", "jose@münchen.de", ""},
		{"a@b-c.io", "a@b-c.io", ""},
		{strings.Repeat("a", 64) + "@example.org", strings.Repeat("a", 64) + "@example.org", ""},

		{"", "", KeyEmailEmpty},
		{"   ", "", KeyEmailEmpty},
		{"ana", "", KeyEmailInvalid},
		{"ana@", "", KeyEmailInvalid},
		{"@example.org", "", KeyEmailInvalid},
		{"ana@@example.org", "", KeyEmailInvalid},
		{"ana@example", "", KeyEmailInvalid},
		{"ana@example.", "", KeyEmailInvalid},
		{"ana@.example.org", "", KeyEmailInvalid},
		{"ana@example..org", "", KeyEmailInvalid},
		{"ana@-example.org", "", KeyEmailInvalid},
		{"ana@example-.org", "", KeyEmailInvalid},
		{"ana@exa_mple.org", "", KeyEmailInvalid},
		{"ana@example.1", "", KeyEmailInvalid},
		{"ana@192.168.1.1", "", KeyEmailInvalid},
		{"ana@[192.168.1.1]", "", KeyEmailInvalid},
		{"ana perez@example.org", "", KeyEmailInvalid},
		{"Ana <ana@example.org>", "", KeyEmailInvalid},
		{"ana@example.org (home)", "", KeyEmailInvalid},
		{"ana@example.org, bob@example.org", "", KeyEmailInvalid},
		{`"ana perez"@example.org`, "", KeyEmailInvalid},
		{strings.Repeat("a", 65) + "@example.org", "", KeyEmailInvalid},
		{"a@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + "." + strings.Repeat("e", 60) + ".org", "", KeyEmailInvalid},
		{"a@" + strings.Repeat("b", 64) + ".org", "", KeyEmailInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizeEmail(tt.in)
			if tt.wantKey == "" {
				if err != nil || got != tt.want {
					t.Errorf("NormalizeEmail(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Key != tt.wantKey {
				t.Errorf("NormalizeEmail(%q) = %q, %v; want error key %s", tt.in, got, err, tt.wantKey)
			}
		})
	}
}

func TestSuggestEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		// listed typos
		{"ana@gmial.com", "ana@gmail.com"},
		{"ana@gmai.com", "ana@gmail.com"},
		{"ana@gamil.com", "ana@gmail.com"},
		{"ana@gnail.com", "ana@gmail.com"},
		{"ana@hotmial.com", "ana@hotmail.com"},
		{"ana@hotmal.com", "ana@hotmail.com"},
		{"ana@yaho.com", "ana@yahoo.com"},
		{"ana@yahooo.com", "ana@yahoo.com"},
		{"ana@outlok.com", "ana@outlook.com"},
		{"ana@outloo.com", "ana@outlook.com"},
		{"ana@iclod.com", "ana@icloud.com"},
		{"ana@gmail.fr", "ana@gmail.com"},
		{"ana@laposte.fr", "ana@laposte.net"},
		// edit distance
		{"ana@gmaiil.com", "ana@gmail.com"},
		{"ana@hotmali.com", "ana@hotmail.com"},
		{"ana@oranje.fr", "ana@orange.fr"},
		{"ana@hotmail.frr", "ana@hotmail.fr"},
		{"ana@yahooo.fr", "ana@yahoo.fr"},
		{"ana@protonmial.com", "ana@protonmail.com"},
		// top-level domain typos on any domain
		{"ana@gmail.con", "ana@gmail.com"},
		{"ana@gmail.cmo", "ana@gmail.com"},
		{"ana@example.con", "ana@example.com"},
		{"ana@uni-example.nte", "ana@uni-example.net"},
		// local part kept as typed
		{"Ana.Perez@gmial.com", "Ana.Perez@gmail.com"},
		// no suggestion
		{"ana@gmail.com", ""},
		{"ana@mail.com", ""},
		{"ana@gmx.de", ""},
		{"ana@gmx.ch", ""},
		{"ana@hotmail.be", ""},
		{"ana@yahoo.co.jp", ""},
		{"ana@example.org", ""},
		{"ana@univ-lyon1.fr", ""},
		{"ana@aol.com", ""},
		{"ana@me.com", ""},
		{"ana@live.fr", ""},
		{"ana@wp.pl", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := SuggestEmail(tt.in); got != tt.want {
				t.Errorf("SuggestEmail(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDamerauLevenshtein(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"gmail.com", "gmail.com", 0},
		{"gmial.com", "gmail.com", 1}, // swap
		{"gmai.com", "gmail.com", 1},  // deletion
		{"gmaill.com", "gmail.com", 1},
		{"gnail.com", "gmail.com", 1},
		{"gamil.com", "gmail.com", 1},
		{"ca", "abc", 3},
		{"yhaoo.com", "yahoo.com", 1},
		{"é", "e", 1},
	}
	for _, tt := range tests {
		if got := damerauLevenshtein(tt.a, tt.b); got != tt.want {
			t.Errorf("damerauLevenshtein(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// Every suggestion must itself be accepted, or the learner gets stuck.
func TestSuggestEmail_SuggestionsAreValid(t *testing.T) {
	for typo := range domainTypos {
		in := "ana@" + typo
		if _, err := NormalizeEmail(in); err != nil {
			continue // not reachable: the typo fails validation first
		}
		s := SuggestEmail(in)
		if s == "" {
			t.Errorf("SuggestEmail(%q) = \"\", want a fix", in)
			continue
		}
		if _, err := NormalizeEmail(s); err != nil {
			t.Errorf("suggestion %q for %q does not validate: %v", s, in, err)
		}
		if again := SuggestEmail(s); again != "" {
			t.Errorf("suggestion %q draws another suggestion %q", s, again)
		}
	}
}
