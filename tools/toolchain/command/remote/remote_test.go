package remote

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Lines reach the log whole, whatever the write boundaries, with no length limit; a last line
// without a newline is logged by flush; both streams land in the combined buffer.
func TestStreamLogsWholeLines(t *testing.T) {
	var combined lockedBuffer
	var logged []string
	s := &stream{combined: &combined, logLine: func(l string) { logged = append(logged, l) }}
	long := strings.Repeat("x", 100_000)
	for _, chunk := range []string{"fir", "st\r\nsec", "ond\n\n", long[:50_000], long[50_000:] + "\n", "tail"} {
		s.Write([]byte(chunk))
	}
	s.flush()
	want := []string{"first", "second", "", long, "tail"}
	if strings.Join(logged, "|") != strings.Join(want, "|") {
		t.Fatalf("logged %d lines %q..., want %d", len(logged), logged[:2], len(want))
	}
	if got := s.all.String(); got != "first\r\nsecond\n\n"+long+"\ntail" || combined.String() != got {
		t.Fatalf("captured %d bytes, combined %d", len(got), len(combined.String()))
	}
}

func TestStreamNotLogged(t *testing.T) {
	var combined lockedBuffer
	s := &stream{combined: &combined}
	s.Write([]byte("a\nb"))
	s.flush()
	if s.all.String() != "a\nb" || len(s.partial) != 0 {
		t.Fatalf("got %q, partial %q", s.all.String(), s.partial)
	}
}

// dialErrorLimit N allows N failures: attempt N+1 is the last (as upstream).
func TestRetryDialLimit(t *testing.T) {
	tries := 0
	_, err := retryDial(context.Background(), "Dial", 2, func() (int, error) {
		tries++
		return 0, errors.New("refused")
	})
	if tries != 3 || err == nil || !strings.Contains(err.Error(), "after 3 failed attempts: refused") {
		t.Fatalf("tries %d, err %v", tries, err)
	}

	tries = 0
	v, err := retryDial(context.Background(), "Dial", 2, func() (int, error) {
		if tries++; tries < 3 {
			return 0, errors.New("refused")
		}
		return 42, nil
	})
	if v != 42 || err != nil {
		t.Fatalf("got %d, %v", v, err)
	}
}

// -1 retries until the context ends, and the error keeps the last dial error.
func TestRetryDialUnlimitedStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	tries := 0
	_, err := retryDial(ctx, "Dial", -1, func() (int, error) {
		tries++
		return 0, errors.New("refused")
	})
	// 100, 150, 225 ms pauses fit in 600 ms; the next one (337 ms) does not.
	if tries != 4 || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("tries %d, err %v", tries, err)
	}
}
