// Package wordcount counts case-folded words.
package wordcount

import (
	"bufio"
	"io"
	"sort"
	"strings"
	"unicode"
)

// Entry is one word and how often it was seen.
type Entry struct {
	Word  string
	Count int
}

// Counter accumulates word frequencies. The zero value is not usable; call New.
type Counter struct {
	minLen int
	counts map[string]int
}

// New returns a Counter that ignores words shorter than minLen runes.
func New(minLen int) *Counter {
	return &Counter{minLen: minLen, counts: make(map[string]int)}
}

// Add reads all words from r.
func (c *Counter) Add(r io.Reader) error {
	scanner := bufio.NewScanner(r)
	scanner.Split(bufio.ScanWords)
	for scanner.Scan() {
		word := strings.ToLower(strings.TrimFunc(scanner.Text(), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		}))
		if len([]rune(word)) >= c.minLen && word != "" {
			c.counts[word]++
		}
	}
	return scanner.Err()
}

// Top returns the n most frequent words, ties broken alphabetically.
func (c *Counter) Top(n int) []Entry {
	entries := make([]Entry, 0, len(c.counts))
	for w, k := range c.counts {
		entries = append(entries, Entry{Word: w, Count: k})
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].Count != entries[j].Count {
			return entries[i].Count > entries[j].Count
		}
		return entries[i].Word < entries[j].Word
	})
	if n < len(entries) {
		entries = entries[:n]
	}
	return entries
}
