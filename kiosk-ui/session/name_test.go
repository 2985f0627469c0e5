package session

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeName(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantKey string
	}{
		{"plain", "Ana Pérez", "Ana Pérez", ""},
		{"trim and collapse", "  Ana \t", "", KeyNameInvalidChars}, // a tab is a control character
		{"collapse spaces", "  Jean   Paul \u00a0 Sartre  ", "Jean Paul Sartre", ""},
		{"ideographic space", "王\u3000小明", "王 小明", ""},
		{"apostrophes and hyphen", "Seán O'Brien-D’Arcy", "Seán O'Brien-D’Arcy", ""},
		{"periods and commas", "Martin Luther King, Jr.", "Martin Luther King, Jr.", ""},
		{"catalan middle dot", "Gal·la Puig", "Gal·la Puig", ""},
		{"arabic", "محمد بن سلمان", "محمد بن سلمان", ""},
		{"chinese", "王小明", "王小明", ""},
		{"devanagari with marks", "अर्जुन शर्मा", "अर्जुन शर्मा", ""},
		{"NFD becomes NFC", "Zoe\u0308", "Zo\u00eb", ""},
		{"persian with ZWNJ", "نازنین\u200cزهرا محمدی", "نازنین\u200cزهرا محمدی", ""},
		{"ZWJ allowed", "क\u094d\u200dष", "क\u094d\u200dष", ""},
		{"okina is a letter", "Kaʻiulani", "Kaʻiulani", ""},
		{"exactly 200", strings.Repeat("a", MaxNameLen), strings.Repeat("a", MaxNameLen), ""},

		{"empty", "", "", KeyNameEmpty},
		{"only spaces", "   \u00a0  ", "", KeyNameEmpty},
		{"201 characters", strings.Repeat("a", MaxNameLen+1), "", KeyNameTooLong},
		{"10000 characters", strings.Repeat("é", 10000), "", KeyNameTooLong},
		{"newline", "Ana\nPérez", "", KeyNameInvalidChars},
		{"NUL", "Ana\x00", "", KeyNameInvalidChars},
		{"escape", "Ana\x1b[31m", "", KeyNameInvalidChars},
		{"right-to-left override", "Ana\u202eZERP", "", KeyNameInvalidChars},
		{"zero width space", "Ana\u200bPérez", "", KeyNameInvalidChars},
		{"byte order mark", "\ufeffAna", "", KeyNameInvalidChars},
		{"line separator", "Ana\u2028Pérez", "", KeyNameInvalidChars},
		{"private use", "Ana\ue000", "", KeyNameInvalidChars},
		{"invalid utf-8", "Ana\xff", "", KeyNameInvalidChars},
		{"digits", "Ana 2", "", KeyNameInvalidSymbol},
		{"at sign", "ana@example.org", "", KeyNameInvalidSymbol},
		{"emoji", "Ana 😀", "", KeyNameInvalidSymbol},
		{"angle brackets", "<script>", "", KeyNameInvalidSymbol},
		{"no letters", "-- . ,", "", KeyNameNoLetters},
		{"only ZWNJ", "\u200c", "", KeyNameNoLetters},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeName(tt.in)
			if tt.wantKey == "" {
				if err != nil || got != tt.want {
					t.Errorf("NormalizeName(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Key != tt.wantKey || !errors.Is(err, ErrInvalidInput) {
				t.Errorf("NormalizeName(%q) = %q, %v; want error key %s", tt.in, got, err, tt.wantKey)
			}
		})
	}
}

func TestNormalizeName_MessageParams(t *testing.T) {
	_, err := NormalizeName("Ana 2")
	var e *Error
	if !errors.As(err, &e) || e.Params["char"] != "2" {
		t.Errorf("digit: err %v, want param char=2", err)
	}
	_, err = NormalizeName(strings.Repeat("x", 300))
	if !errors.As(err, &e) || e.Params["max"] != "200" {
		t.Errorf("too long: err %v, want param max=200", err)
	}
}
