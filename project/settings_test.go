package project

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/kilnhq/kiln/meta"
)

func TestSetTaskSettings(t *testing.T) {
	t.Parallel()
	tc := TaskContext{Project: "p", DefaultEngine: "warehouse", Engines: []Engine{{Name: "warehouse", Kind: "duckdb"}},
		Tasks: []meta.TaskSpec{{Name: "a", Type: meta.TaskShell}, {Name: "b", Type: meta.TaskShell}}}
	schedule := yaml.MapSlice{{Key: "cron", Value: "30 3 * * *"}, {Key: "timezone", Value: "Asia/Shanghai"}}
	set := []Setting{
		{Key: "retries", Value: 3},
		{Key: "schedule", Value: schedule},
		{Key: "upstreams", Value: []string{"a", "b"}},
		{Key: "timeout", Value: "45m"},
		{Key: "pool", Value: nil},
	}
	for _, tt := range []struct {
		name, file, src string
		keep            []string // text the result still holds
	}{
		{"sql header", "tasks/x.sql",
			"/* kiln\n# the header\ntarget: dwd.x   # where it goes\nretries: 1  # flaky source\nupstreams:\n  - a\n\npool: big\nowner: ann\n*/\n" +
				"SELECT '${bizdate}' AS dt, ${lookback} AS n -- keep\n",
			[]string{"# the header\n", "target: dwd.x   # where it goes\n", "retries: 3 # flaky source\n", "owner: ann\n",
				"*/\nSELECT '${bizdate}' AS dt, ${lookback} AS n -- keep\n"}},
		{"sql header closed on its last line", "tasks/x.sql", "/* kiln\ntarget: dwd.x */\nSELECT 1\n",
			[]string{"target: dwd.x \n", "*/\nSELECT 1\n"}},
		{"sql without header", "tasks/x.sql", "-- no header\nSELECT 1 AS id\n", []string{"*/\n-- no header\nSELECT 1 AS id\n"}},
		{"script header", "tasks/x.py", "#!/usr/bin/env python3\n# kiln:\n#   retries: 0 # none\n#\n#   pool: big\nprint('${bizdate}')\n",
			[]string{"#!/usr/bin/env python3\n# kiln:\n#   retries: 3 # none\n#\n", "\nprint('${bizdate}')\n"}},
		{"script without header", "tasks/x.sh", "#!/bin/sh\necho hi\n", []string{"#!/bin/sh\n# kiln:\n# retries: 3\n", "\necho hi\n"}},
		{"script with leading comments", "tasks/x.sh", "#!/bin/bash\n# Copyright: ann\n# -- keep me\necho hi\n",
			[]string{"#!/bin/bash\n# Copyright: ann\n# -- keep me\n\n# kiln:\n# retries: 3\n", "\necho hi\n"}},
		{"python coding line", "tasks/x.py", "#!/usr/bin/env python3\n# -*- coding: latin-1 -*-\n\nprint(1)\n",
			[]string{"#!/usr/bin/env python3\n# -*- coding: latin-1 -*-\n\n# kiln:\n", "\nprint(1)\n"}},
		{"script of comments only", "tasks/x.sh", "# nothing yet", []string{"# nothing yet\n\n# kiln:\n# retries: 3\n"}},
		{"apostrophe and quoted key", "tasks/x.sql", "/* kiln\ntarget: dwd.x\nowner: it's me # who\n\"retries\": 1 # flaky\n*/\nSELECT 1\n",
			[]string{"owner: it's me # who\n", "retries: 3 # flaky\n"}},
		{"windows line endings", "tasks/x.sql", "/* kiln\r\ntarget: dwd.x\r\nretries: 1\r\n*/\r\nSELECT 1\r\n",
			[]string{"/* kiln\r\ntarget: dwd.x\r\nretries: 3\r\n", "upstreams: [a, b]\r\n", "*/\r\nSELECT 1\r\n"}},
		{"yaml task", "tasks/x.yaml", "type: shell\nretries: 1\nscript: |\n  echo ${bizdate}\n", []string{"script: |\n  echo ${bizdate}\n"}},
		{"yaml document markers", "tasks/x.yaml", "---\ntype: shell\nscript: echo hi\n...\n# after the end\n\n",
			[]string{"---\ntype: shell\nscript: echo hi\n", "...\n# after the end\n"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := SetTaskSettings(tt.file, tt.src, set)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range tt.keep {
				if !strings.Contains(out, k) {
					t.Errorf("lost %q:\n%s", k, out)
				}
			}
			if strings.Contains(out, "pool") {
				t.Errorf("pool not removed:\n%s", out)
			}
			tc := tc
			tc.Config.Params = map[string]string{"lookback": "7"}
			spec, probs := LoadTask(tt.file, out, tc)
			if len(probs) > 0 {
				t.Fatalf("%v\n%s", probs, out)
			}
			if spec.Retries != 3 || spec.Timeout.Std() != 45*time.Minute || spec.Schedule.Cron != "30 3 * * *" ||
				spec.Schedule.Timezone != "Asia/Shanghai" || !slices.Equal(spec.Upstreams, []string{"a", "b"}) || spec.Pool != "" {
				t.Fatalf("spec %+v from\n%s", spec, out)
			}
		})
	}
}

func TestSetTaskSettings_Broken(t *testing.T) {
	t.Parallel()
	if _, err := SetTaskSettings("tasks/x.sql", "/* kiln\nretries: 1\nSELECT 1\n", []Setting{{Key: "retries", Value: 2}}); err == nil {
		t.Fatal("an unclosed header was rewritten")
	}
	if _, err := SetTaskSettings("tasks/x.sql", "/* kiln\nowner: a\n*/\nSELECT 1\n", []Setting{{Key: "owner", Value: "x */ y"}}); err == nil {
		t.Fatal("a setting holding */ was written")
	}
}

func TestCheckSchedule(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ cron, tz, want string }{
		{"0 2 * * *", "", ""},
		{"@daily", "Asia/Shanghai", ""},
		{"0 25 * * *", "", "bad cron"},
		{"0 2 * *", "", "bad cron"},
		{"0 2 * * *", "Mars/Olympus", "unknown time zone"},
		{"", "", "empty cron"},
	} {
		if got := CheckSchedule(tt.cron, tt.tz); (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("CheckSchedule(%q, %q) = %q, want %q", tt.cron, tt.tz, got, tt.want)
		}
	}
}
