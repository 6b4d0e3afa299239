//go:build unix

package analyze

import "syscall"

// noFollow makes opening a symbolic link fail, so a link planted where the
// audit log goes between the check and the open is not followed.
const noFollow = syscall.O_NOFOLLOW
