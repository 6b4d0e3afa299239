package verifytest

import (
	"net"
	"testing"
)

// HangingHost returns the https URL of a loopback listener that accepts
// connections and never says a word (no TLS handshake) until the test ends.
func HangingHost(t testing.TB) string {
	url, _ := HangingHostAccepting(t)
	return url
}

// HangingHostAccepting is HangingHost with a channel that is closed when
// the first connection arrives: a test can wait until a request is
// waiting on the host instead of guessing how long that takes.
func HangingHostAccepting(t testing.TB) (string, <-chan struct{}) {
	ln := listen(t)
	done := make(chan struct{})
	accepted := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close() })
	go func() {
		first := true
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if first {
				close(accepted)
				first = false
			}
			go func() { <-done; c.Close() }()
		}
	}()
	return "https://" + ln.Addr().String(), accepted
}

// ResettingHost returns the https URL of a loopback listener that resets
// each connection as it is accepted (SO_LINGER 0: close sends RST).
func ResettingHost(t testing.TB) string {
	ln := listen(t)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}
	}()
	return "https://" + ln.Addr().String()
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}
