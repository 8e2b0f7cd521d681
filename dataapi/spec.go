// Package dataapi publishes a parameterised SELECT as a REST endpoint,
// GET /data/v1/<project>/<path>: typed parameters always sent as bind
// variables, optional fragments, stable pagination, app tokens with
// optional HMAC signing, rate limits, a result cache, versions and a call
// log with metrics.
package dataapi

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits of a spec.
const (
	DefaultPageSize    = 50
	DefaultMaxPageSize = 1000
	MaxPageSizeCap     = 10000
)

// ErrInvalid wraps every problem with a spec or a call's parameters.
var ErrInvalid = errors.New("invalid")

// Spec is one version of a data API.
type Spec struct {
	Path   string `json:"path"`
	Engine string `json:"engine,omitempty"`
	// SQL is one SELECT with :name parameters and optional fragments in
	// [[ ... ]], dropped when a parameter inside is absent.
	SQL    string  `json:"sql"`
	Params []Param `json:"params,omitempty"`
	// OrderBy gives pages a stable order: result columns, each optionally
	// followed by asc or desc ("id" or "created_at desc, id").
	OrderBy     string  `json:"order_by"`
	MaxPageSize int     `json:"max_page_size,omitempty"`
	CacheTTL    string  `json:"cache_ttl,omitempty"`  // a Go duration; "" caches nothing
	RateLimit   float64 `json:"rate_limit,omitempty"` // requests per second for the API; 0: none
	Description string  `json:"description,omitempty"`
}

// Param is a typed parameter.
type Param struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"` // string, int, float, bool, date, list
	Required bool     `json:"required,omitempty"`
	Default  string   `json:"default,omitempty"`
	Enum     []string `json:"enum,omitempty"`
	Min      *float64 `json:"min,omitempty"`
	Max      *float64 `json:"max,omitempty"`
	// ItemType is the type of a list's items (default string).
	ItemType string `json:"item_type,omitempty"`
}

var (
	pathRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*$`)
	nameRE  = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	orderRE = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)(\s+(?i:asc|desc))?\s*$`)
)

// reserved are query parameters the API itself reads.
var reserved = []string{"page", "page_size", "total"}

var types = []string{"string", "int", "float", "bool", "date", "list"}

// Validate checks a spec's own fields (the SQL is checked by parsing
// elsewhere) and returns its cache TTL.
func (s *Spec) Validate() (time.Duration, error) {
	if !pathRE.MatchString(s.Path) {
		return 0, fmt.Errorf("%w path %q: use lower-case letters, digits, - and _ in segments separated by /", ErrInvalid, s.Path)
	}
	if strings.TrimSpace(s.SQL) == "" {
		return 0, fmt.Errorf("%w: sql is empty", ErrInvalid)
	}
	if s.MaxPageSize < 0 || s.MaxPageSize > MaxPageSizeCap {
		return 0, fmt.Errorf("%w: max_page_size must be between 1 and %d", ErrInvalid, MaxPageSizeCap)
	}
	if s.RateLimit < 0 {
		return 0, fmt.Errorf("%w: rate_limit must not be negative", ErrInvalid)
	}
	if _, err := s.orderTerms(); err != nil {
		return 0, err
	}
	var ttl time.Duration
	if s.CacheTTL != "" {
		var err error
		if ttl, err = time.ParseDuration(s.CacheTTL); err != nil || ttl < 0 {
			return 0, fmt.Errorf("%w cache_ttl %q: want a duration such as 30s", ErrInvalid, s.CacheTTL)
		}
	}
	seen := map[string]bool{}
	for _, p := range s.Params {
		if !nameRE.MatchString(p.Name) || slices.Contains(reserved, p.Name) {
			return 0, fmt.Errorf("%w parameter name %q (lower-case identifier, not page, page_size or total)", ErrInvalid, p.Name)
		}
		if seen[p.Name] {
			return 0, fmt.Errorf("%w: parameter %s is declared twice", ErrInvalid, p.Name)
		}
		seen[p.Name] = true
		if !slices.Contains(types, p.Type) {
			return 0, fmt.Errorf("%w: parameter %s has type %q; want one of %s", ErrInvalid, p.Name, p.Type, strings.Join(types, ", "))
		}
		if p.Type == "list" && p.ItemType != "" && (p.ItemType == "list" || !slices.Contains(types, p.ItemType)) {
			return 0, fmt.Errorf("%w: list parameter %s has item_type %q", ErrInvalid, p.Name, p.ItemType)
		}
		for _, e := range p.Enum {
			if _, err := p.convertOne(p.itemType(), e); err != nil {
				return 0, fmt.Errorf("%w: enum value of %s: %v", ErrInvalid, p.Name, err)
			}
		}
		if p.Default != "" {
			if _, err := p.Convert([]string{p.Default}); err != nil {
				return 0, fmt.Errorf("%w: default of %s: %v", ErrInvalid, p.Name, err)
			}
		}
	}
	return ttl, nil
}

func (s *Spec) orderTerms() ([]string, error) {
	if strings.TrimSpace(s.OrderBy) == "" {
		return nil, fmt.Errorf("%w: order_by is required so that pages have a stable order (for example \"id\")", ErrInvalid)
	}
	var cols []string
	for _, term := range strings.Split(s.OrderBy, ",") {
		m := orderRE.FindStringSubmatch(term)
		if m == nil {
			return nil, fmt.Errorf("%w order_by term %q: want a column name, optionally followed by asc or desc", ErrInvalid, strings.TrimSpace(term))
		}
		cols = append(cols, m[1])
	}
	return cols, nil
}

func (p *Param) itemType() string {
	if p.Type == "list" {
		if p.ItemType == "" {
			return "string"
		}
		return p.ItemType
	}
	return p.Type
}

// Convert turns a parameter's raw values (a list may repeat or hold commas)
// into the typed value bound to the query, checking enum and range.
func (p *Param) Convert(raw []string) (any, error) {
	if p.Type != "list" {
		if len(raw) != 1 {
			return nil, fmt.Errorf("parameter %s takes one value, got %d", p.Name, len(raw))
		}
		return p.convertOne(p.Type, raw[0])
	}
	var out []any
	for _, r := range raw {
		for _, item := range strings.Split(r, ",") {
			v, err := p.convertOne(p.itemType(), strings.TrimSpace(item))
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	}
	if len(out) > 1000 {
		return nil, fmt.Errorf("parameter %s has %d items; at most 1000", p.Name, len(out))
	}
	return out, nil
}

func (p *Param) convertOne(typ, s string) (any, error) {
	var v any
	var num float64
	switch typ {
	case "string":
		v = s
	case "int":
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parameter %s must be a whole number, got %q", p.Name, s)
		}
		v, num = n, float64(n)
	case "float":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f != f {
			return nil, fmt.Errorf("parameter %s must be a number, got %q", p.Name, s)
		}
		v, num = f, f
	case "bool":
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("parameter %s must be true or false, got %q", p.Name, s)
		}
		v = b
	case "date":
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, fmt.Errorf("parameter %s must be a date (YYYY-MM-DD), got %q", p.Name, s)
		}
		v = d.Format(time.DateOnly)
	}
	if len(p.Enum) > 0 && !slices.Contains(p.Enum, s) {
		return nil, fmt.Errorf("parameter %s must be one of %s, got %q", p.Name, strings.Join(p.Enum, ", "), s)
	}
	if typ == "int" || typ == "float" {
		if p.Min != nil && num < *p.Min {
			return nil, fmt.Errorf("parameter %s must be at least %g, got %s", p.Name, *p.Min, s)
		}
		if p.Max != nil && num > *p.Max {
			return nil, fmt.Errorf("parameter %s must be at most %g, got %s", p.Name, *p.Max, s)
		}
	}
	return v, nil
}
