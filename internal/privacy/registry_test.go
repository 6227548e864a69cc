package privacy

import "testing"

func TestScrubReplacesWholeValuesOnly(t *testing.T) {
	sub := Subject{Email: "al@example.com", Name: "Al", EmployeeID: "E1", Former: []string{"old.al@example.com", "Alfred"},
		Pseudonym: "erased-1", PseudoEmail: "erased-1@erased.invalid"}
	for in, want := range map[string]string{
		"Al":                                    "erased-1",
		"Al logged in from the journal page":    "erased-1 logged in from the journal page",
		"AL <al@example.com>":                   "erased-1 <erased-1@erased.invalid>",
		"employee E1, not E12":                  "employee erased-1, not E12",
		"was old.al@example.com, then Alfred":   "was erased-1@erased.invalid, then erased-1",
		`{"name":"Al","note":"Alpha"}`:          `{"name":"erased-1","note":"Alpha"}`,
		`{"email":"AL@EXAMPLE.COM","x":["Al"]}`: `{"email":"erased-1@erased.invalid","x":["erased-1"]}`,
	} {
		if got := scrubText(in, sub); got != want {
			t.Errorf("scrub(%q) = %q, want %q", in, got, want)
		}
	}
}
