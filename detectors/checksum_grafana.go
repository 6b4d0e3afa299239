package detectors

import (
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"strings"
)

// GrafanaChecksum checks a Grafana service account token,
// glsa_<32 random characters>_<8 hex digits>: the hex digits are the CRC32
// (IEEE) of everything before the last underscore, its four bytes written
// least significant first.
func GrafanaChecksum(token string) bool {
	body, sum, ok := cutLast(token, "_")
	if !ok || !strings.HasPrefix(body, "glsa_") || len(sum) != 8 {
		return false
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], crc32.ChecksumIEEE([]byte(body)))
	return strings.EqualFold(sum, hex.EncodeToString(b[:]))
}

func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
