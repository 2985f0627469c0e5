package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"strings"
	"sync"
)

// Catalogues live in <lang>/<area>.json (flow, camera, staff, ...), so each
// part of the kiosk keeps its own text; a language is the union of its files.
//
//go:embed */*.json
var files embed.FS

// Fallback is the language used for a key a catalogue lacks.
const Fallback = "en"

// languages in picker order: the fallback first.
var languages = []string{"en", "es", "fr"}

type catalogue struct {
	raw      []byte
	messages map[string]string
}

// load parses the embedded catalogues once. They are part of the binary, so
// a parse error is a build bug that the tests catch; it panics.
var load = sync.OnceValue(func() map[string]catalogue {
	all := make(map[string]catalogue, len(languages))
	for _, lang := range languages {
		m, err := readLanguage(lang)
		if err != nil {
			panic(fmt.Sprintf("i18n: %v", err))
		}
		raw, err := json.Marshal(m)
		if err != nil {
			panic(fmt.Sprintf("i18n: %s catalogue: %v", lang, err))
		}
		all[lang] = catalogue{raw: raw, messages: m}
	}
	return all
})

// readLanguage merges every area file of one language. A key defined in two
// files is an error: one of the two texts would silently win.
func readLanguage(lang string) (map[string]string, error) {
	paths, err := fs.Glob(files, lang+"/*.json")
	if err != nil || len(paths) == 0 {
		return nil, fmt.Errorf("no catalogue files for %s", lang)
	}
	merged := map[string]string{}
	from := map[string]string{}
	for _, p := range paths {
		raw, err := files.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		var m map[string]string
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("parse %s: %w", p, err)
		}
		for k, v := range m {
			if prev, dup := from[k]; dup {
				return nil, fmt.Errorf("key %q is in both %s and %s", k, prev, p)
			}
			merged[k], from[k] = v, p
		}
	}
	return merged, nil
}

// Languages lists the catalogues' language tags, the fallback first.
func Languages() []string {
	return append([]string(nil), languages...)
}

// Catalogue returns a copy of the messages for lang.
func Catalogue(lang string) (map[string]string, bool) {
	c, ok := load()[lang]
	if !ok {
		return nil, false
	}
	return maps.Clone(c.messages), true
}

// JSON returns the catalogue for lang as the page fetches it.
func JSON(lang string) ([]byte, bool) {
	c, ok := load()[lang]
	if !ok {
		return nil, false
	}
	return append([]byte(nil), c.raw...), true
}

// Lookup returns the text for key in lang, falling back to English and then
// to the key itself, with each {name} replaced by params[name]. Placeholders
// without a param are left as they are, so a missing param shows up in
// testing instead of vanishing.
func Lookup(lang, key string, params map[string]string) string {
	all := load()
	text, ok := all[lang].messages[key]
	if !ok {
		text, ok = all[Fallback].messages[key]
	}
	if !ok {
		return key
	}
	return Expand(text, params)
}

// Expand replaces {name} placeholders in text with params.
func Expand(text string, params map[string]string) string {
	if len(params) == 0 || !strings.Contains(text, "{") {
		return text
	}
	var b strings.Builder
	for {
		open := strings.IndexByte(text, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(text[open:], '}')
		if end < 0 {
			break
		}
		name := text[open+1 : open+end]
		b.WriteString(text[:open])
		if v, ok := params[name]; ok {
			b.WriteString(v)
		} else {
			b.WriteString(text[open : open+end+1])
		}
		text = text[open+end+1:]
	}
	b.WriteString(text)
	return b.String()
}

// Placeholders returns the {name} placeholders in text, in order.
func Placeholders(text string) []string {
	var names []string
	for {
		open := strings.IndexByte(text, '{')
		if open < 0 {
			return names
		}
		end := strings.IndexByte(text[open:], '}')
		if end < 0 {
			return names
		}
		names = append(names, text[open+1:open+end])
		text = text[open+end+1:]
	}
}
