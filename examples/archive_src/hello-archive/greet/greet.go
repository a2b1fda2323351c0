// Package greet builds greeting messages in two registers.
package greet

import (
	"fmt"
	"strings"
)

// Style selects the tone of a greeting.
type Style int

const (
	Casual Style = iota
	Formal
)

// Message greets name; blank names become "stranger".
func Message(name string, style Style) string {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "stranger"
	}
	switch style {
	case Formal:
		return fmt.Sprintf("Good day, %s.", name)
	default:
		return fmt.Sprintf("hey %s!", name)
	}
}
