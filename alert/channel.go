// Package alert tells people that something broke: it turns events
// (failed, retried, timed-out and late instances, quality breaches,
// finished backfills, lagging syncs) into short messages, routes them by
// project policies to chat bots, webhooks and email, drops repeats, groups
// bursts, holds non-core alerts through quiet hours, escalates core
// failures nobody acknowledged, follows an on-call rota and reminds the
// person on call daily. Delivery is asynchronous with retries, so neither
// the scheduler nor a worker ever waits on a chat server. docs/alerting.md
// describes the configuration.
package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// Message is what a channel sends: short enough to read on a phone.
type Message struct {
	Kind     string   `json:"kind"`
	Project  string   `json:"project"`
	Title    string   `json:"title"`
	Text     string   `json:"text"`
	Link     string   `json:"link,omitempty"`
	Mentions []string `json:"mentions,omitempty"` // people to notify: the owner, the on-call person
}

// Body is the message as plain text.
func (m *Message) Body() string {
	var b strings.Builder
	b.WriteString(m.Title)
	if m.Text != "" {
		b.WriteString("\n" + m.Text)
	}
	if m.Link != "" {
		b.WriteString("\n" + m.Link)
	}
	if len(m.Mentions) > 0 {
		b.WriteString("\n@" + strings.Join(m.Mentions, " @"))
	}
	return b.String()
}

// Channel delivers messages to one place.
type Channel interface {
	Name() string
	Send(ctx context.Context, m *Message) error
}

// The channel kinds.
var channelKinds = []string{"feishu", "dingtalk", "wecom", "slack", "webhook", "email"}

// EnvPrefix starts the name of every server environment variable an alert
// channel may read (url_env, secret_env, username_env, password_env): a
// project's settings must not be able to send the server's other secrets
// (its admin token, master key, database passwords) to an address of
// their choosing.
const EnvPrefix = "KILN_ALERT_"

// checkEnvNames refuses a channel naming an environment variable outside
// EnvPrefix.
func checkEnvNames(c meta.AlertChannel) error {
	for _, e := range []struct{ key, name string }{{"url_env", c.URLEnv}, {"secret_env", c.SecretEnv}, {"username_env", c.UsernameEnv}, {"password_env", c.PasswordEnv}} {
		if e.name != "" && (!strings.HasPrefix(e.name, EnvPrefix) || len(e.name) == len(EnvPrefix)) {
			return fmt.Errorf("channel %s: %s %s: alert channels may only read server environment variables named %s…, so that a project cannot read the server's other secrets; name it %s%s", c.Name, e.key, e.name, EnvPrefix, EnvPrefix, strings.TrimPrefix(e.name, "KILN_"))
		}
	}
	return nil
}

// NewChannel builds a channel from its configuration. Secrets are read
// through env (the server's environment, variables named EnvPrefix… only)
// now, and never logged.
func NewChannel(c meta.AlertChannel, env func(string) string, client *http.Client, now func() time.Time) (Channel, error) {
	if err := checkEnvNames(c); err != nil {
		return nil, err
	}
	addr := c.URL
	if c.URLEnv != "" {
		addr = env(c.URLEnv)
		if addr == "" {
			return nil, fmt.Errorf("channel %s: environment variable %s (its URL) is not set on the server", c.Name, c.URLEnv)
		}
	}
	secret := ""
	if c.SecretEnv != "" {
		if secret = env(c.SecretEnv); secret == "" {
			return nil, fmt.Errorf("channel %s: environment variable %s (its secret) is not set on the server", c.Name, c.SecretEnv)
		}
	}
	h := &hook{name: c.Name, kind: c.Kind, url: addr, secret: secret, client: client, now: now}
	switch c.Kind {
	case "feishu", "dingtalk", "wecom", "slack", "webhook":
		if addr == "" {
			return nil, fmt.Errorf("channel %s: %s needs url or url_env", c.Name, c.Kind)
		}
		return h, nil
	case "email":
		if c.SMTP == "" || len(c.To) == 0 || c.From == "" {
			return nil, fmt.Errorf("channel %s: email needs smtp (host:port), from and to", c.Name)
		}
		return &mailer{name: c.Name, addr: c.SMTP, from: c.From, to: c.To, user: env(c.UsernameEnv), pass: env(c.PasswordEnv)}, nil
	}
	return nil, fmt.Errorf("channel %s: unknown kind %q (one of %s)", c.Name, c.Kind, strings.Join(channelKinds, ", "))
}

// hook posts JSON to a chat bot or webhook.
type hook struct {
	name, kind, url, secret string
	client                  *http.Client
	now                     func() time.Time
}

func (h *hook) Name() string { return h.name }

// FeishuSign is Feishu's bot signature: base64 of HMAC-SHA256 keyed with
// "timestamp\nsecret" over an empty message.
func FeishuSign(ts int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(strconv.FormatInt(ts, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// DingTalkSign is DingTalk's robot signature: base64 of HMAC-SHA256 keyed
// with the secret over "timestamp\nsecret" (timestamp in milliseconds).
func DingTalkSign(tsMillis int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(tsMillis, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (h *hook) Send(ctx context.Context, m *Message) error {
	target := h.url
	var payload any
	header := http.Header{"Content-Type": {"application/json"}}
	switch h.kind {
	case "feishu":
		p := map[string]any{"msg_type": "text", "content": map[string]string{"text": m.Body()}}
		if h.secret != "" {
			ts := h.now().Unix()
			p["timestamp"], p["sign"] = strconv.FormatInt(ts, 10), FeishuSign(ts, h.secret)
		}
		payload = p
	case "dingtalk":
		if h.secret != "" {
			ts := h.now().UnixMilli()
			sep := "?"
			if strings.Contains(target, "?") {
				sep = "&"
			}
			target += sep + "timestamp=" + strconv.FormatInt(ts, 10) + "&sign=" + url.QueryEscape(DingTalkSign(ts, h.secret))
		}
		payload = map[string]any{"msgtype": "markdown",
			"markdown": map[string]string{"title": m.Title, "text": "### " + m.Title + "\n\n" + strings.ReplaceAll(strings.TrimPrefix(m.Body(), m.Title+"\n"), "\n", "\n\n")},
			"at":       map[string]any{"atUserIds": m.Mentions}}
	case "wecom":
		payload = map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": "**" + m.Title + "**\n" + strings.TrimPrefix(m.Body(), m.Title+"\n")}}
	case "slack":
		payload = map[string]any{"text": "*" + m.Title + "*\n" + strings.TrimPrefix(m.Body(), m.Title+"\n")}
	default:
		payload = m
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	if h.kind == "webhook" && h.secret != "" {
		mac := hmac.New(sha256.New, []byte(h.secret))
		mac.Write(body)
		header.Set("X-Kiln-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	req, err := http.NewRequestWithContext(ctx, "POST", target, bytes.NewReader(body))
	if err != nil { // the message quotes the address, which may be a secret
		return fmt.Errorf("channel %s: %s", h.name, redact(err.Error(), h.url, h.secret))
	}
	req.Header = header
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("channel %s: %s", h.name, redact(err.Error(), h.url, h.secret))
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("channel %s: HTTP %d: %s", h.name, resp.StatusCode, redact(strings.TrimSpace(string(reply)), h.url, h.secret))
	}
	// The bots answer 200 with an error code in the body.
	var r struct {
		Code    *int   `json:"code"`
		ErrCode *int   `json:"errcode"`
		Msg     string `json:"msg"`
		ErrMsg  string `json:"errmsg"`
	}
	if json.Unmarshal(reply, &r) == nil {
		if (r.Code != nil && *r.Code != 0) || (r.ErrCode != nil && *r.ErrCode != 0) {
			return fmt.Errorf("channel %s refused the message: %s%s", h.name, r.Msg, r.ErrMsg)
		}
	}
	return nil
}

// redact keeps a webhook URL (which is itself a credential for some bots)
// and a secret out of errors that end in logs.
func redact(s, addr, secret string) string {
	if addr != "" {
		s = strings.ReplaceAll(s, addr, "<webhook>")
		if u, err := url.Parse(addr); err == nil && u.RawQuery != "" {
			s = strings.ReplaceAll(s, u.RawQuery, "<redacted>")
			// A bot may echo a token alone (access_token=… of DingTalk).
			for _, vs := range u.Query() {
				for _, v := range vs {
					if len(v) >= 4 {
						s = strings.ReplaceAll(s, v, "<redacted>")
					}
				}
			}
		}
	}
	if secret != "" {
		s = strings.ReplaceAll(s, secret, "<secret>")
	}
	return s
}

// mailer sends email over SMTP (STARTTLS when the server offers it).
type mailer struct {
	name, addr, from, user, pass string
	to                           []string
}

func (m *mailer) Name() string { return m.name }

func (m *mailer) Send(ctx context.Context, msg *Message) error {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
		m.from, strings.Join(m.to, ", "), mimeHeader(msg.Title))
	b.WriteString(strings.ReplaceAll(msg.Body(), "\n", "\r\n") + "\r\n")
	var auth smtp.Auth
	if m.user != "" {
		host, _, _ := strings.Cut(m.addr, ":")
		auth = smtp.PlainAuth("", m.user, m.pass, host)
	}
	if err := m.deliver(ctx, auth, []byte(b.String())); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("channel %s: %w", m.name, ctx.Err())
		}
		return fmt.Errorf("channel %s: %s", m.name, redact(err.Error(), "", m.pass))
	}
	return nil
}

// deliver is smtp.SendMail bounded by ctx: the connection is dialled with
// ctx and closed when ctx ends, so a server that accepts and never answers
// holds nothing after the send gives up.
func (m *mailer) deliver(ctx context.Context, auth smtp.Auth, msg []byte) error {
	conn, err := safeDialer.DialContext(ctx, "tcp", m.addr)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	host, _, _ := net.SplitHostPort(m.addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return err
		}
	}
	if auth != nil {
		if err := c.Auth(auth); err != nil {
			return err
		}
	}
	if err := c.Mail(m.from); err != nil {
		return err
	}
	for _, to := range m.to {
		if err := c.Rcpt(to); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// safeDialer refuses link-local addresses (169.254.0.0/16, fe80::/10),
// where clouds serve instance metadata and credentials: an alert channel,
// which a project owner points anywhere, must not reach them.
var safeDialer = &net.Dialer{Timeout: 10 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
	host, _, _ := net.SplitHostPort(address)
	if ip := net.ParseIP(host); ip != nil && (ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified()) {
		return fmt.Errorf("alert channels may not reach %s (a link-local address, where cloud instance metadata lives)", host)
	}
	return nil
}}

// NewHTTPClient is the client alert channels post with: timeout bounds a
// send, and link-local addresses are refused (safeDialer).
func NewHTTPClient(timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = safeDialer.DialContext
	return &http.Client{Timeout: timeout, Transport: tr}
}

func mimeHeader(s string) string {
	for _, r := range s {
		if r > 127 {
			return "=?utf-8?B?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
		}
	}
	return s
}
