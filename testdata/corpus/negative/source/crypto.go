package crypto

import (
	"crypto/rand"
	"encoding/hex"
)

// NewToken returns a random 32-byte token, hex encoded.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
