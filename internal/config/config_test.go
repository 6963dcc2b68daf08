package config

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestReader(t *testing.T) {
	var m map[string]any
	if err := json.Unmarshal([]byte(`{"a": 2, "b": true, "s": "x", "n": null, "bad": "y", "extra": 1}`), &m); err != nil {
		t.Fatal(err)
	}
	r := New(m)
	if r.Int("a", 0) != 2 || !r.Bool("b", false) || r.Str("s", "") != "x" || r.Num("n", 7) != 7 || r.Num("missing", 3) != 3 {
		t.Fatal("typed reads or defaults wrong")
	}
	if r.Err != nil {
		t.Fatalf("unexpected error %v", r.Err)
	}
	if r.Num("bad", 1) != 1 || r.Err == nil || !strings.Contains(r.Err.Error(), `"bad" is y; want a number`) {
		t.Errorf("bad number: err %v", r.Err)
	}
	first := r.Err
	r.Bool("a", false) // a second error is not recorded
	if r.Err != first {
		t.Error("Failf replaced the first error")
	}
	if u := r.Unknown(); len(u) != 1 || u[0] != "extra" {
		t.Errorf("Unknown = %v, want [extra]", u)
	}
	if got := strings.Join(r.Read(), ","); got != "a,b,bad,missing,n,s" {
		t.Errorf("Read = %s", got)
	}
	if f, ok := Number(json.Number("2.5")); !ok || f != 2.5 {
		t.Errorf("Number(json.Number) = %v, %v", f, ok)
	}
	r = New(map[string]any{"i": 2.5})
	if r.Int("i", 0); r.Err == nil {
		t.Error("Int(2.5): no error")
	}
}
