package session

import (
	"testing"

	"github.com/idkiosk/idkiosk/capture/quality"
	"github.com/idkiosk/idkiosk/kiosk-ui/i18n"
)

// The guidance keys come from capture/quality and reach the page through
// State.Quality and State.Message: every catalogue must have them.
func TestQualityKeys_InEveryCatalogue(t *testing.T) {
	if len(quality.Keys()) < 10 {
		t.Fatalf("quality.Keys lists %d keys; want every guidance key", len(quality.Keys()))
	}
	for _, lang := range i18n.Languages() {
		c, _ := i18n.Catalogue(lang)
		for _, k := range quality.Keys() {
			if _, ok := c[k]; !ok {
				t.Errorf("%s catalogue lacks %q", lang, k)
			}
		}
	}
}
