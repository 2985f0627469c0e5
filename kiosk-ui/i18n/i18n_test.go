package i18n

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCatalogues_SameKeys(t *testing.T) {
	en, ok := Catalogue(Fallback)
	if !ok || len(en) == 0 {
		t.Fatalf("no %s catalogue", Fallback)
	}
	want := slices.Sorted(maps.Keys(en))
	for _, lang := range Languages() {
		c, ok := Catalogue(lang)
		if !ok {
			t.Fatalf("Catalogue(%q) missing", lang)
		}
		for _, k := range want {
			if _, ok := c[k]; !ok {
				t.Errorf("%s: missing key %q", lang, k)
			}
		}
		for k := range c {
			if _, ok := en[k]; !ok {
				t.Errorf("%s: key %q not in %s", lang, k, Fallback)
			}
		}
	}
}

func TestCatalogues_PlaceholdersMatch(t *testing.T) {
	en, _ := Catalogue(Fallback)
	for _, lang := range Languages() {
		c, _ := Catalogue(lang)
		for k, text := range c {
			got := slices.Sorted(slices.Values(Placeholders(text)))
			want := slices.Sorted(slices.Values(Placeholders(en[k])))
			if !slices.Equal(got, want) {
				t.Errorf("%s %q: placeholders %v, want %v as in %s", lang, k, got, want, Fallback)
			}
		}
	}
}

func TestCatalogues_WellFormed(t *testing.T) {
	for _, lang := range Languages() {
		raw, ok := JSON(lang)
		if !ok {
			t.Fatalf("JSON(%q) missing", lang)
		}
		var m map[string]string
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		for k, v := range m {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s %q: empty text", lang, k)
			}
			if !utf8.ValidString(v) || strings.ContainsAny(v, "<>") {
				t.Errorf("%s %q: %q is not plain text", lang, k, v)
			}
			if strings.Count(v, "{") != strings.Count(v, "}") {
				t.Errorf("%s %q: unbalanced braces in %q", lang, k, v)
			}
		}
	}
}

func TestCatalogues_NativeLanguageNames(t *testing.T) {
	want := map[string]string{"en": "English", "es": "Español", "fr": "Français"}
	for _, lang := range Languages() {
		if got := Lookup(lang, "language.name", nil); got != want[lang] {
			t.Errorf("%s language.name = %q, want %q", lang, got, want[lang])
		}
	}
}

// Translations that are word-for-word English are usually forgotten ones.
func TestCatalogues_Translated(t *testing.T) {
	same := map[string]bool{ // legitimately identical across languages
		"kb.accents": true, "kb.letters": true, "review.photos": true, "language.name": true,
	}
	en, _ := Catalogue(Fallback)
	for _, lang := range Languages() {
		if lang == Fallback {
			continue
		}
		c, _ := Catalogue(lang)
		for k, v := range c {
			if v == en[k] && !same[k] {
				t.Errorf("%s %q is still in English: %q", lang, k, v)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		lang, key string
		params    map[string]string
		want      string
	}{
		{"en", "email_no_account", map[string]string{"email": "ana@example.org"}, "We couldn’t find an account for ana@example.org."},
		{"fr", "email_no_account", map[string]string{"email": "ana@example.org"}, "Nous n’avons trouvé aucun compte pour ana@example.org."},
		{"es", "name_too_long", map[string]string{"max": "200"}, "El nombre es demasiado largo. Puede tener como máximo 200 caracteres."},
		{"de", "common.next", nil, "Next"},                                          // unknown language: English
		{"es", "no.such.key", nil, "no.such.key"},                                   // unknown key: the key
		{"en", "email_no_account", nil, "We couldn’t find an account for {email}."}, // missing param stays visible
	}
	for _, tt := range tests {
		if got := Lookup(tt.lang, tt.key, tt.params); got != tt.want {
			t.Errorf("Lookup(%q, %q, %v) = %q, want %q", tt.lang, tt.key, tt.params, got, tt.want)
		}
	}
}

func TestExpand(t *testing.T) {
	tests := []struct {
		text   string
		params map[string]string
		want   string
	}{
		{"Hello {name}!", map[string]string{"name": "Zoë"}, "Hello Zoë!"},
		{"{a}{b}", map[string]string{"a": "1", "b": "2"}, "12"},
		{"{a} and {a}", map[string]string{"a": "x"}, "x and x"},
		{"no params", map[string]string{"a": "x"}, "no params"},
		{"open { only", map[string]string{"a": "x"}, "open { only"},
		{"{value}", map[string]string{"value": "{value}"}, "{value}"}, // not expanded twice
	}
	for _, tt := range tests {
		if got := Expand(tt.text, tt.params); got != tt.want {
			t.Errorf("Expand(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestCatalogue_IsACopy(t *testing.T) {
	c, _ := Catalogue("en")
	c["common.next"] = "changed"
	if got := Lookup("en", "common.next", nil); got != "Next" {
		t.Errorf("changing a returned catalogue changed Lookup: %q", got)
	}
}
