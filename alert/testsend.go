package alert

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// SendTest sends a short test message through one channel of cfg at once,
// without retries, and returns the channel's error (redacted, like delivery
// errors). env reads the server's environment for the channel's secrets.
func SendTest(ctx context.Context, cfg *meta.AlertConfig, project, channel, user string, env func(string) string, client *http.Client) error {
	if cfg == nil {
		return fmt.Errorf("no alert channel named %s: %w", channel, meta.ErrNotFound)
	}
	for _, c := range cfg.Channels {
		if c.Name != channel {
			continue
		}
		if client == nil {
			client = NewHTTPClient(DefaultSendTimeout)
		}
		ch, err := NewChannel(c, env, client, time.Now)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(ctx, DefaultSendTimeout)
		defer cancel()
		return ch.Send(ctx, &Message{Kind: KindTest, Project: project,
			Title: fmt.Sprintf("[Kiln %s] test message to channel %s", project, channel),
			Text:  fmt.Sprintf("sent by %s from the alert settings; if you read this, the channel works", user)})
	}
	return fmt.Errorf("no alert channel named %s: %w", channel, meta.ErrNotFound)
}
