package params

import (
	"strings"
	"testing"
	"time"
)

func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"", "plain", "${bizdate}", "${bizdate-1d}", "${month_end - 13 m}", "{{ ds }}", "{{ts}}",
		"$${x}", "$$${bizdate}", "${", "${}", "${a", "{{", "{{ }}", "${x:-y}", "${hour+99999h}",
		"${v}", "${w}", "${bizdate+100000y}", "日本 ${bizdate}\n${yyyymmdd}",
	} {
		f.Add(s, int64(0), 0)
	}
	f.Fuzz(func(t *testing.T, text string, days int64, hour int) {
		c := &Context{
			Bizdate: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(days%400000)),
			Hour:    ((hour % 24) + 24) % 24,
			Project: "p", Task: "t", DataDir: "/d",
			Values: map[string]string{"v": "${bizdate}", "w": "${v}-${w}"},
		}
		out, err := Render(text, c)
		if !strings.Contains(text, "$") && !strings.Contains(text, "{{") && (err != nil || out != text) {
			t.Fatalf("Render(%q) = %q, %v; want the text unchanged", text, out, err)
		}
		if err != nil && out != "" {
			t.Fatalf("Render(%q) returned %q with error %v", text, out, err)
		}
		// Check and Render agree on what is wrong; w is a cycle Check cannot see.
		known := func(n string) bool { return n == "v" }
		issues := Check(text, known)
		if len(issues) == 0 && err != nil && !strings.Contains(text, "w") {
			t.Fatalf("Check(%q) found nothing but Render failed: %v", text, err)
		}
		if len(issues) > 0 && err == nil {
			t.Fatalf("Check(%q) = %+v but Render succeeded", text, issues)
		}
		for _, is := range issues {
			if is.Offset < 0 || is.Offset > len(text) || is.Line < 1 || is.Col < 1 {
				t.Fatalf("Check(%q): bad position %+v", text, is)
			}
		}
		_ = Names(text)
	})
}
