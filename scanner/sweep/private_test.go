package sweep

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCacheIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	os.MkdirAll(filepath.Join(dir, "r.git", "objects"), 0o755)
	os.WriteFile(filepath.Join(dir, "r.git", "config"), []byte("[core]\n"), 0o644)
	os.Chmod(dir, 0o755)
	if err := PrepareCache(dir); err != nil {
		t.Fatal(err)
	}
	if err := privatize(filepath.Join(dir, "r.git")); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "r.git"): 0o700,
		filepath.Join(dir, "r.git", "objects"): 0o700, filepath.Join(dir, "r.git", "config"): 0o600} {
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want %v", path, st.Mode().Perm(), err, want)
		}
	}
	if err := privatize(filepath.Join(dir, "missing.git")); err != nil {
		t.Errorf("a clone folder that does not exist: %v", err)
	}
	shared := filepath.Join(t.TempDir(), "shared")
	os.Mkdir(shared, 0o777)
	os.Chmod(shared, 0o777|os.ModeSticky)
	if err := PrepareCache(shared); err == nil {
		t.Error("a sticky shared folder was taken as the cache")
	}
	if st, _ := os.Stat(shared); st.Mode().Perm() != 0o777 {
		t.Errorf("the shared folder's mode was changed to %v", st.Mode().Perm())
	}
}
