package verifytest

import (
	"net"
	"testing"
)

// HangingHost returns the https URL of a loopback listener that accepts
// connections and never says a word (no TLS handshake) until the test ends.
func HangingHost(t testing.TB) string {
	ln := listen(t)
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { <-done; c.Close() }()
		}
	}()
	return "https://" + ln.Addr().String()
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
