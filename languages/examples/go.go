package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

func main() {
	fmt.Print("What is your name? ")
	name, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	fmt.Printf("Hello, %s!\n", strings.TrimSpace(name))
}
