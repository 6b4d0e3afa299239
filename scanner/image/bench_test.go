package image_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/achilles-sec/achilles/scanner/image/imagetest"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// TestWriteBenchImage writes the image .ci/bench-image scans, as an OCI
// layout at $ACHILLES_BENCH_IMAGE: $ACHILLES_BENCH_LAYERS layers (300) of
// 16 text files of 200 KiB each (about 1 GB uncompressed), with a key in
// one file of every tenth layer. It is skipped without the variable.
func TestWriteBenchImage(t *testing.T) {
	out := os.Getenv("ACHILLES_BENCH_IMAGE")
	if out == "" {
		t.Skip("ACHILLES_BENCH_IMAGE not set")
	}
	layers := 300
	if n, err := strconv.Atoi(os.Getenv("ACHILLES_BENCH_LAYERS")); err == nil {
		layers = n
	}
	img := empty.Image
	raw := make([]byte, 150<<10)
	for i := 0; i < layers; i++ {
		var files []imagetest.File
		for j := 0; j < 16; j++ {
			rand.Read(raw)
			text := []byte(base64.StdEncoding.EncodeToString(raw))
			for k := 76; k < len(text); k += 77 {
				text[k] = '\n'
			}
			if j == 0 && i%10 == 0 {
				text = append(text, "\naws_access_key_id = "+imagetest.LayerKey+"\n"...)
			}
			files = append(files, imagetest.File{Name: fmt.Sprintf("srv/l%03d/f%02d.txt", i, j), Content: string(text)})
		}
		var err error
		img, err = mutate.Append(img, mutate.Addendum{Layer: imagetest.Layer(t, files...), History: v1.History{CreatedBy: fmt.Sprintf("COPY l%03d /srv/", i)}})
		if err != nil {
			t.Fatal(err)
		}
	}
	lp, err := layout.Write(out, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
}
