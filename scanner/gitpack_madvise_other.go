//go:build !linux

package scanner

func dropPages([]byte) bool { return false }

const canDropPages = false
