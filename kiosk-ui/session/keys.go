package session

// Message keys the session puts in State.Message and Error.Key. The page
// translates them with the i18n catalogues; a test checks that every key
// listed in MessageKeys exists in every catalogue.
const (
	KeyActionNotAllowed = "action_not_allowed" // a stale or double tap; the page refreshes
	KeyInvalidLanguage  = "invalid_language"

	KeyNameEmpty         = "name_empty"
	KeyNameTooLong       = "name_too_long"       // params: max
	KeyNameInvalidChars  = "name_invalid_chars"  // invisible or control characters
	KeyNameInvalidSymbol = "name_invalid_symbol" // params: char
	KeyNameNoLetters     = "name_no_letters"

	KeyEmailEmpty     = "email_empty"
	KeyEmailInvalid   = "email_invalid"
	KeyEmailNoAccount = "email_no_account" // params: email

	KeyIDTypeInvalid = "idtype_invalid"

	KeyCaptureFailed  = "capture_failed"
	KeyCaptureTimeout = "capture_timeout"
	KeyCardRemoved    = "card_removed"
	KeyPhotoMissing   = "photo_missing" // params: kind

	KeySaveFailed = "save_failed"
	KeyQueueFull  = "queue_full"
	KeyKioskFull  = "kiosk_full" // refused at start: no room for another profile

	KeyCardLeftBehind  = "card_left_behind"
	KeySessionTimedOut = "session_timed_out"
	KeyConsentDeclined = "consent_declined"

	// Staff override of a failed photo check (override.go); the guidance
	// keys themselves are capture/quality's.
	KeyOverrideStaffMissing  = "quality.override_staff_missing"
	KeyOverrideReasonMissing = "quality.override_reason_missing"

	// Staff mode (staff.go).
	KeyStaffPINEmpty    = "staff.pin_empty"
	KeyStaffPINWrong    = "staff.pin_wrong" // params: left (tries before the keypad locks)
	KeyStaffLocked      = "staff.locked"    // params: seconds
	KeyStaffUnlockFirst = "staff.unlock_first"
)

// MessageKeys lists every key above.
func MessageKeys() []string {
	return []string{
		KeyActionNotAllowed, KeyInvalidLanguage,
		KeyNameEmpty, KeyNameTooLong, KeyNameInvalidChars, KeyNameInvalidSymbol, KeyNameNoLetters,
		KeyEmailEmpty, KeyEmailInvalid, KeyEmailNoAccount,
		KeyIDTypeInvalid,
		KeyCaptureFailed, KeyCaptureTimeout, KeyCardRemoved, KeyPhotoMissing,
		KeySaveFailed, KeyQueueFull, KeyKioskFull,
		KeyCardLeftBehind, KeySessionTimedOut, KeyConsentDeclined,
		KeyOverrideStaffMissing, KeyOverrideReasonMissing,
		KeyStaffPINEmpty, KeyStaffPINWrong, KeyStaffLocked, KeyStaffUnlockFirst,
	}
}
