package image_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/achilles-sec/achilles/detectors"
	"github.com/achilles-sec/achilles/rules"
	"github.com/achilles-sec/achilles/scanner"
	"github.com/achilles-sec/achilles/scanner/finding"
	"github.com/achilles-sec/achilles/scanner/image"
	"github.com/achilles-sec/achilles/scanner/image/imagetest"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

var (
	engineOnce sync.Once
	engine     *detectors.Engine
)

func options(t *testing.T) scanner.Options {
	t.Helper()
	engineOnce.Do(func() {
		cfg, err := rules.Default()
		if err != nil {
			t.Fatal(err)
		}
		engine = detectors.New(cfg)
	})
	return scanner.Options{Engine: engine, Jobs: 4, Warn: func(err error) { t.Logf("warning: %v", err) }}
}

// bySecret indexes the findings of files by secret and image.
func bySecret(fs []finding.Finding) map[string]finding.Finding {
	m := map[string]finding.Finding{}
	for _, f := range fs {
		if f.Path != image.ConfigPath {
			m[f.Secret+" "+f.Image.Image] = f
		}
	}
	return m
}

func TestScanSources(t *testing.T) {
	img := imagetest.Image(t)
	ids := imagetest.DiffIDs(t, img)
	dir := t.TempDir()
	host := imagetest.Registry(t)
	ref := host + "/team/app:1.0"
	imagetest.Push(t, ref, img)
	sources := map[string]string{
		"registry": ref,
		"tarball":  imagetest.Tarball(t, dir, img),
		"layout":   imagetest.Layout(t, dir, img),
		"save":     imagetest.DockerSave(t, dir, img),
	}
	for what, src := range sources {
		t.Run(what, func(t *testing.T) {
			opts := options(t)
			// The big file is spooled to disk and searched as a stream.
			opts.MaxFileSize = 64 << 10
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			defer func() {
				if left, _ := os.ReadDir(tmp); len(left) != 0 {
					t.Errorf("the scan left %v in the temporary folder", left)
				}
			}()
			res, err := image.Scan(context.Background(), opts, []string{src}, image.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := bySecret(res.Findings)
			want := []struct {
				key, path, layer, createdBy string
				removed                     bool
			}{
				{imagetest.RemovedKey, "app/.env", ids[0], imagetest.CreatedBy1, true},
				{imagetest.LayerKey, "etc/app/config.yml", ids[1], imagetest.CreatedBy2, false},
				{imagetest.BigKey, "opt/big.log", ids[2], imagetest.CreatedBy3, false},
			}
			for _, w := range want {
				f, ok := got[w.key+" "+src]
				if !ok {
					t.Errorf("%s not found in %+v", w.key, res.Findings)
					continue
				}
				if f.Kind != finding.KindImage || f.Path != w.path || f.Image.Layer != w.layer || f.Image.CreatedBy != w.createdBy || f.Image.Removed != w.removed || f.RuleID != "aws-access-key-id" {
					t.Errorf("%s: got %s %s %+v, want %+v", w.key, f.Kind, f.Path, *f.Image, w)
				}
			}
			// The configuration: env line 2, the ENV history line 4; the
			// history line holding LayerKey names its command.
			var env []finding.Finding
			history := false
			for _, f := range res.Findings {
				if f.Secret == imagetest.EnvKey {
					env = append(env, f)
				}
				if f.Secret == imagetest.LayerKey && f.Path == image.ConfigPath {
					history = f.Image.CreatedBy == imagetest.CreatedBy2 && f.Image.Layer == "" && f.Line == 6
				}
			}
			if !history {
				t.Errorf("LayerKey in the history not found with its command: %+v", res.Findings)
			}
			if len(env) != 1 || env[0].Path != image.ConfigPath || env[0].Image.Layer != "" || env[0].Kind != finding.KindImage || env[0].Line != 2 {
				t.Fatalf("config findings: %+v", env)
			}
			if len(env[0].Locations) != 2 || env[0].Locations[1].Line != 4 {
				t.Errorf("config locations %+v, want lines 2 and 4 (the history)", env[0].Locations)
			}
			if res.Stats.Objects != 5 {
				t.Errorf("objects %d, want 5 (config and four files)", res.Stats.Objects)
			}
		})
	}
}

// A layer shared by two images is searched once and reported for both;
// whether it is removed is each image's own.
func TestSharedLayers(t *testing.T) {
	img := imagetest.Image(t)
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := img.ConfigFile()
	// The second image has the first layer only, nothing deletes .env.
	base, err := mutate.Append(empty.Image, mutate.Addendum{Layer: ls[0], History: cfg.History[1]})
	if err != nil {
		t.Fatal(err)
	}
	host := imagetest.Registry(t)
	imagetest.Push(t, host+"/team/app:1.0", img)
	imagetest.Push(t, host+"/team/base:1.0", base)
	refs := []string{host + "/team/app:1.0", host + "/team/base:1.0"}
	res, err := image.Scan(context.Background(), options(t), refs, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := bySecret(res.Findings)
	a, b := got[imagetest.RemovedKey+" "+refs[0]], got[imagetest.RemovedKey+" "+refs[1]]
	if a.Image == nil || b.Image == nil || !a.Image.Removed || b.Image.Removed || a.Image.Layer != b.Image.Layer {
		t.Fatalf("shared layer: %+v / %+v", a.Image, b.Image)
	}
	// Configs (2) and files: the app image's four, the base's layer not again.
	if res.Stats.Objects != 6 {
		t.Errorf("objects %d, want 6: a shared layer is read once", res.Stats.Objects)
	}
}

func TestUnreadableRefs(t *testing.T) {
	host := imagetest.Registry(t)
	for _, ref := range []string{"./missing.tar", t.TempDir(), host + "/team/nothing:1.0", "Not A Ref"} {
		_, err := image.Scan(context.Background(), options(t), []string{ref}, image.Options{})
		if !errors.Is(err, scanner.ErrTarget) || !strings.Contains(err.Error(), ref) {
			t.Errorf("%s: %v, want a target error naming it", ref, err)
		}
	}
}

// A layer that cannot be read is a warning; the other layers are scanned.
func TestBrokenLayer(t *testing.T) {
	img := imagetest.Image(t)
	p := imagetest.Layout(t, t.TempDir(), img)
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	d, err := ls[1].Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p, "blobs", d.Algorithm, d.Hex), []byte("not gzip at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := options(t)
	var mu sync.Mutex
	var warnings []string
	opts.Warn = func(err error) { mu.Lock(); warnings = append(warnings, err.Error()); mu.Unlock() }
	res, err := image.Scan(context.Background(), opts, []string{p}, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := bySecret(res.Findings)
	for _, k := range []string{imagetest.RemovedKey, imagetest.BigKey} {
		if _, ok := got[k+" "+p]; !ok {
			t.Errorf("%s not found", k)
		}
	}
	config := false
	for _, f := range res.Findings {
		config = config || f.Secret == imagetest.EnvKey && f.Path == image.ConfigPath
	}
	if !config {
		t.Errorf("the configuration's key not found")
	}
	if _, ok := got[imagetest.LayerKey+" "+p]; ok {
		t.Errorf("a key of the broken layer reported")
	}
	ids := imagetest.DiffIDs(t, img)
	if len(warnings) != 1 || !strings.Contains(warnings[0], ids[1]) || res.Stats.Warnings != 1 {
		t.Errorf("warnings %q (%d counted), want one naming layer %s", warnings, res.Stats.Warnings, ids[1])
	}
}
