package kioskui

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/idkiosk/idkiosk/kiosk-ui/i18n"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
)

func readWeb(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := fs.WalkDir(webFS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(webFS(), path)
		files[path] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("only %d embedded files", len(files))
	}
	return files
}

// The service only accepts live captures taken by kioskd: the page must
// have no way to pick a file, open a camera, or upload anything, and the
// CSP must not need inline code.
func TestAssets_NoUploadPathNoInlineCode(t *testing.T) {
	banned := []struct {
		re   *regexp.Regexp
		why  string
		only string // file extension the rule applies to; "" = all
	}{
		{regexp.MustCompile(`(?i)type\s*=\s*["']?file`), "file input", ""},
		{regexp.MustCompile(`(?i)["']file["']`), "file input built in script", ".js"},
		{regexp.MustCompile(`getUserMedia`), "browser camera access", ""},
		{regexp.MustCompile(`mediaDevices`), "browser camera access", ""},
		{regexp.MustCompile(`FileReader`), "reading local files", ""},
		{regexp.MustCompile(`(?i)multipart/form-data`), "uploads", ""},
		{regexp.MustCompile(`\bFormData\b`), "uploads", ""},
		{regexp.MustCompile(`(?i)\sstyle\s*=`), "inline style attribute", ".html"},
		{regexp.MustCompile(`\.style\b|["']style["']`), "inline style from script", ".js"},
		{regexp.MustCompile(`(?i)<style`), "inline style element", ""},
		{regexp.MustCompile(`(?i)\son[a-z]+\s*=`), "inline event handler", ".html"},
		{regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write`), "HTML from strings", ".js"},
		{regexp.MustCompile(`\beval\(|new Function\(`), "eval", ".js"},
	}
	script := regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	for path, text := range readWeb(t) {
		for _, b := range banned {
			if b.only != "" && !strings.HasSuffix(path, b.only) {
				continue
			}
			if loc := b.re.FindStringIndex(text); loc != nil {
				t.Errorf("%s: %s (%q)", path, b.why, text[loc[0]:loc[1]])
			}
		}
		if strings.HasSuffix(path, ".html") {
			for _, m := range script.FindAllStringSubmatch(text, -1) {
				if strings.TrimSpace(m[2]) != "" || !strings.Contains(m[1], "src=") {
					t.Errorf("%s: inline <script> %q", path, m[0])
				}
			}
		}
	}
}

// The scanner itself must catch what it is meant to catch.
func TestAssets_ScannerCatchesInlineScript(t *testing.T) {
	script := regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	m := script.FindAllStringSubmatch(`<script>alert(1)</script>`, -1)
	if len(m) != 1 || strings.TrimSpace(m[0][2]) == "" {
		t.Errorf("inline script not detected")
	}
}

var (
	keyCall   = regexp.MustCompile(`\b(?:t|K)\(\s*"([^"]+)"`)
	keyAttr   = regexp.MustCompile(`data-i18n="([^"]+)"`)
	testidStr = regexp.MustCompile(`["'\x60]([a-z][a-z0-9_-]*)["'\x60]`)
)

// Every key the page, the session and this package use must exist in every
// catalogue, or a learner sees a raw key.
func TestKeys_InEveryCatalogue(t *testing.T) {
	used := map[string]string{}
	for _, k := range session.MessageKeys() {
		used[k] = "session"
	}
	for _, k := range MessageKeys() {
		used[k] = "kioskui"
	}
	for path, text := range readWeb(t) {
		for _, m := range keyCall.FindAllStringSubmatch(text, -1) {
			used[m[1]] = path
		}
		for _, m := range keyAttr.FindAllStringSubmatch(text, -1) {
			used[m[1]] = path
		}
	}
	if len(used) < 100 {
		t.Fatalf("found only %d keys; the scanner is broken", len(used))
	}
	for _, lang := range i18n.Languages() {
		c, _ := i18n.Catalogue(lang)
		for k, where := range used {
			if _, ok := c[k]; !ok {
				t.Errorf("%s catalogue lacks %q (used in %s)", lang, k, where)
			}
		}
	}
}

// The lead's browser test drives the page by these data-testid values.
func TestAssets_TestHooks(t *testing.T) {
	var js strings.Builder
	for path, text := range readWeb(t) {
		if strings.HasSuffix(path, ".js") || strings.HasSuffix(path, ".html") {
			js.WriteString(text)
		}
	}
	found := map[string]bool{}
	for _, m := range testidStr.FindAllStringSubmatch(js.String(), -1) {
		found[m[1]] = true
	}
	hooks := []string{
		"start", "check-status", "consent-accept", "consent-decline",
		"email-input", "email-next", "email-use-suggestion", "email-keep", "email-change", "email-continue",
		"name-input", "name-next", "two-sided-yes", "two-sided-no", "idtype-next",
		"capture", "accept-photo", "retake", "preview", "photo", "submit", "saving", "finish",
		"receipt-reference", "message", "back", "keep-alive", "idle-warning", "reconnecting",
		"status-email-input", "status-lookup", "status-result", "status-done",
		"edit-email", "edit-name", "edit-idtype",
		"demo", "demo-place", "demo-remove", "demo-scene", "keyboard", "kb-accents", "kb-dotcom",
	}
	for _, h := range hooks {
		if !found[h] {
			t.Errorf("data-testid %q not found in the page", h)
		}
	}
	// Built from a prefix and a value: check the prefix is there.
	for _, prefix := range []string{"idtype-${", "lang-${", "retake-${", "thumb-${", "key-${", "kb-${"} {
		if !strings.Contains(js.String(), prefix) {
			t.Errorf("dynamic data-testid %q… not found", prefix)
		}
	}
	if !slices.Contains(i18n.Languages(), "es") {
		t.Errorf("no es catalogue for lang-es")
	}
}
