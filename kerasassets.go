package gokeras

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gokeras/gokeras/nn"
)

// A .keras file keeps the vocabulary an IntegerLookup learned by adapt not
// in its config but as an asset: Keras's saving_lib gives each layer an
// assets folder at the path of its weights (the DiskIOStore "assets" root,
// then e.g. layers/integer_lookup), and IndexLookup.save_assets writes
// vocabulary.txt there, one token per line, the special tokens first
// (keras/src/saving/saving_lib.py, keras/src/layers/preprocessing/
// index_lookup.py). gokeras builds a model's graph from its config, and a
// lookup's output width depends on its vocabulary, so withKerasAssets puts
// each such vocabulary into its layer's config before the model is made.

// maxVocabularyBytes bounds one vocabulary.txt (2^24 tokens of int64).
const maxVocabularyBytes = 1 << 29

// withKerasAssets returns cfg (config.json) with the vocabularies of the
// zip's assets in their layers' configs; cfg itself when there are none.
func withKerasAssets(data, cfg []byte) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return cfg, nil // openKerasZip read it; nothing to add
	}
	assets := map[string]*zip.File{}
	for _, zf := range zr.File {
		if strings.HasPrefix(zf.Name, "assets/") && strings.HasSuffix(zf.Name, "/vocabulary.txt") {
			assets[strings.TrimSuffix(strings.TrimPrefix(zf.Name, "assets/"), "/vocabulary.txt")] = zf
		}
	}
	if len(assets) == 0 {
		return cfg, nil
	}
	dec := json.NewDecoder(bytes.NewReader(cfg))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		return cfg, nil // modelFromKerasConfig says what is wrong
	}
	used := 0
	var walk func(model map[string]any, prefix string) error
	walk = func(model map[string]any, prefix string) error {
		c, _ := model["config"].(map[string]any)
		layers, _ := c["layers"].([]any)
		counts := map[string]int{}
		for _, l := range layers {
			lm, _ := l.(map[string]any)
			class, _ := lm["class_name"].(string)
			if class == "" || class == "InputLayer" {
				continue
			}
			name := nn.SnakeCase(class)
			if n, ok := counts[name]; ok {
				counts[name] = n + 1
				name += "_" + strconv.Itoa(n+1)
			} else {
				counts[name] = 0
			}
			path := prefix + "layers/" + name
			switch class {
			case "Sequential", "Functional", "Model":
				if err := walk(lm, path+"/"); err != nil {
					return err
				}
			case "IntegerLookup":
				zf, ok := assets[path]
				lc, _ := lm["config"].(map[string]any)
				if !ok || lc == nil || (lc["vocabulary"] != nil) {
					continue
				}
				vocab, err := readVocabulary(zf)
				if err != nil {
					return err
				}
				lc["vocabulary"] = vocab
				used++
			}
		}
		return nil
	}
	if err := walk(root, ""); err != nil {
		return nil, err
	}
	if used == 0 {
		return cfg, nil
	}
	return json.Marshal(root)
}

// readVocabulary reads an IntegerLookup's vocabulary.txt: one integer per
// line, as save_assets writes str(token) joined by newlines.
func readVocabulary(zf *zip.File) ([]any, error) {
	bad := func(format string, args ...any) ([]any, error) {
		return nil, fmt.Errorf("%w: %s: %s", errBadKeras, zf.Name, fmt.Sprintf(format, args...))
	}
	if zf.UncompressedSize64 > maxVocabularyBytes {
		return bad("declares %d bytes, more than gokeras reads (%d)", zf.UncompressedSize64, maxVocabularyBytes)
	}
	rc, err := zf.Open()
	if err != nil {
		return bad("%v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxVocabularyBytes+1))
	if err != nil {
		return bad("%v", err)
	}
	if len(b) > maxVocabularyBytes {
		return bad("more than %d bytes", maxVocabularyBytes)
	}
	var out []any
	for i, line := range strings.Split(string(b), "\n") {
		v, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
		if err != nil {
			return bad("line %d is %.40q, not an integer token", i+1, line)
		}
		out = append(out, v)
	}
	return out, nil
}
