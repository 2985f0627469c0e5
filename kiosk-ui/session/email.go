package session

import (
	"net/mail"
	"strings"
	"unicode"
)

// Limits from RFC 5321 (path 256 including the angle brackets, local part
// 64 octets), as mail servers enforce them.
const (
	MaxEmailLen = 254
	maxLocalLen = 64
)

// NormalizeEmail checks that raw is one bare address (no display name, no
// comments) that mail can be delivered to, and returns it with the domain
// lowercased.
func NormalizeEmail(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", invalid(KeyEmailEmpty, nil)
	}
	bad := invalid(KeyEmailInvalid, nil)
	if len(s) > MaxEmailLen || strings.ContainsAny(s, "<>\"") {
		return "", bad
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", bad
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], strings.ToLower(s[at+1:])
	if len(local) > maxLocalLen || !validDomain(domain) {
		return "", bad
	}
	return local + "@" + domain, nil
}

// validDomain accepts host names with at least two labels of letters (any
// script, for internationalised domains), digits and inner hyphens, and a
// top-level label that is not all digits. IP literals are refused: nobody's
// personal address is one.
func validDomain(d string) bool {
	if len(d) > 253 {
		return false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && !unicode.IsMark(r) {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if len([]rune(tld)) < 2 {
		return false
	}
	return strings.IndexFunc(tld, func(r rune) bool { return !unicode.IsDigit(r) }) >= 0
}

// SuggestEmail returns email with a likely typo in its domain fixed
// (gmial.com -> gmail.com), or "" when the domain looks right. The learner
// decides: the suggestion is offered, never applied silently.
func SuggestEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return ""
	}
	local, domain := email[:at], strings.ToLower(email[at+1:])
	if fixed := suggestDomain(domain); fixed != "" && fixed != domain {
		return local + "@" + fixed
	}
	return ""
}

func suggestDomain(domain string) string {
	if knownDomains[domain] {
		return ""
	}
	if fix, ok := domainTypos[domain]; ok {
		return fix
	}
	candidate := domain
	for _, t := range tldTypos {
		if strings.HasSuffix(domain, t.bad) {
			candidate = strings.TrimSuffix(domain, t.bad) + t.good
			break
		}
	}
	if knownDomains[candidate] {
		return candidate
	}
	if near := nearestPopular(candidate); near != "" {
		return near
	}
	if candidate != domain {
		return candidate // example.con -> example.com, even for unknown domains
	}
	return ""
}

// nearestPopular finds the popular domain within edit distance 2 of d.
// Short domains are left alone: at length 5 almost anything is within 2.
func nearestPopular(d string) string {
	if len([]rune(d)) < 6 {
		return ""
	}
	best, bestDist := "", 3
	for _, p := range popularDomains {
		if sameBaseOtherCountry(d, p) {
			continue
		}
		if dist := damerauLevenshtein(d, p); dist < bestDist {
			best, bestDist = p, dist
		}
	}
	return best
}

// sameBaseOtherCountry reports hotmail.be against hotmail.fr: a regional
// variant that really exists, not a typo, whatever the edit distance.
func sameBaseOtherCountry(a, b string) bool {
	ai, bi := strings.LastIndexByte(a, '.'), strings.LastIndexByte(b, '.')
	if ai < 0 || bi < 0 || a[:ai] != b[:bi] {
		return false
	}
	return len(a)-ai-1 == 2 && len(b)-bi-1 == 2
}

// damerauLevenshtein is the optimal-string-alignment distance: insertions,
// deletions, substitutions and swaps of adjacent characters each cost 1,
// which is how fingers mistype (gmial, hotmial).
func damerauLevenshtein(a, b string) int {
	s, t := []rune(a), []rune(b)
	prev2 := make([]int, len(t)+1)
	prev := make([]int, len(t)+1)
	cur := make([]int, len(t)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(s); i++ {
		cur[0] = i
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(t)]
}
