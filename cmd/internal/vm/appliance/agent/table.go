package agent

import (
	"bufio"
	"os"
	"strings"
)

// eachRow calls fn with the whitespace-separated fields of every line of
// the table file at path that is neither blank nor a # comment, as the
// image's tmpfiles.d and makeusers tables are written; n is the line's
// number for messages.
func eachRow(path string, fn func(n int, line string, f []string) error) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if err := fn(n, sc.Text(), f); err != nil {
			return err
		}
	}
	return sc.Err()
}
