package web_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/openlines/openlines/internal/channel"
	"github.com/openlines/openlines/internal/line"
	"github.com/openlines/openlines/internal/user"
)

// apiChannel is a channel as GET /api/v1/channels/{id} answers it.
type apiChannel struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Name     string `json:"name"`
	Active   bool   `json:"active"`
	Settings struct {
		Origins  []string `json:"origins"`
		Color    string   `json:"color"`
		Greeting string   `json:"greeting"`
		Prechat  struct {
			Enabled  bool     `json:"enabled"`
			Fields   []string `json:"fields"`
			Required []string `json:"required"`
		} `json:"prechat"`
		IdentityRequired bool `json:"identity_required"`
	} `json:"settings"`
	Health *struct {
		LastInboundAt *string `json:"last_inbound_at"`
		Outbox        struct {
			Queued    int    `json:"queued"`
			Failed    int    `json:"failed"`
			LastError string `json:"last_error"`
		} `json:"outbox"`
	} `json:"health"`
}

func (e *env) channel(id string) apiChannel {
	e.t.Helper()
	var c apiChannel
	if st := e.api("GET", "/api/v1/channels/"+id, nil, &c); st != http.StatusOK {
		e.t.Fatalf("GET channel %s: status %d", id, st)
	}
	return c
}

func (e *env) identitySecret(id string) string {
	e.t.Helper()
	var r struct {
		Secret string `json:"secret"`
	}
	if st := e.api("GET", "/api/v1/channels/"+id+"/identity-secret", nil, &r); st != http.StatusOK || r.Secret == "" {
		e.t.Fatalf("GET identity secret of %s: status %d, %q", id, st, r.Secret)
	}
	return r.Secret
}

// widgetChannel makes a widget channel on line lineID through the API.
func (e *env) widgetChannel(lineID, name string) apiChannel {
	e.t.Helper()
	var c apiChannel
	if st := e.api("POST", "/api/v1/lines/"+lineID+"/channels", map[string]any{"type": "widget", "name": name}, &c); st != http.StatusCreated {
		e.t.Fatalf("create a widget channel: status %d", st)
	}
	return c
}

// visibleError is the text of the shown error slot of field, when the slot
// sits in the same .field as the input named input; "" otherwise.
func (p *page) visibleError(field, input string) string {
	p.t.Helper()
	var s string
	p.eval(`(() => {
		const el = document.querySelector('[data-testid=widget-settings] [data-error-for="`+field+`"]');
		if (!el || el.hidden) return '';
		const wrap = el.closest('.field');
		return wrap && wrap.querySelector('[name="`+input+`"]') ? el.textContent : '';
	})()`, &s)
	return s
}

// An administrator connects a website widget from the Channels tab: the
// snippet names the new channel, a refused site shows its error next to
// the sites, valid settings save and are there after a reload, the
// identity secret is shown and rotated, and the channel switches off.
func TestChannelsWidgetSetUp(t *testing.T) {
	e := newEnv(t)
	l, api := e.line("Support", line.ModeEvenly, nil, nil)
	p := e.signIn(e.admin)
	p.goTo("#/lines/" + l.ID + "/channels")
	p.waitFor("the channels tab", `document.querySelectorAll('[data-testid=channel-row]').length === 1 && !!document.querySelector('[data-testid=channel-form]')`)

	// Create.
	p.click(`[data-testid=type-widget]`)
	p.fill(`[data-testid=channel-name]`, "Shop chat")
	p.click(`[data-testid=channel-create]`)
	p.waitFor("the new widget opened", `!!document.querySelector('[data-testid=channel-detail] [data-testid=widget-snippet]') &&
		document.querySelectorAll('[data-testid=channel-row]').length === 2`)
	id := p.strings(`[document.querySelector('[data-testid=channel-detail]').dataset.channelId]`)[0]
	if id == api.ID || id == "" {
		t.Fatalf("the panel opened channel %q, not a new one", id)
	}
	c := e.channel(id)
	if c.Type != "widget" || c.Name != "Shop chat" || !c.Active {
		t.Fatalf("the channel made: %+v", c)
	}
	if ok, _ := p.check(`location.hash === ` + jsq("#/lines/"+l.ID+"/channels/"+id) + ` &&
		document.querySelector('[data-testid=channel-row][data-channel-id="` + id + `"] [data-testid=channel-type]').textContent === 'Web chat'`); !ok {
		t.Error("the new channel is not the open row of kind Web chat")
	}
	want := `<script src="` + e.srv.URL + `/widget.js" data-channel="` + id + `" async></script>`
	if got := p.strings(`[document.querySelector('[data-testid=widget-snippet]').value]`)[0]; got != want {
		t.Fatalf("snippet %q, want %q", got, want)
	}
	if ok, _ := p.check(`document.querySelector('[data-testid=widget-snippet]').readOnly`); !ok {
		t.Error("the snippet box can be edited")
	}

	// Copy: through the clipboard, with a confirmation.
	p.eval(`window.__copied = null; navigator.clipboard.writeText = (s) => { window.__copied = s; return Promise.resolve(); }; true`, nil)
	p.click(`[data-testid=widget-snippet-copy]`)
	p.waitFor("copied", `window.__copied === `+jsq(want)+` && document.querySelector('[data-testid=widget-snippet-status]').textContent === 'Copied'`)
	// Without a clipboard the snippet is selected for Ctrl+C.
	p.eval(`navigator.clipboard.writeText = () => Promise.reject(new Error('denied')); document.execCommand = () => false; true`, nil)
	p.click(`[data-testid=widget-snippet-copy]`)
	p.waitFor("selected instead", `document.querySelector('[data-testid=widget-snippet-status]').dataset.state === 'selected' &&
		(() => { const b = document.querySelector('[data-testid=widget-snippet]'); return b.value.slice(b.selectionStart, b.selectionEnd) === `+jsq(want)+`; })()`)

	// No site listed: the warning says anyone may embed it.
	anyShown := `(() => { const w = document.querySelector('[data-testid=widget-origins-any]'); return !!w && !w.hidden && w.getClientRects().length > 0; })()`
	p.waitFor("the any-site warning", anyShown)

	// A refused site: its error next to the sites, naming its line.
	save := func() {
		t.Helper()
		p.eval(`document.querySelector('[data-testid=widget-settings] [data-testid=save-status]').textContent = ''; true`, nil)
		p.click(`[data-testid=widget-settings] [data-testid=save]`)
	}
	p.fill(`[data-testid=widget-origins]`, "https://shop.example\nftp://x")
	save()
	p.waitFor("the origin's error", `(() => {
		const el = document.querySelector('[data-testid=widget-settings] [data-error-for="settings.origins"]');
		return !!el && !el.hidden && el.closest('.field').contains(document.querySelector('[name="settings.origins"]'));
	})()`)
	if got := p.visibleError("settings.origins", "settings.origins"); got != "Line 2: not a site's address like https://shop.example" {
		t.Errorf("the origin's error says %q", got)
	}
	if got := p.strings(`[(() => { const b = document.querySelector('[data-testid=widget-origins]'); return b.value.slice(b.selectionStart, b.selectionEnd); })()]`)[0]; got != "ftp://x" {
		t.Errorf("the refused line is not selected: %q", got)
	}
	if o := e.channel(id).Settings.Origins; len(o) != 0 {
		t.Fatalf("a refused list was saved: %v", o)
	}

	// A refused colour: next to the colour (the sites corrected first: the
	// server names the first refused field).
	p.fill(`[data-testid=widget-origins]`, "https://Shop.Example\n\n  http://localhost:8080/  ")
	p.fill(`[data-testid=widget-color]`, "blue")
	save()
	p.waitFor("the colour's error", `(() => { const el = document.querySelector('[data-testid=widget-settings] [data-error-for="settings.color"]'); return !!el && !el.hidden; })()`)
	if got := p.visibleError("settings.color", "settings.color"); got != "Must be a colour like #2563eb" {
		t.Errorf("the colour's error says %q", got)
	}

	// Valid settings save.
	p.fill(`[data-testid=widget-color-picker]`, "#ff5500")
	if got := p.strings(`[document.querySelector('[data-testid=widget-color]').value]`)[0]; got != "#ff5500" {
		t.Errorf("the picker did not set the hex text: %q", got)
	}
	p.fill(`[data-testid=widget-greeting]`, "Hi! Ask us anything about your order.")
	p.click(`[data-testid=widget-prechat-enabled]`)
	p.click(`[data-testid=widget-prechat-name]`)
	p.click(`[data-testid=widget-prechat-email]`)
	p.click(`[data-testid=widget-prechat-email-required]`)
	save()
	p.waitFor("saved", `document.querySelector('[data-testid=widget-settings] [data-testid=save-status]').classList.contains('ok') &&
		document.querySelector('[data-testid=widget-settings] [data-testid=save-status]').textContent === 'Saved'`)
	s := e.channel(id).Settings
	if !slices.Equal(s.Origins, []string{"https://shop.example", "http://localhost:8080"}) || s.Color != "#ff5500" ||
		s.Greeting != "Hi! Ask us anything about your order." || !s.Prechat.Enabled ||
		!slices.Equal(s.Prechat.Fields, []string{"name", "email"}) || !slices.Equal(s.Prechat.Required, []string{"email"}) {
		t.Fatalf("settings after save: %+v", s)
	}
	if ok, _ := p.check(`!` + anyShown); !ok {
		t.Error("the any-site warning is still shown with sites listed")
	}

	// After a reload the panel shows what was saved.
	p.do(chromedp.Reload())
	p.waitFor("the panel again", `!!document.querySelector('[data-testid=channel-detail][data-channel-id="`+id+`"] [data-testid=widget-settings]')`)
	got := p.strings(`['widget-origins', 'widget-color', 'widget-color-picker', 'widget-greeting'].map(k => document.querySelector('[data-testid=' + k + ']').value)`)
	if wantForm := []string{"https://shop.example\nhttp://localhost:8080", "#ff5500", "#ff5500", "Hi! Ask us anything about your order."}; !slices.Equal(got, wantForm) {
		t.Fatalf("the form after a reload: %q, want %q", got, wantForm)
	}
	if ok, _ := p.check(`document.querySelector('[data-testid=widget-prechat-enabled]').checked &&
		document.querySelector('[data-testid=widget-prechat-email-required]').checked &&
		!document.querySelector('[data-testid=widget-prechat-name-required]').checked &&
		document.querySelector('[data-testid=widget-prechat-phone-required]').disabled`); !ok {
		t.Error("the pre-chat form after a reload is not what was saved")
	}

	// Identity verification: the secret masked, shown, rotated.
	p.click(`[data-testid=widget-identity-required]`)
	save()
	p.waitFor("saved again", `document.querySelector('[data-testid=widget-settings] [data-testid=save-status]').classList.contains('ok')`)
	if !e.channel(id).Settings.IdentityRequired {
		t.Fatal("identity_required not saved")
	}
	before := e.identitySecret(id)
	if ok, _ := p.check(`document.querySelector('[data-testid=identity-secret]').dataset.shown === 'false' &&
		!document.querySelector('[data-testid=identity-secret]').textContent.includes(` + jsq(before) + `) &&
		document.querySelector('[data-testid=identity-hmac-hint]').textContent.includes('HMAC-SHA256')`); !ok {
		t.Error("the identity secret is not masked, or the HMAC line is missing")
	}
	p.click(`[data-testid=identity-secret-show]`)
	p.waitFor("the secret shown", `document.querySelector('[data-testid=identity-secret]').textContent === `+jsq(before))
	p.eval(`window.confirm = () => true; true`, nil)
	p.click(`[data-testid=identity-secret-rotate]`)
	p.waitFor("rotated", `document.querySelector('[data-testid=identity-secret-status]').dataset.state === 'rotated' &&
		document.querySelector('[data-testid=identity-secret]').textContent !== `+jsq(before))
	after := e.identitySecret(id)
	if after == before {
		t.Fatal("rotating kept the identity secret")
	}
	if shown := p.strings(`[document.querySelector('[data-testid=identity-secret]').textContent]`)[0]; shown != after {
		t.Fatalf("the page shows %q after rotating, the server has %q", shown, after)
	}

	// Switched off, and on again.
	p.click(`[data-testid=channel-active]`)
	e.eventually("the channel inactive", waitLimit, func() bool { return !e.channel(id).Active })
	p.waitFor("the row says inactive", `document.querySelector('[data-testid=channel-row][data-channel-id="`+id+`"] [data-testid=channel-status]').textContent === 'Inactive'`)
	p.click(`[data-testid=channel-active]`)
	e.eventually("the channel active", waitLimit, func() bool { return e.channel(id).Active })

	// The API channel keeps its keys and opens its own panel, without widget settings.
	p.click(`[data-testid=channel-row][data-channel-id="` + api.ID + `"] [data-testid=channel-open]`)
	p.waitFor("the api channel's panel", `!!document.querySelector('[data-testid=channel-detail][data-channel-id="`+api.ID+`"] [data-testid=channel-health]') &&
		!document.querySelector('[data-testid=widget-settings]') && !!document.querySelector('[data-testid=channel-detail] [data-testid=channel-keys]')`)
}

// Every channel shows its health: when the last customer message came, and
// the texts not delivered with the last error, as a warning.
func TestChannelsWidgetHealth(t *testing.T) {
	e := newEnv(t)
	l, api := e.line("Support", line.ModeEvenly, nil, nil)
	pigeon, err := e.stack.Store.CreateChannel(e.ctx, channel.Channel{WorkspaceID: e.ws.ID, LineID: l.ID, Type: "pigeon", Name: "Pigeon post"})
	if err != nil {
		t.Fatal(err)
	}
	e.customer(pigeon, "boris", "Boris Kuznetsov", "b1", "Coo") // its welcome cannot be sent
	e.eventually("the failed welcome in the health", waitLimit, func() bool {
		h := e.channel(pigeon.ID).Health
		return h != nil && h.Outbox.Failed > 0
	})
	health := e.channel(pigeon.ID).Health
	if health.LastInboundAt == nil || !strings.Contains(health.Outbox.LastError, "pigeon") {
		t.Fatalf("the pigeon channel's health: %+v", *health)
	}

	p := e.signIn(e.admin)
	p.goTo("#/lines/" + l.ID + "/channels")
	row := func(id string) string {
		return `[data-testid=channel-row][data-channel-id="` + id + `"] [data-testid=channel-health-summary]`
	}
	p.waitFor("the rows' health", `document.querySelector('`+row(pigeon.ID)+`')?.dataset.state === 'failed' &&
		document.querySelector('`+row(api.ID)+`')?.dataset.state === 'ok' &&
		document.querySelector('`+row(api.ID)+`').textContent === 'No messages yet'`)
	p.click(`[data-testid=channel-row][data-channel-id="` + pigeon.ID + `"] [data-testid=channel-open]`)
	p.waitFor("the health block", `document.querySelector('[data-testid=channel-detail][data-channel-id="`+pigeon.ID+`"] [data-testid=channel-health]')?.dataset.state === 'failed'`)
	var h struct{ Last, Queued, Failed, Error, Warn string }
	p.eval(`(() => {
		const q = (k) => document.querySelector('[data-testid=channel-health] [data-testid=' + k + ']');
		return {Last: q('channel-health-last').textContent, Queued: q('channel-health-queued').textContent,
			Failed: q('channel-health-failed').textContent, Error: q('channel-health-last-error').textContent,
			Warn: q('channel-health-error').className};
	})()`, &h)
	if h.Last != "just now" && !strings.HasSuffix(h.Last, "ago") {
		t.Errorf("last message shown as %q", h.Last)
	}
	if h.Queued != itoa(health.Outbox.Queued) || h.Failed != itoa(health.Outbox.Failed) || h.Error != health.Outbox.LastError || !strings.Contains(h.Warn, "banner-warn") {
		t.Errorf("health shown %+v, the server's %+v", h, health.Outbox)
	}

	// In Russian, relative and localized.
	p.click(`[data-testid=lang-ru]`)
	p.waitFor("Russian", `document.documentElement.lang === 'ru'`)
	p.goTo("#/lines/" + l.ID + "/channels/" + api.ID)
	p.waitFor("the api channel's health in Russian", `document.querySelector('[data-testid=channel-detail][data-channel-id="`+api.ID+`"] [data-testid=channel-health-last]')?.textContent === 'Сообщений ещё не было'`)
	p.goTo("#/lines/" + l.ID + "/channels/" + pigeon.ID)
	p.waitFor("the pigeon's health in Russian", `(() => {
		const el = document.querySelector('[data-testid=channel-detail][data-channel-id="`+pigeon.ID+`"] [data-testid=channel-health-last]');
		return !!el && (el.textContent === 'только что' || el.textContent.endsWith('назад'));
	})()`)
}

// Without channels.connect a widget's panel is shown and nothing changes:
// no save, no switch, no identity secret. It fits a 400 px window in
// English and Russian.
func TestChannelsWidgetReadOnlyAndNarrow(t *testing.T) {
	e := newEnv(t)
	dmitry := e.user("dmitry@acme.test", "Dmitry Sokolov", user.Director)
	l, _ := e.line("Support and after-sales service", line.ModeEvenly, nil, nil)
	w := e.widgetChannel(l.ID, "Website chat of the Acme Retail online shop")
	hash := "#/lines/" + l.ID + "/channels/" + w.ID

	pd := e.signIn(dmitry)
	pd.goTo(hash)
	pd.waitFor("the widget's panel", `!!document.querySelector('[data-testid=channel-detail][data-channel-id="`+w.ID+`"] [data-testid=widget-settings]')`)
	var ro struct {
		Fieldset, Save, Active, Secret, Hidden, Form bool
		Snippet                                      string
	}
	pd.eval(`(() => {
		const f = document.querySelector('[data-testid=widget-settings]');
		return {Fieldset: f.querySelector('fieldset').disabled, Save: !!f.querySelector('[data-testid=save]'),
			Active: document.querySelector('[data-testid=channel-active]').disabled,
			Secret: !!document.querySelector('[data-testid=identity-secret-box]'), Hidden: !!document.querySelector('[data-testid=identity-secret-hidden]'),
			Form: !!document.querySelector('[data-testid=channel-form]'), Snippet: document.querySelector('[data-testid=widget-snippet]').value};
	})()`, &ro)
	if !ro.Fieldset || ro.Save || !ro.Active || ro.Secret || !ro.Hidden || ro.Form || !strings.Contains(ro.Snippet, `data-channel="`+w.ID+`"`) {
		t.Fatalf("a Director's widget panel: %+v", ro)
	}

	pa := e.signIn(e.admin)
	pa.setViewport(400, 800)
	for _, lang := range []string{"en", "ru"} {
		if lang == "ru" {
			pa.click(`[data-testid=lang-ru]`)
			pa.waitFor("Russian", `document.documentElement.lang === 'ru'`)
		}
		pa.goTo(hash)
		pa.waitFor("the panel ("+lang+")", `!!document.querySelector('[data-testid=channel-detail][data-channel-id="`+w.ID+`"] [data-testid=identity-secret-box]') &&
			!!document.querySelector('[data-testid=channel-detail] [data-testid=channel-health]') &&
			!!document.querySelector('[data-testid=channel-row] [data-testid=channel-health-summary]')`)
		if got := pa.strings(narrowProblems); len(got) > 0 {
			t.Errorf("%s (%s) at 400x800: %q", hash, lang, got)
		}
		if off := pa.strings(`[...document.querySelectorAll('[data-testid=channel-detail] button, [data-testid=channel-detail] input, [data-testid=channel-detail] textarea')]
			.filter(el => el.getClientRects().length && (el.getBoundingClientRect().right > window.innerWidth + 1 || el.getBoundingClientRect().left < -1))
			.map(el => el.dataset.testid || el.name || el.tagName)`); len(off) > 0 {
			t.Errorf("outside a 400 px window (%s): %v", lang, off)
		}
	}
}
