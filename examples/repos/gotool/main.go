// Command gotool counts words in files or standard input and prints the most
// frequent ones.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/praman/gotool/internal/wordcount"
)

func main() {
	top := flag.Int("top", 10, "number of words to print")
	minLen := flag.Int("min-len", 1, "ignore words shorter than this")
	flag.Parse()

	counter := wordcount.New(*minLen)
	if flag.NArg() == 0 {
		if err := counter.Add(bufio.NewReader(os.Stdin)); err != nil {
			fail(err)
		}
	}
	for _, name := range flag.Args() {
		if err := countFile(counter, name); err != nil {
			fail(err)
		}
	}
	for _, entry := range counter.Top(*top) {
		fmt.Printf("%7d %s\n", entry.Count, entry.Word)
	}
}

func countFile(counter *wordcount.Counter, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return counter.Add(io.Reader(f))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gotool:", err)
	os.Exit(1)
}
