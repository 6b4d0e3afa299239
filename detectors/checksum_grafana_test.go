package detectors

import (
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"testing"
)

func TestGrafanaChecksum(t *testing.T) {
	body := "glsa_Qm3vT8zLk2RbX9pWc4NyHd7FjS1aGe6U"
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], crc32.ChecksumIEEE([]byte(body)))
	valid := body + "_" + hex.EncodeToString(b[:])
	if !GrafanaChecksum(valid) {
		t.Errorf("GrafanaChecksum(%q) = false, want true", valid)
	}
	// The same four bytes in big-endian order are not Grafana's checksum
	// (unless the CRC reads the same both ways, which this one does not).
	binary.BigEndian.PutUint32(b[:], crc32.ChecksumIEEE([]byte(body)))
	for _, bad := range []string{
		body + "_" + hex.EncodeToString(b[:]),
		body + "_00000000",
		"glsa_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx_00000000",
		"glsa_short",
		"glc_" + valid[5:],
	} {
		if GrafanaChecksum(bad) {
			t.Errorf("GrafanaChecksum(%q) = true, want false", bad)
		}
	}
}
