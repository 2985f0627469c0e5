// Package i18n holds the kiosk's message catalogues: every sentence a
// learner reads, in English, Spanish and French, as flat JSON objects from
// key to text with {param} placeholders (en.json, es.json, fr.json).
//
// Go code and the page refer to text only by key. The catalogues are
// embedded, so a kiosk never shows a half-translated screen because a file
// went missing; English fills any gap. Each catalogue's "language.name" is
// the language's own name, for the picker.
package i18n
