package browsertest

import (
	"fmt"

	"github.com/chromedp/chromedp"
)

// The learner's moves that several tests share. Each returns the actions
// for b.Run(...).

// PickLanguage taps a language on the welcome screen and waits until the
// page has switched to it.
func (b *Tab) PickLanguage(lang string) []Action {
	return []Action{
		b.Step("welcome"),
		Click("lang-" + lang),
		Visible(fmt.Sprintf(`html[lang="%s"] body[data-step="welcome"]`, lang)),
	}
}

// ChooseID picks the ID type and says whether photo and name are on
// opposite sides.
func (b *Tab) ChooseID(idType string, twoSided bool) []Action {
	side := "two-sided-no"
	if twoSided {
		side = "two-sided-yes"
	}
	return []Action{b.Step("idtype"), Click("idtype-" + idType), Click(side), Click("idtype-next")}
}

// TakePhotos takes and accepts every photo: the face with the capture
// button, the ID by placing it in the (simulated) cradle from the demo
// panel and, for a two-sided ID, the name side by turning the card over
// (out of the cradle and back in). It ends on the review screen.
func (b *Tab) TakePhotos(twoSided bool) []Action {
	acts := []Action{
		b.Step("face"),
		Visible(`img[data-testid="preview"]`),
		TakeOrAwaitPhoto(),
		Visible(`img[data-testid="photo"]`),
		Click("accept-photo"),
		b.Step("id_photo"),
		Click("demo-toggle"), Click("demo-place"),
		Visible(`img[data-testid="photo"]`),
		Click("accept-photo"),
	}
	if twoSided {
		acts = append(acts,
			b.Step("id_name"),
			Click("demo-toggle"), Click("demo-remove"),
			Click("demo-toggle"), Click("demo-place"),
			Visible(`img[data-testid="photo"]`),
			Click("accept-photo"),
		)
	}
	return append(acts, b.Step("review"))
}

// TakeOrAwaitPhoto taps "Take photo" if the page offers it, and waits until
// a photo is shown: with photo checks on, kioskd captures by itself once the
// picture is good and offers the button only after a while.
func TakeOrAwaitPhoto() Action {
	return chromedp.Poll[chromedp.Void](`(() => {
		if (document.querySelector('img[data-testid="photo"]')) return true;
		const b = document.querySelector('[data-testid="capture"]:not([disabled]):not([hidden])');
		if (b && !b.dataset.tapped) { b.dataset.tapped = "1"; b.click(); }
		return false;
	})()`, chromedp.WithPollingTimeout(0))
}
