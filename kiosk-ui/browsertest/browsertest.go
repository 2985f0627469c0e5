// Package browsertest drives the kiosk page in Debian's headless Chromium
// for tests: one tab per test, console errors and CSP violations collected
// (each fails the test), and small actions named for what a learner does.
//
// Chromium missing means a skip, unless IDKIOSK_E2E=require (set by `make
// test`), so CI can never pass without running the browser tests.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Action is one chromedp step.
type Action = chromedp.Action[chromedp.Void]

// Tab is one Chromium tab.
type Tab struct {
	t    *testing.T
	ctx  context.Context
	name string

	mu   sync.Mutex
	errs []string
	// Allowed are substrings of console/log lines that are not errors, e.g.
	// "status of 422": the API refusing input is the page working.
	Allowed []string
}

// chromium finds Debian's browser.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("IDKIOSK_E2E") == "require" {
		t.Fatal("chromium not installed (make test installs it: apt-get install chromium)")
	}
	t.Skip("chromium not installed; make test installs it")
	return ""
}

// New starts Chromium and opens a tab that lives until the test ends.
func New(t *testing.T) *Tab {
	t.Helper()
	exe := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // root in CI
		chromedp.WindowSize(1280, 1024),
		// Without these, Chromium on a machine with no internet floods
		// refused connections and fails lookups at every start.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(acancel)
	tab, tcancel := chromedp.NewContext(actx)
	t.Cleanup(tcancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	b := &Tab{t: t, ctx: tab, name: strings.ReplaceAll(t.Name(), "/", "_"),
		Allowed: []string{"status of 422", "status of 409"}}
	b.watchConsole()
	return b
}

// Context is the tab's chromedp context.
func (b *Tab) Context() context.Context { return b.ctx }

// watchConsole records script errors, console errors and warnings, and CSP
// violations (reported in the Log domain).
func (b *Tab) watchConsole() {
	note := func(s string) {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, a := range b.Allowed {
			if strings.Contains(s, a) {
				return
			}
		}
		b.errs = append(b.errs, s)
	}
	exceptions := chromedp.Events(b.ctx, runtime.ExceptionThrown)
	console := chromedp.Events(b.ctx, runtime.ConsoleAPICalled)
	logs := chromedp.Events(b.ctx, cdplog.EntryAdded)
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			d := ev.ExceptionDetails
			desc := ""
			if d.Exception != nil {
				desc = d.Exception.Description
			}
			note(fmt.Sprintf("exception: %s %s at %s:%d", d.Text, desc, d.URL, d.LineNumber))
		}
	}()
	go func() {
		for ev, err := range console {
			if err != nil {
				return
			}
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				note("console: " + strings.Join(parts, " "))
			}
		}
	}()
	go func() {
		for ev, err := range logs {
			if err != nil {
				return
			}
			if e := ev.Entry; e != nil && (e.Level == "error" || e.Level == "warning") {
				note(fmt.Sprintf("log %s: %s %s", e.Source, e.Text, e.URL))
			}
		}
	}()
}

// Run runs actions one by one, each with its own deadline. When one does
// not finish, the test fails with the step the page was on, the console
// errors, and a screenshot saved under IDKIOSK_SCREENSHOTS (or the temp dir).
func (b *Tab) Run(actions ...Action) {
	b.t.Helper()
	for i, a := range actions {
		ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
		err := chromedp.Do(ctx, a)
		cancel()
		if err != nil {
			at, _ := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS("body"), "data-step"))
			shot := b.screenshot("fail")
			b.t.Fatalf("action %d on step %q: %v\nconsole: %v\nscreenshot: %s", i, at.Value, err, b.ConsoleErrors(), shot)
		}
	}
}

func (b *Tab) screenshot(label string) string {
	dir := os.Getenv("IDKIOSK_SCREENSHOTS")
	if dir == "" {
		dir = os.TempDir()
	}
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return ""
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%s.png", b.name, label))
	if os.WriteFile(path, png, 0o600) != nil {
		return ""
	}
	return path
}

// Text returns the text of the element with the given data-testid.
func (b *Tab) Text(testid string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(fmt.Sprintf(`[data-testid="%s"]`, testid))))
	if err != nil {
		b.t.Fatalf("text of %s: %v", testid, err)
	}
	return s
}

// ConsoleErrors returns what the page reported so far.
func (b *Tab) ConsoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.errs)
}

// CheckConsole fails the test for every error the page reported.
func (b *Tab) CheckConsole() {
	b.t.Helper()
	for _, e := range b.ConsoleErrors() {
		b.t.Errorf("%s", e)
	}
}

// Step waits until the page shows the given step; with IDKIOSK_SCREENSHOTS
// set it also keeps a screenshot of it.
func (b *Tab) Step(s string) Action {
	wait := chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`body[data-step="%s"] h1`, s)))
	if os.Getenv("IDKIOSK_SCREENSHOTS") == "" {
		return wait
	}
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if err := chromedp.Do(ctx, wait); err != nil {
			return err
		}
		b.screenshot(s)
		return nil
	})
}

// Navigate opens url.
func Navigate(url string) Action { return chromedp.Navigate(url) }

// Click taps the enabled control with the given data-testid.
func Click(testid string) Action {
	return chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-testid="%s"]:not([disabled])`, testid)))
}

// Visible waits until the CSS selector matches a visible element.
func Visible(sel string) Action { return chromedp.WaitVisible(chromedp.CSS(sel)) }

// Gone waits until the CSS selector matches no visible element.
func Gone(sel string) Action { return chromedp.WaitNotVisible(chromedp.CSS(sel)) }

// Message waits for the learner message with the given catalogue key.
func Message(key string) Action {
	return Visible(fmt.Sprintf(`[data-testid="message"][data-key="%s"]`, key))
}

// Type sends physical key presses to the field with the given data-testid.
func Type(testid, text string) Action {
	return chromedp.SendKeys(chromedp.CSS(fmt.Sprintf(`[data-testid="%s"]`, testid)), text)
}

// Keys types on the page's on-screen keyboard.
func Keys(text string) Action {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for _, r := range text {
			id := "key-" + string(r)
			if r == ' ' {
				id = "kb-space"
			}
			if err := chromedp.Do(ctx, Click(id)); err != nil {
				return fmt.Errorf("key %q: %w", r, err)
			}
		}
		return nil
	})
}
