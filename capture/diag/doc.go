// Package diag is the kiosk's automated camera troubleshooting: the help
// pages' manual checklist (camera not detected, permission denied, busy,
// black screen, frozen picture, wrong camera selected) as checks with
// stable IDs that run at start, on demand, and continuously where cheap,
// and a Monitor that folds them and the capture.Runner's state into the one
// capture.State the UI, staff and /healthz show.
//
// Each check yields a Result: its ID (CheckPresent...), a Status, and a
// message key plus parameters for the catalogues in kiosk-ui/i18n
// (camera.json); Go never writes the sentence. Device checks read only the
// file system (stat, access(2), sysfs, /proc) and never open the camera, so
// they cannot disturb the stream or wake a USB camera from power saving.
// The black and frozen checks look at one hub frame every SampleEvery
// (500 ms), reduced to a 64x48 grid of luma samples: ~3000 byte reads, far
// below the cost of the frame itself.
//
//   - camera.present: the configured node (or by-id link) exists.
//   - camera.permission: access(2) for read and write; on failure it names
//     the node's group, whether to join it or to fix the node's mode.
//   - camera.busy: when the Runner reports EBUSY, the process holding the
//     node, found by scanning /proc/*/fd (only processes kioskd may inspect:
//     its own user's, or all when root).
//   - camera.streaming: the Runner is streaming and frames arrive.
//   - camera.black: 85% of the samples below BlackLuma for BlackAfter. The
//     mean luma alone misses a covered camera with a timestamp overlay.
//   - camera.frozen: byte-identical luma grids for FrozenAfter. Decimation
//     (not averaging) keeps sensor noise, so a live camera watching a still
//     scene never matches exactly, while a frozen one always does.
//   - camera.wrong: the configured camera is missing while another one is
//     connected (sysfs video4linux, capture nodes only).
package diag
