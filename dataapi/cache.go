package dataapi

import (
	"sync"
	"time"
)

// cache keeps whole response bodies by API, version and normalised
// parameters until their TTL passes.
type cache struct {
	mu      sync.Mutex
	entries map[cacheKey]cacheEntry
}

type cacheKey struct {
	api     int64
	version int
	params  string // the canonical encoding of the typed parameters, page and size
}

type cacheEntry struct {
	body    []byte
	rows    int64
	expires time.Time
}

// maxCacheEntries bounds memory: past it, expired entries are swept and,
// if still full, the cache starts over.
const maxCacheEntries = 100_000

func newCache() *cache { return &cache{entries: map[cacheKey]cacheEntry{}} }

func (c *cache) get(k cacheKey, now time.Time) (cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || now.After(e.expires) {
		return cacheEntry{}, false
	}
	return e, true
}

func (c *cache) put(k cacheKey, e cacheEntry, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCacheEntries {
		for k, e := range c.entries {
			if now.After(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxCacheEntries {
			clear(c.entries)
		}
	}
	c.entries[k] = e
}

func (c *cache) dropAPI(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		if k.api == id {
			delete(c.entries, k)
		}
	}
}

// nonceSet remembers the nonces of signed requests while their timestamp
// is inside the window, so a replay is rejected.
type nonceSet struct {
	mu   sync.Mutex
	seen map[string]time.Time // nonce → when it may be forgotten
}

func newNonceSet() *nonceSet { return &nonceSet{seen: map[string]time.Time{}} }

// add records a nonce and reports false when it was seen already.
func (n *nonceSet) add(nonce string, forgetAt, now time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.seen) > 100_000 {
		for k, t := range n.seen {
			if now.After(t) {
				delete(n.seen, k)
			}
		}
	}
	if t, ok := n.seen[nonce]; ok && !now.After(t) {
		return false
	}
	n.seen[nonce] = forgetAt
	return true
}
