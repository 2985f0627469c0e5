// Package admin is the small web page on the kiosk's admin listener (HTTPS,
// reachable from the network, unlike the learner UI): an admin logs in
// with a bearer token, watches the camera live over WHEP (capture/whep),
// and sees the camera's state, the delivery queue and who else is
// watching.
//
// The page is plain ES modules embedded in the binary, under the same
// strict Content-Security-Policy as the learner UI. The token lives in the
// tab's sessionStorage and goes out only as an Authorization header, never
// in a URL. Every API call checks it; a wrong one is 401 and the page asks
// again. The page's text is English: it is for fleet staff, not learners,
// whose text lives in kiosk-ui/i18n.
//
// For tests and for the staff who read it, the page shows the preview's
// own numbers (frames decoded, picture size, time from the offer to the
// first decoded frame) as data attributes of the stats line.
package admin
