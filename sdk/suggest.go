package sdk

import "github.com/agnivade/levenshtein"

// suggest returns the candidate closest to word by edit distance, or "" when
// none is close enough to be a likely misspelling.
func suggest(word string, candidates []string) string {
	best, bestDist := "", len(word)/2+1
	if bestDist < 3 {
		bestDist = 3
	}
	for _, c := range candidates {
		if d := levenshtein.ComputeDistance(word, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}
