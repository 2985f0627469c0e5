package quality

// Guidance keys: the catalogue keys (kiosk-ui/i18n/*/quality.json) of the
// advice for a failed check. A check carries the key of the advice that
// fixes it; an assessment's Key is the first failing one, in the order the
// checks are listed, which puts what the learner must fix first (light,
// then what is in the picture, then how it is framed, then keeping still).
const (
	KeyTooDark        = "quality.too_dark"
	KeyTooBright      = "quality.too_bright"
	KeyLowContrast    = "quality.low_contrast"
	KeyNoFace         = "quality.no_face"
	KeyOnePerson      = "quality.one_person"
	KeyMoveCloser     = "quality.move_closer"
	KeyMoveBack       = "quality.move_back"
	KeyCentreFace     = "quality.centre_face"
	KeyShowIDWithFace = "quality.show_id_with_face"
	KeyHoldIDCloser   = "quality.hold_id_closer"
	KeyPlaceCard      = "quality.place_card"
	KeyFitCard        = "quality.fit_card"
	KeyShowPhotoSide  = "quality.show_photo_side"
	KeyGlare          = "quality.glare"
	KeyHoldStill      = "quality.hold_still"
	KeyBlurry         = "quality.blurry"
)

// Keys lists every guidance key, for the catalogue tests.
func Keys() []string {
	return []string{
		KeyTooDark, KeyTooBright, KeyLowContrast, KeyNoFace, KeyOnePerson,
		KeyMoveCloser, KeyMoveBack, KeyCentreFace, KeyShowIDWithFace, KeyHoldIDCloser,
		KeyPlaceCard, KeyFitCard, KeyShowPhotoSide, KeyGlare, KeyHoldStill, KeyBlurry,
	}
}
