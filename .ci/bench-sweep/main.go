// Command bench-sweep measures `achilles sweep`: it generates 200 small
// repositories (every third with secrets), serves them over loopback HTTP
// through git http-backend, sweeps them into a fresh database and cache,
// then sweeps again with nothing changed. It prints the time and peak RSS
// of each run. Not a test: run it with `go run ./.ci/bench-sweep`.
package main

import (
	"flag"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("repos", 200, "repositories to generate")
	parallel := flag.Int("parallel", 0, "--parallel for the sweep (0: achilles' default)")
	flag.Parse()
	tmp, err := os.MkdirTemp("", "bench-sweep-")
	check(err)
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "achilles")
	run("", "go", "build", "-o", bin, "./cmd/achilles")

	root := filepath.Join(tmp, "served")
	start := time.Now()
	r := rand.New(rand.NewSource(42))
	var list strings.Builder
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	base := "http://" + ln.Addr().String()
	for i := 0; i < *n; i++ {
		generate(filepath.Join(root, fmt.Sprintf("repo%03d.git", i)), i, r)
		fmt.Fprintf(&list, "%s/repo%03d.git\n", base, i)
	}
	check(os.WriteFile(filepath.Join(tmp, "repos.txt"), []byte(list.String()), 0o644))
	fmt.Printf("generated %d repositories in %s\n", *n, time.Since(start).Round(time.Millisecond))

	exe, err := exec.Command("git", "--exec-path").Output()
	check(err)
	go http.Serve(ln, &cgi.Handler{Path: filepath.Join(strings.TrimSpace(string(exe)), "git-http-backend"),
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}})

	args := []string{"sweep", "--repos", filepath.Join(tmp, "repos.txt"), "--db", filepath.Join(tmp, "sweep.db"),
		"--cache", filepath.Join(tmp, "cache"), "--no-progress"}
	if *parallel > 0 {
		args = append(args, "--parallel", fmt.Sprint(*parallel))
	}
	for _, name := range []string{"first sweep", "no-change sweep"} {
		cmd := exec.Command(bin, args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		t0 := time.Now()
		err := cmd.Run()
		d := time.Since(t0)
		if err != nil {
			fmt.Fprint(os.Stderr, stderr.String())
			check(err)
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
		fmt.Printf("%s: %s, peak RSS %.1f MiB\n  %s", name, d.Round(time.Millisecond), float64(rss)/1024, lastLine(stderr.String()))
	}
}

// generate writes a bare repository with a few commits through git
// fast-import (fast enough for hundreds of repositories).
func generate(dir string, i int, r *rand.Rand) {
	run("", "git", "init", "-q", "--bare", dir)
	var s strings.Builder
	when := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 36 * time.Hour)
	for c := 1; c <= 5; c++ {
		body := fmt.Sprintf("package main\n\n// version %d of repository %d\nfunc main() { println(%d) }\n", c, i, r.Int())
		if i%3 == 0 && c == 3 {
			body += fmt.Sprintf("// aws_access_key_id = %s\n", awsKeyID(r))
		}
		fmt.Fprintf(&s, "commit refs/heads/main\ncommitter Dev <dev@example.com> %d +0000\ndata <<EOM\ncommit %d\nEOM\n", when.Unix()+int64(c*3600), c)
		fmt.Fprintf(&s, "M 644 inline main.go\ndata %d\n%s\n", len(body), body)
		readme := fmt.Sprintf("# repo %d\n%s\n", i, strings.Repeat("lorem ipsum dolor sit amet ", 40*c))
		fmt.Fprintf(&s, "M 644 inline README.md\ndata %d\n%s\n", len(readme), readme)
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(s.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s\n", out)
		check(err)
	}
	run(dir, "git", "symbolic-ref", "HEAD", "refs/heads/main")
}

func awsKeyID(r *rand.Rand) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := []byte("AKIA")
	for i := 0; i < 16; i++ {
		b = append(b, alphabet[r.Intn(len(alphabet))])
	}
	return string(b)
}

func run(dir, name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "%s %v: %s\n", name, args, out)
		check(err)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1] + "\n"
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-sweep:", err)
		os.Exit(1)
	}
}
