//go:build !js

package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// table lays out rows in columns: the first `left` columns aligned left,
// the others right. A row with fewer cells than the header has its last
// cell run on past the columns (for "unavailable: why" rows).
type table struct {
	left int
	rows [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) {
	if len(t.rows) == 0 {
		return
	}
	n := len(t.rows[0])
	width := make([]int, n)
	for _, r := range t.rows {
		if len(r) < n {
			// Only the cells before the run-on one count.
			for i := 0; i < len(r)-1; i++ {
				width[i] = max(width[i], utf8.RuneCountInString(r[i]))
			}
			continue
		}
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range t.rows {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", max(0, width[i]-utf8.RuneCountInString(c)))
			switch {
			case i > 0:
				b.WriteString("  ")
			}
			switch {
			case len(r) < n && i == len(r)-1:
				b.WriteString(c)
			case i < t.left:
				b.WriteString(c + pad)
			default:
				b.WriteString(pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}
