package cli

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"strings"
	"testing"
)

// zipClaiming builds a small zip with one stored entry whose zip64 end
// record declares `declared` entries: the shape of a 470 MB file listing
// 10M entries, in a few hundred bytes.
func zipClaiming(declared uint64) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	put := func(v ...any) {
		for _, x := range v {
			binary.Write(&b, le, x)
		}
	}
	data := []byte("aws_access_key_id = " + trustAWSKey + "\n")
	sum := crc32.ChecksumIEEE(data)
	put(uint32(0x04034b50), uint16(10), uint16(0), uint16(0), uint16(0), uint16(0), sum,
		uint32(len(data)), uint32(len(data)), uint16(5), uint16(0))
	b.WriteString("k.env")
	b.Write(data)
	dir := uint64(b.Len())
	put(uint32(0x02014b50), uint16(20), uint16(10), uint16(0), uint16(0), uint16(0), uint16(0), sum,
		uint32(len(data)), uint32(len(data)), uint16(5), uint16(0), uint16(0), uint16(0), uint16(0), uint32(0), uint32(0))
	b.WriteString("k.env")
	size := uint64(b.Len()) - dir
	end64 := uint64(b.Len())
	put(uint32(0x06064b50), uint64(44), uint16(45), uint16(45), uint32(0), uint32(0), declared, declared, size, dir)
	put(uint32(0x07064b50), uint32(0), end64, uint32(1))
	put(uint32(0x06054b50), uint16(0), uint16(0), uint16(0xffff), uint16(0xffff), uint32(0xffffffff), uint32(0xffffffff), uint16(0))
	return b.Bytes()
}

// Vector 10 (and the warnings of vector 8): a committed zip whose end record
// claims 10M entries costs one warning, which names it with its escape
// sequences escaped; the rest of the repository is scanned and reported.
// The same zip claiming one entry is opened, which shows the crafted file
// is a zip achilles reads.
func TestZipClaimingTenMillionEntriesInARepository(t *testing.T) {
	const hostileName = "bundle\x1b]52;c;ZXZpbA==\x07\x1b[2J.zip"
	r := newGitRepo(t)
	r.write(hostileName, string(zipClaiming(10_000_000)))
	r.write("ok.zip", string(zipClaiming(1)))
	r.write("deploy.env", "GITHUB_TOKEN="+trustGitHubToken+"\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "add bundles")
	res := runBinary(t, r.dir, nil, "git", ".", "-f", "json", "--no-progress")
	if res.code != ExitFindings {
		t.Fatalf("exit %d, want %d: %+v", res.code, ExitFindings, res)
	}
	paths := map[string]bool{}
	for _, f := range decodeFindings(t, res) {
		paths[f.Path] = true
	}
	if !paths["deploy.env"] || !paths["ok.zip!k.env"] {
		t.Fatalf("findings at %v, want deploy.env and ok.zip!k.env", paths)
	}
	for p := range paths {
		if strings.HasPrefix(p, "bundle") {
			t.Errorf("an entry of the refused zip was read: %q", p)
		}
	}
	if !strings.Contains(res.stderr, "10000000 entries") {
		t.Errorf("no warning about the entry count:\n%s", res.stderr)
	}
	if strings.ContainsAny(res.stderr, "\x1b\x07") {
		t.Errorf("the warning prints the file name's escape sequences raw: %q", res.stderr)
	}
	if !strings.Contains(res.stderr, `bundle\x1b]52`) {
		t.Errorf("the warning does not name the archive (escaped):\n%s", res.stderr)
	}
}

// Vector 12 in a repository: `achilles git --verify` on a committed canary
// key pair reports it canary and sends nothing anywhere (the proxy every
// request to an official host would pass through sees none).
func TestCanaryKeyInARepositoryIsNeverSent(t *testing.T) {
	const canaryKeyID = "AKIAQYLPMN5HHHFPZAM2" // a Thinkst Canarytokens account
	proxy := newConnectRecorder(t)
	r := newGitRepo(t)
	r.write("aws.env", "AWS_ACCESS_KEY_ID="+canaryKeyID+"\nAWS_SECRET_ACCESS_KEY=q3S9qhO8ieinzOaSLhBqZLYgrEKTRRpnzNWuabaw\n")
	r.run("git", "add", "-A")
	r.run("git", "commit", "-qm", "creds")
	env := []string{"HTTPS_PROXY=" + proxy.URL, "https_proxy=" + proxy.URL, "NO_PROXY=", "no_proxy="}
	res := runBinary(t, r.dir, env, "git", ".", "--verify", "-f", "json", "--no-progress")
	if res.code != ExitFindings {
		t.Fatalf("%+v", res)
	}
	canaries := 0
	for _, f := range decodeFindings(t, res) {
		if f.Verification != nil && f.Verification.Status == "canary" {
			canaries++
		}
	}
	if canaries == 0 {
		t.Fatalf("no finding verified canary: %s", res.stdout)
	}
	if hosts := proxy.seen(); len(hosts) != 0 {
		t.Errorf("a canary key was sent: requests to %v", hosts)
	}
}
