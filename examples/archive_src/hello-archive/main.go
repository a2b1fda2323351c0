package main

import (
	"fmt"
	"os"

	"github.com/aferreira/hello-archive/greet"
)

func main() {
	name := "world"
	if len(os.Args) > 1 {
		name = os.Args[1]
	}
	fmt.Println(greet.Message(name, greet.Formal))
}
