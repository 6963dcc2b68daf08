package kernel

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// Intel cores pay a transition penalty on every legacy-SSE instruction that
// runs while the upper halves of the vector registers are dirty ("Mixing AVX
// code with SSE code" in Intel's optimization reference manual), and Go code
// after a RET runs legacy SSE (the compiler's float code). AMD cores do not
// stall, so a fault of this kind is invisible on an AMD machine: in 2026 a
// single `MOVQ SI, X8` inside the AVX2 max-pool loop made that kernel 7x
// slower on a Xeon. lintAVX reads generated Go assembly and reports, per TEXT
// block, the two rules that keep every function clean on both vendors:
//
//   - a block that uses a VEX/EVEX instruction (mnemonic V…, or a K-mask
//     one) uses no legacy-SSE instruction on an X register;
//   - a block that touches a Y or Z register executes VZEROUPPER right before
//     every RET, with no label in between (a label there is a path to the
//     RET that may skip it).
func lintAVX(src string) []string {
	var problems []string
	type block struct {
		name                string
		line                int
		vex, wide           bool
		legacy              []string // "line N: text"
		rets                []int    // lines of RETs not right after VZEROUPPER
		prevWasVZeroUpper   bool
		labelSinceVZeroUppr bool
	}
	xReg := regexp.MustCompile(`\bX([0-9]|[12][0-9]|3[01])\b`)
	yzReg := regexp.MustCompile(`\b[YZ]([0-9]|[12][0-9]|3[01])\b`)
	var cur *block
	flush := func() {
		if cur == nil {
			return
		}
		if cur.vex {
			for _, l := range cur.legacy {
				problems = append(problems, fmt.Sprintf("%s (TEXT at line %d): legacy-SSE instruction in a function that uses VEX/EVEX: %s; use its VEX form (VMOVQ, VMOVD, VMOVSS, ...)", cur.name, cur.line, l))
			}
		}
		if cur.wide {
			for _, l := range cur.rets {
				problems = append(problems, fmt.Sprintf("%s (TEXT at line %d): RET at line %d can be reached without VZEROUPPER after using Y/Z registers", cur.name, cur.line, l))
			}
		}
		cur = nil
	}
	for i, raw := range strings.Split(src, "\n") {
		lineNo := i + 1
		line := raw
		if j := strings.Index(line, "//"); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "TEXT ") {
			flush()
			name := strings.TrimPrefix(line, "TEXT ")
			if j := strings.Index(name, "("); j >= 0 {
				name = name[:j]
			}
			cur = &block{name: strings.TrimPrefix(name, "·"), line: lineNo}
			continue
		}
		if strings.HasPrefix(line, "DATA ") || strings.HasPrefix(line, "GLOBL ") {
			flush()
			continue
		}
		if cur == nil {
			continue
		}
		if strings.HasSuffix(line, ":") && !strings.ContainsAny(line, " \t") {
			cur.labelSinceVZeroUppr = true
			continue
		}
		fields := strings.Fields(line)
		op := fields[0]
		operands := strings.Join(fields[1:], " ")
		isVEX := strings.HasPrefix(op, "V") || strings.HasPrefix(op, "K")
		if isVEX {
			cur.vex = true
		}
		if yzReg.MatchString(operands) {
			cur.wide = true
		}
		if !isVEX && xReg.MatchString(operands) {
			cur.legacy = append(cur.legacy, fmt.Sprintf("line %d: %s", lineNo, line))
		}
		if op == "RET" && !(cur.prevWasVZeroUpper && !cur.labelSinceVZeroUppr) {
			cur.rets = append(cur.rets, lineNo)
		}
		cur.prevWasVZeroUpper = op == "VZEROUPPER"
		cur.labelSinceVZeroUppr = false
	}
	flush()
	return problems
}

// TestAsmNoSSEAVXMix guards the generated kernels against the Intel
// SSE/AVX transition stall (see lintAVX).
func TestAsmNoSSEAVXMix(t *testing.T) {
	src, err := os.ReadFile("kernel_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), "VZEROUPPER") {
		t.Fatal("kernel_amd64.s holds no VZEROUPPER: is it the generated file?")
	}
	for _, p := range lintAVX(string(src)) {
		t.Error("kernel_amd64.s: " + p)
	}
}

// TestLintAVX checks the checker on small blocks, each with a known verdict.
func TestLintAVX(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string // substrings, one per expected problem, in order
	}{
		{"clean AVX2", `
TEXT ·f(SB), NOSPLIT, $0-8
	VMOVQ SI, X8
	VPBROADCASTD X8, Y8
	VZEROUPPER
	RET
`, nil},
		{"legacy MOVQ into X beside VEX", `
TEXT ·f(SB), NOSPLIT, $0-8
	MOVQ SI, X8
	VPBROADCASTD X8, Y8
	VZEROUPPER
	RET
`, []string{"f (TEXT at line 2): legacy-SSE instruction in a function that uses VEX/EVEX: line 3: MOVQ SI, X8"}},
		{"legacy MOVSS load beside EVEX", `
TEXT ·g(SB), NOSPLIT, $0-8
	MOVSS a+0(FP), X0
	VBROADCASTSS X0, Z1
	VZEROUPPER
	RET
`, []string{"g (TEXT at line 2): legacy-SSE"}},
		{"missing VZEROUPPER", `
TEXT ·h(SB), NOSPLIT, $0-8
	VMOVUPS (AX), Y0
	RET
`, []string{"RET at line 4 can be reached without VZEROUPPER"}},
		{"label between VZEROUPPER and RET", `
TEXT ·h(SB), NOSPLIT, $0-8
	VMOVUPS (AX), Y0
	VZEROUPPER
done:
	RET
`, []string{"RET at line 6"}},
		{"early RET and late RET", `
TEXT ·h(SB), NOSPLIT, $0-8
	JZ done
	RET
	VADDPS Y1, Y2, Y3
done:
	VZEROUPPER
	RET
`, []string{"RET at line 4"}},
		{"pure SSE needs nothing", `
TEXT ·s(SB), NOSPLIT, $0-8
	MOVSS a+0(FP), X0
	ADDSS X0, X0
	RET
`, nil},
		{"VEX-128 only needs no VZEROUPPER", `
TEXT ·x(SB), NOSPLIT, $0-8
	VMOVSS a+0(FP), X0
	VADDSS X0, X0, X0
	RET
`, nil},
		{"blocks are separate", `
TEXT ·a(SB), NOSPLIT, $0-8
	MOVQ SI, X0
	RET

TEXT ·b(SB), NOSPLIT, $0-8
	VMOVUPS (AX), Y0
	VZEROUPPER
	RET
`, nil},
	}
	for _, c := range cases {
		got := lintAVX(c.src)
		if len(got) != len(c.want) {
			t.Errorf("%s: got %d problems %q, want %d", c.name, len(got), got, len(c.want))
			continue
		}
		for i := range got {
			if !strings.Contains(got[i], c.want[i]) {
				t.Errorf("%s: problem %d = %q, want it to contain %q", c.name, i, got[i], c.want[i])
			}
		}
	}
}
