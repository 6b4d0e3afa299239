//go:build !unix

package analyze

// noFollow: no such open flag here; OpenAudit's Lstat check stands alone.
const noFollow = 0
