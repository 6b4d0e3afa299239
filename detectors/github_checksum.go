package detectors

import (
	"hash/crc32"
	"strings"
)

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// GitHubChecksum checks the checksum of a GitHub token of the form
// prefix_ + 30 random base62 characters + 6 base62 characters encoding the
// CRC32 of those 30, as GitHub documents for its token format.
func GitHubChecksum(token string) bool {
	i := strings.LastIndexByte(token, '_')
	if i < 0 {
		return false
	}
	body := token[i+1:]
	if len(body) != 36 {
		return false
	}
	random, sum := body[:30], body[30:]
	return encodeBase62(crc32.ChecksumIEEE([]byte(random)), 6) == sum
}

func encodeBase62(v uint32, width int) string {
	buf := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		buf[i] = base62Alphabet[v%62]
		v /= 62
	}
	return string(buf)
}
