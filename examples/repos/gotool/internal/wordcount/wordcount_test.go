package wordcount

import (
	"strings"
	"testing"
)

func TestTopOrdersByCountThenWord(t *testing.T) {
	c := New(1)
	if err := c.Add(strings.NewReader("b a b, c! A b")); err != nil {
		t.Fatal(err)
	}
	got := c.Top(2)
	if len(got) != 2 || got[0] != (Entry{"b", 3}) || got[1] != (Entry{"a", 2}) {
		t.Fatalf("unexpected top: %+v", got)
	}
}
