package fault

import "testing"

func TestBadField(t *testing.T) {
	e := BadField("limit must be a whole number", "limit", "must be 1–500")
	if e.Code != BadRequest || e.Message != "limit must be a whole number" {
		t.Fatalf("BadField = %+v; want a BadRequest with the message", e)
	}
	if len(e.Fields) != 1 || e.Fields[0] != (FieldError{Field: "limit", Message: "must be 1–500"}) {
		t.Fatalf("BadField fields = %+v; want one entry for limit", e.Fields)
	}
}
