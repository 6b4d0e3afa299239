package aws

import (
	_ "embed"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
)

// canaryData lists the AWS accounts known to issue canary access keys, with
// the public sources of the list.
//
//go:embed canary_accounts.txt
var canaryData string

// canaryAccounts maps account id to who issues canary keys from it.
var canaryAccounts = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(canaryData, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		id, vendor, _ := strings.Cut(line, " ")
		if isAccountID(id) {
			m[id] = strings.TrimSpace(vendor)
		}
	}
	return m
})

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

var keyIDBody = base32.StdEncoding.WithPadding(base32.NoPadding)

// AccountID decodes the AWS account an access key id belongs to, offline.
// The 16 characters after the AKIA/ASIA prefix are base32 (RFC 4648,
// upper case); of the first 48 bits they decode to, the 40 after the top
// bit hold the account number (the layout found by Aidan Steele and Tal
// Be'ery; AWS does not document it, but sts:GetAccessKeyInfo agrees).
// Key ids of the older format, whose fifth character is I or J, carry no
// account: ok is false for them and for anything that is not a 20-character
// AKIA or ASIA key id.
func AccountID(keyID string) (account string, ok bool) {
	if len(keyID) != 20 || !strings.HasPrefix(keyID, "AKIA") && !strings.HasPrefix(keyID, "ASIA") {
		return "", false
	}
	if keyID[4] == 'I' || keyID[4] == 'J' {
		return "", false
	}
	raw, err := keyIDBody.DecodeString(keyID[4:])
	if err != nil || len(raw) < 6 {
		return "", false
	}
	var b [8]byte
	copy(b[2:], raw[:6])
	n := (binary.BigEndian.Uint64(b[:]) & 0x7fff_ffff_ff80) >> 7
	return fmt.Sprintf("%012d", n), true
}

// Canary tells whether an access key id belongs to an account known to
// issue canary tokens, and whose.
func Canary(keyID string) (account, vendor string, ok bool) {
	account, ok = AccountID(keyID)
	if !ok {
		return "", "", false
	}
	vendor, ok = canaryAccounts()[account]
	return account, vendor, ok
}
