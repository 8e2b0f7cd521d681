package logstore

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestStore_WriteReadFollow(t *testing.T) {
	t.Parallel()
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, off, err := s.ReadAt(7, 0, 0)
	if err != nil || len(b) != 0 || off != 0 {
		t.Fatalf("unwritten log: %q %d %v", b, off, err)
	}
	w, err := s.Open(7)
	if err != nil {
		t.Fatal(err)
	}
	woke := make(chan struct{})
	go func() {
		s.Wait(context.Background(), 7, time.Minute)
		close(woke)
	}()
	// The follower must be registered before the write to be woken by it;
	// a write before that is seen by its first read instead.
	for {
		s.mu.Lock()
		_, ok := s.changed[7]
		s.mu.Unlock()
		if ok {
			break
		}
		time.Sleep(time.Millisecond)
	}
	w.Printf("hello %d", 1)
	<-woke
	_, _ = w.Write([]byte("second\n"))
	_ = w.Close()

	b, off, err = s.ReadAt(7, 0, 0)
	if err != nil || !strings.Contains(string(b), "hello 1\nsecond\n") {
		t.Fatalf("ReadAt: %q %v", b, err)
	}
	rest, off2, _ := s.ReadAt(7, off-7, 3)
	if string(rest) != "sec" || off2 != off-4 {
		t.Fatalf("partial read %q %d", rest, off2)
	}
}

func TestStore_Prune(t *testing.T) {
	t.Parallel()
	s, _ := New(t.TempDir())
	for _, id := range []int64{1, 2002} {
		w, _ := s.Open(id)
		w.Printf("x")
		_ = w.Close()
	}
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(s.Path(1), old, old); err != nil {
		t.Fatal(err)
	}
	n, err := s.Prune(time.Now().Add(-24 * time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v", n, err)
	}
	if _, err := os.Stat(s.Path(2002)); err != nil {
		t.Fatal("recent log pruned")
	}
}
