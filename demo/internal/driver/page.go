package driver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Page is the demo page open in a tab of a Browser.
type Page struct {
	tab   context.Context
	close func()
}

// Open opens url (the demo page, with any query knobs) in a new w×h tab and
// waits until the SDK has loaded and connected. The page's console and
// uncaught exceptions go to logf.
func (b *Browser) Open(url string, w, h int, logf func(string, ...any)) (*Page, error) {
	return b.open(url, w, h, logf, `document.getElementById("badge").dataset.state === "open"`, "the badge to say open")
}

// OpenAny opens url like Open but waits only until ready, a JavaScript
// expression, is truthy: for pages other than the demo's.
func (b *Browser) OpenAny(url string, ready string, logf func(string, ...any)) (*Page, error) {
	return b.open(url, 1280, 800, logf, ready, ready)
}

func (b *Browser) open(url string, w, h int, logf func(string, ...any), ready, what string) (*Page, error) {
	tab, closeTab := chromedp.NewContext(b.ctx)
	listen(tab, logf)
	p := &Page{tab: tab, close: closeTab}
	// The first Run makes the tab, which lives as long as the context that
	// Run is given: it cannot carry a timeout itself.
	t := time.AfterFunc(30*time.Second, closeTab)
	err := chromedp.Run(tab)
	if !t.Stop() {
		err = errors.New("no tab within 30 s")
	}
	if err != nil {
		closeTab()
		return nil, fmt.Errorf("opening a tab: %w", err)
	}
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(int64(w), int64(h)), chromedp.Navigate(url)); err != nil {
		closeTab()
		return nil, fmt.Errorf("opening %s: %w", url, err)
	}
	if err := p.WaitFor(ready, what, 15*time.Second); err != nil {
		var banner string
		_ = p.Eval(`document.getElementById("banner").textContent`, &banner)
		closeTab()
		return nil, fmt.Errorf("%w (page banner: %q)", err, banner)
	}
	return p, nil
}

// Close closes the tab.
func (p *Page) Close() { p.close() }

// Tab is the chromedp context of the page's tab.
func (p *Page) Tab() context.Context { return p.tab }

// Eval evaluates a JavaScript expression and stores its value in out.
func (p *Page) Eval(js string, out any) error {
	ctx, cancel := context.WithTimeout(p.tab, 5*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate(js, out))
}

// WaitFor polls the JavaScript expression js until it is truthy, at most d.
func (p *Page) WaitFor(js, what string, d time.Duration) error {
	var ok bool
	ctx, cancel := context.WithTimeout(p.tab, d+time.Second)
	defer cancel()
	err := chromedp.Run(ctx, chromedp.Poll(js, &ok, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(d)))
	if err != nil {
		return fmt.Errorf("waiting %v for %s: %w", d, what, err)
	}
	return nil
}

// Click clicks the element that the CSS selector sel matches.
func (p *Page) Click(sel string) error {
	ctx, cancel := context.WithTimeout(p.tab, 5*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Click(sel, chromedp.ByQuery, chromedp.NodeEnabled))
}

// Join types nick into the nickname field, presses Join and waits until
// the server has accepted it.
func (p *Page) Join(nick string) error {
	ctx, cancel := context.WithTimeout(p.tab, 5*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx,
		chromedp.SetValue("#nick", "", chromedp.ByQuery),
		chromedp.SendKeys("#nick", nick, chromedp.ByQuery),
		chromedp.Click("#join", chromedp.ByQuery),
	); err != nil {
		return fmt.Errorf("joining as %s: %w", nick, err)
	}
	return p.WaitFor(`document.getElementById("me-state").textContent === "joined as " + `+Quote(nick), "the join", 5*time.Second)
}

// Say types text into the message box and presses Enter.
func (p *Page) Say(text string) error {
	ctx, cancel := context.WithTimeout(p.tab, 5*time.Second)
	defer cancel()
	return chromedp.Run(ctx,
		chromedp.WaitEnabled("#text", chromedp.ByQuery),
		chromedp.SendKeys("#text", text+kb.Enter, chromedp.ByQuery),
	)
}

// Messages returns the statuses of the messages in the list whose text is
// text ("" for other people's messages), oldest first.
func (p *Page) Messages(text string) ([]string, error) {
	var out []string
	err := p.Eval(`[...document.querySelectorAll("#messages li.msg")]
		.filter((li) => li.querySelector(".text").textContent === `+Quote(text)+`)
		.map((li) => li.dataset.status ?? "")`, &out)
	return out, err
}

// WaitMessage waits until a message with text is in the list with status
// ("" for anyone's message, whatever its status).
func (p *Page) WaitMessage(text, status string, d time.Duration) error {
	cond := `true`
	if status != "" {
		cond = `li.dataset.status === ` + Quote(status)
	}
	return p.WaitFor(`[...document.querySelectorAll("#messages li.msg")]
		.some((li) => li.querySelector(".text").textContent === `+Quote(text)+` && `+cond+`)`,
		fmt.Sprintf("message %q (status %q)", text, status), d)
}

// Text returns the text content of the element with the given id.
func (p *Page) Text(id string) (string, error) {
	var s string
	err := p.Eval(`document.getElementById(`+Quote(id)+`).textContent`, &s)
	return s, err
}

// Screenshot captures the viewport as PNG.
func (p *Page) Screenshot() ([]byte, error) {
	ctx, cancel := context.WithTimeout(p.tab, 10*time.Second)
	defer cancel()
	var b []byte
	err := chromedp.Run(ctx, chromedp.CaptureScreenshot(&b))
	return b, err
}

// Quote makes s a JavaScript string literal.
func Quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
