package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/image"
	"github.com/achilles-sec/achilles/scanner/image/imagetest"
)

// runImageBinary runs the built achilles with an empty Docker
// configuration (no credentials of the machine's).
func runImageBinary(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(achillesBinary(t), args...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+t.TempDir(), "NO_COLOR=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errOut.String()}
}

// TestImageSources: `achilles image` finds the planted keys of an image
// served by an in-process registry, saved as a docker save tarball and
// written as an OCI layout, with the layer, the history command and the
// removed mark of each; the configuration's key; exit 1 for findings.
func TestImageSources(t *testing.T) {
	img := imagetest.Image(t)
	ids := imagetest.DiffIDs(t, img)
	dir := t.TempDir()
	ref := imagetest.Registry(t) + "/team/app:1.0"
	imagetest.Push(t, ref, img)
	for _, src := range []string{ref, imagetest.Tarball(t, dir, img), imagetest.Layout(t, dir, img), imagetest.DockerSave(t, dir, img)} {
		r := runImageBinary(t, "image", "-f", "json", "--no-progress", "--max-file-size", "65536", src)
		if r.code != ExitFindings {
			t.Fatalf("%s: exit %d, stderr %s", src, r.code, r.stderr)
		}
		var fs []finding.Finding
		if err := json.Unmarshal([]byte(r.stdout), &fs); err != nil {
			t.Fatalf("%s: %v\n%s", src, err, r.stdout)
		}
		got := map[string]finding.Finding{}
		for _, f := range fs {
			if f.Kind != finding.KindImage || f.Image == nil || f.Image.Image != src || f.Git != nil {
				t.Errorf("%s: %s: kind %s origin %+v", src, f.Path, f.Kind, f.Image)
				continue
			}
			got[f.Secret+" "+f.Path] = f
		}
		for _, w := range []struct {
			key, path, layer, createdBy string
			removed                     bool
		}{
			{imagetest.RemovedKey, "app/.env", ids[0], imagetest.CreatedBy1, true},
			{imagetest.LayerKey, "etc/app/config.yml", ids[1], imagetest.CreatedBy2, false},
			{imagetest.BigKey, "opt/big.log", ids[2], imagetest.CreatedBy3, false},
			{imagetest.EnvKey, image.ConfigPath, "", "", false},
			// The history command that wrote the config file quotes the key.
			{imagetest.LayerKey, image.ConfigPath, "", imagetest.CreatedBy2, false},
		} {
			f, ok := got[w.key+" "+w.path]
			if !ok {
				t.Errorf("%s: %s not reported:\n%s", src, w.key, r.stdout)
				continue
			}
			o := f.Image
			if f.Path != w.path || o.Layer != w.layer || o.CreatedBy != w.createdBy || o.Removed != w.removed || f.RuleID != "aws-access-key-id" {
				t.Errorf("%s: %s at %s %+v, want %+v", src, f.RuleID, f.Path, *o, w)
			}
		}
		if len(got) != 5 {
			t.Errorf("%s: %d findings, want 5:\n%s", src, len(got), r.stdout)
		}
	}

	// --redact hides the keys in the history commands too.
	r := runImageBinary(t, "image", "-f", "json", "--redact", ref)
	for _, k := range []string{imagetest.RemovedKey, imagetest.LayerKey, imagetest.EnvKey, imagetest.BigKey} {
		if strings.Contains(r.stdout, k) {
			t.Errorf("--redact report holds %s:\n%s", k, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, `"created_by"`) {
		t.Errorf("no created_by in %s", r.stdout)
	}

	// The text report says where in the image, and that the file is gone.
	r = runImageBinary(t, "image", "--no-progress", ref)
	for _, want := range []string{"app/.env", "layer", ids[0], imagetest.CreatedBy1, "deleted by a later layer", image.ConfigPath} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text report lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestImageUnreadable: a ref that cannot be read exits 2 and says which
// and why; nothing is reported.
func TestImageUnreadable(t *testing.T) {
	host := imagetest.Registry(t)
	for _, c := range []struct{ ref, why string }{
		{"./missing.tar", "no such file"},
		{host + "/team/nothing:1.0", "_UNKNOWN"},
		{t.TempDir(), "not an OCI layout"},
	} {
		r := runImageBinary(t, "image", "-f", "json", c.ref)
		if r.code != ExitUsage || !strings.Contains(r.stderr, c.ref) || !strings.Contains(r.stderr, c.why) || strings.Contains(r.stdout, "rule_id") {
			t.Errorf("%s: exit %d, stderr %q", c.ref, r.code, r.stderr)
		}
	}
	if r := runCLI(t, "", "image"); r.code != ExitUsage {
		t.Errorf("no ref: exit %d", r.code)
	}
}
