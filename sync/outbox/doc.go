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
//   - Every page a read touches stays in the process's resident set, since
//     bbolt reads through a shared mmap of the whole file. Envelopes handed
//     out are copied and their pages dropped (madvise), so draining a large
//     backlog does not grow the kiosk's RSS with it.
//   - bbolt never splits a leaf of two large values, so envelopes side by
//     side rewrote each other on delete (~1 MB of writes per delivered
//     400 KB profile): each envelope has its own nested bucket (blob.go).
//   - bbolt writes its whole freelist, one id per free page, in every
//     commit: 64 KB pages and the map freelist keep that small while a
//     backlog drains (boltOptions says why not NoFreelistSync).
//   - bbolt never returns free pages to the file system. Compact rewrites
//     the file when the queue is empty and the file is mostly free pages:
//     to a new file, fsync, rename, fsync the directory.
//   - A commit that fails (a full disk: ErrNoSpace) leaves the file as it
//     was, but bbolt's issue tracker shows in-memory state surviving a
//     failed commit more than once, so the file is reopened before the next
//     transaction.
//
// # Limits and a full disk
//
// Put refuses a profile beyond MaxItems or MaxBytes (ErrFull; dead letters
// count, since they keep their bytes). On a full disk Put fails with
// ErrNoSpace and nothing stored before is touched; once space returns Put
// works again without a restart.
//
// # On-disk layout (format version 2)
//
// Buckets, all in one file:
//
//	meta      "version" -> u8 2; "counters" -> 5 x u64 (queued, queued bytes, dead, dead bytes, delivered)
//	queue     seq (u64 BE) -> item record     insertion order = key order
//	dead      seq (u64 BE) -> item record     with the dead reason
//	envelopes seq (u64 BE) -> bucket {"e" -> sealed envelope} of a queued or dead item
//	blobs     seq (u64 BE) -> sealed envelope (format 1 files only; read, never written: blob.go)
//	ids       profile id   -> seq (u64 BE)    queued or dead items
//	receipts  profile id   -> receipt (JSON), with the polled review state
//	checks    u64 BE next check (unix ns) | profile id -> empty: receipts to poll, soonest first
//
// The record is kept apart from the blob so that Defer rewrites a few dozen
// bytes, not a 300 KB envelope. Item record, all integers big-endian:
//
//	u8 version (1) | i64 created | i64 next attempt | i64 dead at | u32 attempts
//	| u8 id length | id | u16 last error length | last error | u16 reason length | reason
//
// Times are Unix nanoseconds, 0 meaning unset.
package outbox
