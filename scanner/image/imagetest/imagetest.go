// Package imagetest builds the container image the image source's tests
// scan, and serves it from an in-process registry, a docker save tarball
// and an OCI layout. It is for tests only.
package imagetest

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The planted keys (AWS access key ids the built-in rules detect).
const (
	// RemovedKey is in app/.env of layer 1, which layer 2 deletes.
	RemovedKey = "AKIAVXDL4KL32XO3SRRR"
	// LayerKey is in etc/app/config.yml of layer 2, and in the history
	// command that wrote it.
	LayerKey = "AKIA3FKHDFPOYE4HM5KZ"
	// EnvKey is in the configuration's environment.
	EnvKey = "AKIA5NKGEG3S7KGL5VGL"
	// BigKey is at the end of opt/big.log of layer 3, a file of BigSize bytes.
	BigKey = "AKIA4UMQIJRLNSVRGXSV"
	// BigSize is the size of opt/big.log.
	BigSize = 200 << 10
)

// The history commands of the three layers.
const (
	CreatedBy1 = "COPY app/ /app/ # buildkit"
	CreatedBy2 = "RUN /bin/sh -c rm /app/.env && printf 'aws:\\n  access_key_id: " + LayerKey + "\\n' > /etc/app/config.yml # buildkit"
	CreatedBy3 = "COPY big.log /opt/ # buildkit"
)

// File is one entry of a layer: a regular file, or a whiteout when its
// base name starts with .wh.
type File struct {
	Name, Content string
}

// Layer makes a layer of files.
func Layer(t testing.TB, files ...File) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.Name, Mode: 0o644, Size: int64(len(f.Content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, f.Content); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Image is the test image: layer 1 adds app/.env with RemovedKey, layer 2
// deletes it (a whiteout) and adds etc/app/config.yml with LayerKey, layer
// 3 adds opt/big.log with BigKey at its end; the environment holds EnvKey
// and the history has an ENV entry that made no layer.
func Image(t testing.TB) v1.Image {
	t.Helper()
	big := strings.Repeat("log line without anything\n", BigSize/26)
	big += "aws_access_key_id = " + BigKey + "\n"
	img, err := mutate.Append(empty.Image,
		mutate.Addendum{Layer: Layer(t, File{"app/.env", "AWS_ACCESS_KEY_ID=" + RemovedKey + "\n"}, File{"app/main.py", "print('hi')\n"}),
			History: v1.History{CreatedBy: CreatedBy1}},
		mutate.Addendum{Layer: Layer(t, File{"app/.wh..env", ""}, File{"etc/app/config.yml", "aws:\n  access_key_id: " + LayerKey + "\n"}),
			History: v1.History{CreatedBy: CreatedBy2}},
		mutate.Addendum{Layer: Layer(t, File{"./opt/big.log", big}),
			History: v1.History{CreatedBy: CreatedBy3}},
	)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.Config.Env = []string{"PATH=/usr/bin", "AWS_ACCESS_KEY_ID=" + EnvKey}
	cfg.Config.Labels = map[string]string{"org.opencontainers.image.title": "app"}
	cfg.History = append([]v1.History{{CreatedBy: "ENV AWS_ACCESS_KEY_ID=" + EnvKey, EmptyLayer: true}}, cfg.History...)
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// DiffIDs are the image's layers' diff IDs, in order.
func DiffIDs(t testing.TB, img v1.Image) []string {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range ls {
		d, err := l.DiffID()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d.String())
	}
	return out
}

// Registry serves an in-process registry on loopback; it is closed when
// the test ends. It returns the registry's host:port.
func Registry(t testing.TB) string {
	t.Helper()
	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

// Push writes img to ref (host/repo:tag) of a registry.
func Push(t testing.TB, ref string, img v1.Image) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
}

// Tarball writes img as a docker save tarball in dir and returns its path.
func Tarball(t testing.TB, dir string, img v1.Image) string {
	t.Helper()
	tag, err := name.NewTag("example.com/app:1.0")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "app.tar")
	if err := tarball.WriteToFile(p, tag, img); err != nil {
		t.Fatal(err)
	}
	return p
}

// Layout writes img as an OCI layout folder in dir and returns its path.
func Layout(t testing.TB, dir string, img v1.Image) string {
	t.Helper()
	p := filepath.Join(dir, "oci")
	lp, err := layout.Write(p, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return p
}

// DockerSave writes img in dir as the classic `docker save` does: a
// manifest.json naming config.json and one uncompressed ID/layer.tar per
// layer. It returns the file's path.
func DockerSave(t testing.TB, dir string, img v1.Image) string {
	t.Helper()
	p := filepath.Join(dir, "docker-save.tar")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	put := func(name string, data []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	put("config.json", raw)
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, l := range ls {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("layer%d/layer.tar", i)
		put(name, data)
		names = append(names, name)
	}
	m, _ := json.Marshal([]map[string]any{{"Config": "config.json", "RepoTags": []string{"example.com/app:1.0"}, "Layers": names}})
	put("manifest.json", m)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}
