package detectors

import (
	"hash/crc32"
	"testing"
)

func TestNpmChecksum(t *testing.T) {
	// A token made for this test: 30 random characters and their CRC32.
	const valid = "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"
	if !NpmChecksum(valid) {
		t.Errorf("NpmChecksum(%q) = false, want true", valid)
	}
	random := "abcdefghijABCDEFGHIJ0123456789"
	built := "npm_" + random + encodeBase62(crc32.ChecksumIEEE([]byte(random)), 6)
	if !NpmChecksum(built) {
		t.Errorf("NpmChecksum(%q) = false, want true", built)
	}
	for _, bad := range []string{
		"npm_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IM", // last character changed
		"npm_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		"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", // a GitHub prefix is not an npm token
		"npm_Ky9Pf34qY6Nb",
	} {
		if NpmChecksum(bad) {
			t.Errorf("NpmChecksum(%q) = true, want false", bad)
		}
	}
}
