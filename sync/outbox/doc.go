// Package outbox is the kiosk's durable queue of sealed Verification
// Profiles: the only place a profile lives between the learner tapping
// "submit" and the central service answering 2xx.
//
// # Durability contract
//
// Put returns nil only after the bbolt transaction holding the profile has
// committed and been fsync'd, so the UI may say "saved" as soon as Put
// returns: a power cut after that loses nothing. Each profile is its own
// transaction, so a failed Put leaves no half-written item. Ack, Defer and
// Dead are transactions too: the next attempt time survives a reboot (a
// kiosk that was offline for a week does not wake up and fire its whole
// queue at once), and a dead-lettered profile keeps its sealed bytes and the
// reason; nothing is ever dropped silently.
//
// # What is stored
//
// Only sealed envelopes (package envelope), plus bookkeeping that carries no
// personal data: profile id, times, attempt counts, error strings made by the
// uploader. Put refuses bytes that do not parse as an envelope for the item's
// id, so plaintext cannot end up here by mistake. After delivery the sealed
// blob is deleted and a Receipt (id, created, delivered, digest, attempts)
// remains, so staff can answer "did my profile go through?".
//
// # bbolt pitfalls this package works around
//
//   - Values returned inside a transaction point into the mmap and die with
//     the transaction: everything handed to callers is copied out first.
//   - Deleted values stay in free pages until bbolt reuses them, readable
//     with a hex editor. That is why only sealed data is ever written: a
//     stolen disk shows ciphertext, even for profiles long since delivered.
//   - NoSync must stay false (it is bbolt's default and this package never
//     sets it). With NoSync, "saved" would be a lie until the kernel flushes.
//   - bbolt does not fsync the directory when it creates the file, so Open
//     does, once, for a new file: otherwise the first profile could be
//     committed to a file whose directory entry a power cut loses.
//   - The file lock is held for the life of the Outbox. A second process
//     gets ErrLocked after Options.LockTimeout instead of waiting forever.
//
// # On-disk layout (format version 1)
//
// Buckets, all in one file:
//
//	meta      "version" -> u8 1; "counters" -> 5 x u64 (queued, queued bytes, dead, dead bytes, delivered)
//	queue     seq (u64 BE) -> item record     insertion order = key order
//	dead      seq (u64 BE) -> item record     with the dead reason
//	blobs     seq (u64 BE) -> sealed envelope of a queued or dead item
//	ids       profile id   -> seq (u64 BE)    queued or dead items
//	receipts  profile id   -> receipt (JSON)
//
// The record is kept apart from the blob so that Defer rewrites a few dozen
// bytes, not a 300 KB envelope. Item record, all integers big-endian:
//
//	u8 version (1) | i64 created | i64 next attempt | i64 dead at | u32 attempts
//	| u8 id length | id | u16 last error length | last error | u16 reason length | reason
//
// Times are Unix nanoseconds, 0 meaning unset.
package outbox
