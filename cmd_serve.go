package main

import (
	"context"
	"fmt"
	"io"
)

func cmdServe(ctx context.Context, args []string, out io.Writer) error {
	return fmt.Errorf("serve is not built yet")
}
