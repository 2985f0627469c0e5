package session

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxNameLen is the longest full name accepted, in characters (code points
// after NFC). Real names on IDs stay well under 100 even for long Spanish,
// Arabic or South Indian names with every particle; 200 leaves twice that
// margin, fits the 255-byte name columns common in identity systems for most
// scripts, and keeps the review screen legible.
const MaxNameLen = 200

const (
	zwnj = '\u200C' // zero-width non-joiner: needed in Persian, Kurdish, Indic names
	zwj  = '\u200D' // zero-width joiner: needed in Arabic-script and Indic names
)

// NormalizeName returns the full name as it will be stored: NFC-normalised,
// trimmed, with runs of spaces collapsed to one. It refuses what cannot be a
// name as printed on an ID, with a message key saying why.
func NormalizeName(raw string) (string, error) {
	if !utf8.ValidString(raw) {
		return "", invalid(KeyNameInvalidChars, nil)
	}
	var b strings.Builder
	space := false
	for _, r := range norm.NFC.String(raw) {
		if unicode.Is(unicode.Zs, r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	name := b.String()
	switch {
	case name == "":
		return "", invalid(KeyNameEmpty, nil)
	case utf8.RuneCountInString(name) > MaxNameLen:
		return "", invalid(KeyNameTooLong, map[string]string{"max": strconv.Itoa(MaxNameLen)})
	}
	letters := false
	for _, r := range name {
		switch nameRune(r) {
		case runeLetter:
			letters = true
		case runeInvisible:
			return "", invalid(KeyNameInvalidChars, nil)
		case runeSymbol:
			return "", invalid(KeyNameInvalidSymbol, map[string]string{"char": string(r)})
		}
	}
	if !letters {
		return "", invalid(KeyNameNoLetters, nil)
	}
	return name, nil
}

type runeClass int

const (
	runeLetter    runeClass = iota
	runeOther               // allowed, but not a letter: marks, spaces, punctuation
	runeInvisible           // control, format, separators, private use
	runeSymbol              // visible but not part of a name: digits, symbols, emoji
)

func nameRune(r rune) runeClass {
	switch {
	case unicode.IsLetter(r):
		return runeLetter
	case unicode.IsMark(r), r == ' ', r == zwnj, r == zwj:
		return runeOther
	}
	switch r {
	case '\'', '\u2019', // apostrophes: O'Brien, D’Angelo
		'-', '\u2010', '\u2011', // hyphens
		'.', ',',
		'\u00B7', // middle dot in Catalan names: Gal·la
		'\u30FB': // katakana middle dot between parts of foreign names
		return runeOther
	}
	if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.Zl, unicode.Zp) || !unicode.IsGraphic(r) {
		return runeInvisible
	}
	return runeSymbol
}
