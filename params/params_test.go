package params

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func setup(t *testing.T, bizdate string, hour int) *Context {
	t.Helper()
	d, err := time.Parse("2006-01-02", bizdate)
	if err != nil {
		t.Fatal(err)
	}
	return &Context{Bizdate: d, Hour: hour, Project: "edu", Task: "dwd_orders", DataDir: "/var/lib/kiln"}
}

func TestRender_Builtins(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text, want string
	}{
		{"${bizdate}", "2024-03-01"},
		{"${bizdate_nodash}", "20240301"},
		{"${yyyymmdd}", "20240301"},
		{"${hour}", "00"},
		{"${cyctime}", "2024-03-01 00:00:00"},
		{"${month_start}", "2024-03-01"},
		{"${month_end}", "2024-03-31"},
		{"${week_start}", "2024-02-26"},
		{"${year_start}", "2024-01-01"},
		{"${project}", "edu"},
		{"${task}", "dwd_orders"},
		{"${data_dir}", "/var/lib/kiln"},
		{"{{ ds }}", "2024-03-01"},
		{"{{ds}}", "2024-03-01"},
		{"{{   ds_nodash\t}}", "20240301"},
		{"{{ ts }}", "2024-03-01T00:00:00"},
		{"${ bizdate }", "2024-03-01"},
		{"${bizdate - 1 d}", "2024-02-29"},
		{"dt = '${bizdate}' AND h = ${hour}", "dt = '2024-03-01' AND h = 00"},
	}
	c := setup(t, "2024-03-01", 0)
	for _, tt := range tests {
		got, err := Render(tt.text, c)
		if err != nil || got != tt.want {
			t.Errorf("Render(%q) = %q, %v; want %q", tt.text, got, err, tt.want)
		}
	}
}

func TestRender_Arithmetic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		bizdate string
		hour    int
		text    string
		want    string
	}{
		// every unit on bizdate
		{"2024-03-01", 0, "${bizdate+1h}", "2024-03-01"},
		{"2024-03-01", 0, "${bizdate-1h}", "2024-02-29"}, // crosses midnight
		{"2024-03-01", 5, "${bizdate-1h}", "2024-03-01"},
		{"2024-03-01", 0, "${bizdate-1d}", "2024-02-29"},
		{"2024-03-01", 0, "${bizdate+1d}", "2024-03-02"},
		{"2024-03-01", 0, "${bizdate-1w}", "2024-02-23"},
		{"2024-03-01", 0, "${bizdate+1m}", "2024-04-01"},
		{"2024-03-01", 0, "${bizdate-1y}", "2023-03-01"},
		// formats are kept
		{"2024-03-01", 0, "${yyyymmdd-7d}", "20240223"},
		{"2024-03-01", 0, "${bizdate_nodash+1d}", "20240302"},
		{"2024-03-01", 0, "${hour-1h}", "23"},
		{"2024-03-01", 23, "${hour+2h}", "01"},
		{"2024-03-01", 23, "${cyctime+25h}", "2024-03-03 00:00:00"},
		{"2024-03-01", 0, "${cyctime-1h}", "2024-02-29 23:00:00"},
		{"2024-03-01", 0, "{{ ds }}-${bizdate-1d}", "2024-03-01-2024-02-29"},
		// month-end clamp and leap years
		{"2024-01-31", 0, "${bizdate+1m}", "2024-02-29"},
		{"2023-01-31", 0, "${bizdate+1m}", "2023-02-28"},
		{"2024-03-31", 0, "${bizdate-1m}", "2024-02-29"},
		{"2024-02-29", 0, "${bizdate+1y}", "2025-02-28"},
		{"2024-02-29", 0, "${bizdate-4y}", "2020-02-29"},
		{"2024-02-28", 0, "${bizdate+1d}", "2024-02-29"},
		{"2023-02-28", 0, "${bizdate+1d}", "2023-03-01"},
		{"2024-12-31", 0, "${bizdate+1d}", "2025-01-01"},
		// January minus a month
		{"2024-01-15", 0, "${bizdate-1m}", "2023-12-15"},
		{"2024-01-15", 0, "${month_start-1m}", "2023-12-01"},
		{"2024-01-15", 0, "${month_end-1m}", "2023-12-31"},
		{"2024-01-15", 0, "${bizdate-13m}", "2022-12-15"},
		// month_end stays on the last day
		{"2024-04-15", 0, "${month_end-1m}", "2024-03-31"},
		{"2024-01-10", 0, "${month_end+1m}", "2024-02-29"},
		{"2024-03-10", 0, "${month_end-1y}", "2023-03-31"},
		{"2024-02-10", 0, "${month_end-1y}", "2023-02-28"},
		{"2024-04-15", 0, "${month_end+1d}", "2024-05-01"},
		// other date built-ins
		{"2024-03-15", 0, "${month_start+1d}", "2024-03-02"},
		{"2024-03-03", 0, "${week_start}", "2024-02-26"}, // Sunday
		{"2024-03-04", 0, "${week_start}", "2024-03-04"}, // Monday
		{"2024-03-04", 0, "${week_start-1w}", "2024-02-26"},
		{"2024-03-04", 0, "${year_start-1y}", "2023-01-01"},
		{"2024-03-04", 0, "${year_start-1d}", "2023-12-31"},
	}
	for _, tt := range tests {
		got, err := Render(tt.text, setup(t, tt.bizdate, tt.hour))
		if err != nil || got != tt.want {
			t.Errorf("Render(%q) at %s %02d = %q, %v; want %q", tt.text, tt.bizdate, tt.hour, got, err, tt.want)
		}
	}
}

func TestRender_Literal(t *testing.T) {
	t.Parallel()
	tests := []struct{ text, want string }{
		{"$${bizdate}", "${bizdate}"},
		{"$${HOME} and ${bizdate}", "${HOME} and 2024-03-01"},
		{"echo $HOME $1 $$", "echo $HOME $1 $$"},
		{"DO $$ BEGIN NULL; END $$", "DO $$ BEGIN NULL; END $$"},
		{`docker ps --format '{{ .Names }}'`, `docker ps --format '{{ .Names }}'`},
		{`SELECT '{{"a": 1}}'`, `SELECT '{{"a": 1}}'`},
		{"{{ ds", "{{ ds"},
		{"{{ prev_ds }} {{ macros.ds_add(ds, 1) }}", "{{ prev_ds }} {{ macros.ds_add(ds, 1) }}"},
		{`print(f"{{name}}: {x}")`, `print(f"{{name}}: {x}")`},
		{"{{{ ds }}}", "{{{ ds }}}"},
		{"{ ds }", "{ ds }"},
		{"", ""},
	}
	c := setup(t, "2024-03-01", 0)
	for _, tt := range tests {
		got, err := Render(tt.text, c)
		if err != nil || got != tt.want {
			t.Errorf("Render(%q) = %q, %v; want %q", tt.text, got, err, tt.want)
		}
	}
}

func TestRender_Values(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values map[string]string
		text   string
		want   string
		err    error
	}{
		{"plain", map[string]string{"lookback": "7"}, "-${lookback}", "-7", nil},
		{"builtin", map[string]string{"src": "${data_dir}/src/${bizdate_nodash}"}, "${src}", "/var/lib/kiln/src/20240301", nil},
		{"empty value", map[string]string{"x": ""}, "[${x}]", "[]", nil},
		{"one level", map[string]string{"a": "${b}/x", "b": "${bizdate}"}, "${a}", "2024-03-01/x", nil},
		{"two levels", map[string]string{"a": "${b}", "b": "${c}", "c": "z"}, "${a}${b}", "zz", nil},
		{"escape in value", map[string]string{"a": "$${HOME}"}, "${a}", "${HOME}", nil},
		{"self cycle", map[string]string{"a": "${a}"}, "${a}", "", ErrCycle},
		{"cycle", map[string]string{"a": "${b}", "b": "${a}"}, "${a}", "", ErrCycle},
		{"unknown in value", map[string]string{"a": "${nope}"}, "x ${a}", "", ErrUnknown},
		{"arithmetic on value", map[string]string{"a": "1"}, "${a-1d}", "", ErrSyntax},
		{"arithmetic on text builtin", nil, "${project+1d}", "", ErrSyntax},
		{"shadows builtin", map[string]string{"bizdate": "x"}, "${bizdate}", "", ErrSyntax},
		{"bad value name", map[string]string{"a-b": "x"}, "", "", ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := setup(t, "2024-03-01", 0)
			c.Values = tt.values
			got, err := Render(tt.text, c)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Errorf("Render(%q) = %q, %v; want %q, %v", tt.text, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestRender_Errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text      string
		kind      error
		offset    int
		line, col int
		name, msg string
	}{
		{"${nope}", ErrUnknown, 0, 1, 1, "nope", "unknown parameter ${nope}"},
		{"SELECT 1\nFROM t WHERE d = '${bizdat}'", ErrUnknown, 27, 2, 19, "bizdat", "unknown parameter ${bizdat}"},
		{"-- 订单\n  -- 订单 ${x}", ErrUnknown, 22, 2, 9, "x", "unknown parameter ${x}"},
		{"echo ${KILN_BIZDATE}", ErrUnknown, 5, 1, 6, "KILN_BIZDATE", "unknown parameter ${KILN_BIZDATE}; for an environment variable write $KILN_BIZDATE or $${KILN_BIZDATE}"},
		{"a ${bizdate", ErrSyntax, 2, 1, 3, "", "unclosed ${"},
		{"${bizdate\n}", ErrSyntax, 0, 1, 1, "", "unclosed ${"},
		{"${}", ErrSyntax, 0, 1, 1, "", "bad parameter ${}: empty name"},
		{"${1}", ErrSyntax, 0, 1, 1, "", "bad parameter ${1}"},
		{"${x:-y}", ErrSyntax, 0, 1, 1, "", "bad parameter ${x:-y}"},
		{"${bizdate-1}", ErrSyntax, 0, 1, 1, "", "want a unit"},
		{"${bizdate-d}", ErrSyntax, 0, 1, 1, "", "want a number after -"},
		{"${bizdate+1q}", ErrSyntax, 0, 1, 1, "", "want a unit"},
		{"${bizdate-1dd}", ErrSyntax, 0, 1, 1, "", "want a unit"},
		{"${bizdate-100001d}", ErrSyntax, 0, 1, 1, "", "amount too large"},
		{"${bizdate-99999999999999999999999d}", ErrSyntax, 0, 1, 1, "", "amount too large"},
	}
	c := setup(t, "2024-03-01", 0)
	for _, tt := range tests {
		got, err := Render(tt.text, c)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, tt.kind) || got != "" {
			t.Errorf("Render(%q) = %q, %v; want a %v", tt.text, got, err, tt.kind)
			continue
		}
		if e.Offset != tt.offset || e.Line != tt.line || e.Col != tt.col || e.Name != tt.name || !strings.Contains(e.Message, tt.msg) {
			t.Errorf("Render(%q) error = %+v; want offset %d at %d:%d name %q message %q…",
				tt.text, *e, tt.offset, tt.line, tt.col, tt.name, tt.msg)
		}
	}
}

func TestRender_BadHour(t *testing.T) {
	t.Parallel()
	for _, h := range []int{-1, 24} {
		if _, err := Render("x", setup(t, "2024-03-01", h)); err == nil {
			t.Errorf("hour %d: no error", h)
		}
	}
}

func TestRender_LocationIgnored(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("UTC+14", 14*3600)
	c := &Context{Bizdate: time.Date(2024, 3, 1, 0, 0, 0, 0, loc)}
	got, err := Render("${bizdate} ${bizdate-1h}", c)
	if err != nil || got != "2024-03-01 2024-02-29" {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	known := func(name string) bool { return name == "lookback" }
	tests := []struct {
		text string
		want []Issue
	}{
		{"SELECT ${bizdate-1d}, {{ ds }}, ${lookback}, $${nope}", nil},
		{"${nope}", []Issue{{0, 1, 1, "nope", "unknown parameter ${nope}"}}},
		{"a\n ${x} ${y+1d}", []Issue{
			{3, 2, 2, "x", "unknown parameter ${x}"},
			{8, 2, 7, "y", "unknown parameter ${y}"},
		}},
		{"${lookback-1d}", []Issue{{0, 1, 1, "lookback", "arithmetic applies only to date parameters, not ${lookback}"}}},
		{"${task+1d}", []Issue{{0, 1, 1, "task", "arithmetic applies only to date parameters, not ${task}"}}},
		{"{{ ts }} {{ next_ds }} {{ds}}", nil},
		{"${a ${b}", []Issue{{0, 1, 1, "", "bad parameter ${a ${b}: want ${name} or ${name±N unit}; write $${ for a literal ${"}}},
		{"${x} ${", []Issue{
			{0, 1, 1, "x", "unknown parameter ${x}"},
			{5, 1, 6, "", "unclosed ${: close it with } or write $${ for a literal ${"},
		}},
	}
	for _, tt := range tests {
		got := Check(tt.text, known)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Check(%q) =\n%+v\nwant\n%+v", tt.text, got, tt.want)
		}
	}
	if got := Check("${lookback}", nil); len(got) != 1 {
		t.Errorf("Check with nil known = %+v; want one issue", got)
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	got := Names("${b} ${a-1d} {{ ds }} ${b} $${c} ${bad")
	want := []string{"a", "b", "ds"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Names = %q; want %q", got, want)
	}
}

func TestBuiltins(t *testing.T) {
	t.Parallel()
	want := []string{"bizdate", "bizdate_nodash", "cyctime", "data_dir", "hour", "month_end",
		"month_start", "project", "task", "week_start", "year_start", "yyyymmdd"}
	if got := Builtins(); !reflect.DeepEqual(got, want) {
		t.Errorf("Builtins = %q", got)
	}
	for _, n := range want {
		if !IsBuiltin(n) {
			t.Errorf("IsBuiltin(%q) = false", n)
		}
	}
	if IsBuiltin("ds") || IsBuiltin("nope") {
		t.Error("IsBuiltin true for a non-built-in")
	}
}

func TestEnv(t *testing.T) {
	t.Parallel()
	c := setup(t, "2024-03-01", 7)
	c.Values = map[string]string{"source_dir": "${data_dir}/src", "lookback": "7"}
	got, err := Env(c)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"KILN_BIZDATE=2024-03-01",
		"KILN_BIZDATE_NODASH=20240301",
		"KILN_CYCTIME=2024-03-01 07:00:00",
		"KILN_DATA_DIR=/var/lib/kiln",
		"KILN_HOUR=07",
		"KILN_LOOKBACK=7",
		"KILN_MONTH_END=2024-03-31",
		"KILN_MONTH_START=2024-03-01",
		"KILN_PROJECT=edu",
		"KILN_SOURCE_DIR=/var/lib/kiln/src",
		"KILN_TASK=dwd_orders",
		"KILN_WEEK_START=2024-02-26",
		"KILN_YEAR_START=2024-01-01",
		"KILN_YYYYMMDD=20240301",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Env =\n%q\nwant\n%q", got, want)
	}

	c.Values = map[string]string{"a": "${nope}"}
	if _, err := Env(c); !errors.Is(err, ErrUnknown) {
		t.Errorf("Env with an unknown parameter: %v", err)
	}
}
