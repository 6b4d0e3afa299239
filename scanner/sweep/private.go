package sweep

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// PrepareCache makes the clone cache folder private: created mode 0700, or
// set to 0700 when it already existed with another mode (the clones hold
// everything the scanned repositories hold). A shared folder (sticky bit,
// such as /tmp) is refused rather than closed to its other users.
func PrepareCache(dir string) error {
	if dir == "" {
		return errors.New("no clone cache folder")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating the clone cache: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("the clone cache: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("the clone cache %s is not a folder", dir)
	}
	if st.Mode()&os.ModeSticky != 0 {
		return fmt.Errorf("the clone cache %s is a shared folder (sticky bit): give a folder of its own", dir)
	}
	if st.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("making the clone cache private: %w", err)
		}
	}
	return nil
}

// privatize sets every folder under dir (dir included) to 0700 and every
// regular file to 0600: go-git creates them 0755 and 0644. Symbolic links
// are left alone and not followed. A dir that does not exist is no error.
func privatize(dir string) error {
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var want fs.FileMode
		switch {
		case d.IsDir():
			want = 0o700
		case d.Type().IsRegular():
			want = 0o600
		default:
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode().Perm() != want {
			return os.Chmod(path, want)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("making the clone private: %w", err)
	}
	return nil
}
