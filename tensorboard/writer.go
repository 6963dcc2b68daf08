// Package tensorboard writes TensorBoard event files: the TFRecord files of
// Event protocol buffers that TensorFlow's summary writer produces and
// TensorBoard reads, holding the scalars and histograms that Keras's
// TensorBoard callback logs (train.TensorBoard is that callback).
//
// The format follows TensorFlow's sources: the record framing of
// tensorflow/core/lib/io/record_writer.cc (a little-endian uint64 length,
// the masked CRC-32C of those 8 bytes, the data, the masked CRC-32C of the
// data), the messages of tensorflow/core/util/event.proto (Event) and
// tensorflow/core/framework/summary.proto, tensor.proto and
// tensor_shape.proto, and the file name of
// tensorflow/core/util/events_writer.cc. The protocol buffers are encoded
// with google.golang.org/protobuf's encoding/protowire; gokeras has no
// generated code for TensorFlow's messages, so each field is written by
// number, as listed next to each one below.
package tensorboard

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of TensorFlow's messages (the .proto files named above).
const (
	eventWallTime    = 1 // Event.wall_time, double
	eventStep        = 2 // Event.step, int64
	eventFileVersion = 3 // Event.file_version, string
	eventSummary     = 5 // Event.summary, Summary

	summaryValue = 1 // Summary.value, repeated Summary.Value

	valueTag      = 1 // Summary.Value.tag, string
	valueTensor   = 8 // Summary.Value.tensor, TensorProto
	valueMetadata = 9 // Summary.Value.metadata, SummaryMetadata

	metaPluginData = 1 // SummaryMetadata.plugin_data, PluginData
	metaDataClass  = 4 // SummaryMetadata.data_class, DataClass
	pluginName     = 1 // SummaryMetadata.PluginData.plugin_name, string
	pluginContent  = 2 // SummaryMetadata.PluginData.content, bytes

	tensorDType   = 1 // TensorProto.dtype, DataType
	tensorShape   = 2 // TensorProto.tensor_shape, TensorShapeProto
	tensorContent = 4 // TensorProto.tensor_content, bytes
	tensorString  = 8 // TensorProto.string_val, repeated bytes
	shapeDim      = 2 // TensorShapeProto.dim, repeated Dim
	dimSize       = 1 // TensorShapeProto.Dim.size, int64

	dtFloat  = 1 // DataType DT_FLOAT
	dtDouble = 2 // DataType DT_DOUBLE
	dtString = 7 // DataType DT_STRING

	dataClassScalar = 1 // DataClass DATA_CLASS_SCALAR
	dataClassTensor = 2 // DataClass DATA_CLASS_TENSOR
)

// FileVersion is the file_version of every event file's first event.
const FileVersion = "brain.Event:2"

// HistogramBuckets is the number of buckets of a histogram, TensorBoard's
// DEFAULT_BUCKET_COUNT (tensorboard/plugins/histogram/summary_v2.py).
const HistogramBuckets = 30

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MaskedCRC is the checksum of a TFRecord part: CRC-32C, rotated right by
// 15 bits and offset by 0xa282ead8 (tensorflow/core/lib/hash/crc32c.h,
// Mask), so that a record holding its own checksum does not look valid.
func MaskedCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return (c>>15 | c<<17) + 0xa282ead8
}

// AppendRecord appends data framed as one TFRecord to dst.
func AppendRecord(dst, data []byte) []byte {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(data)))
	dst = append(dst, n[:]...)
	dst = binary.LittleEndian.AppendUint32(dst, MaskedCRC(n[:]))
	dst = append(dst, data...)
	return binary.LittleEndian.AppendUint32(dst, MaskedCRC(data))
}

// fileCount numbers the files this process creates, as the counter in
// TensorFlow's event file names.
var fileCount atomic.Int64

// Writer appends events to one new event file in a directory. Its methods
// are not safe for concurrent use.
type Writer struct {
	f    *os.File
	w    *bufio.Writer
	path string
	rec  []byte // a record being built, reused
}

// NewWriter creates dir (and its parents) if needed and a new event file
// in it, named events.out.tfevents.<unix seconds>.<host>.<pid>.<n>.v2 as
// TensorFlow 2 names them, and writes the file_version event first.
func NewWriter(dir string) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, fmt.Errorf("tensorboard: %w", err)
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	now := time.Now()
	name := fmt.Sprintf("events.out.tfevents.%010d.%s.%d.%d.v2", now.Unix(), host, os.Getpid(), fileCount.Add(1)-1)
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return nil, fmt.Errorf("tensorboard: %w", err)
	}
	w := &Writer{f: f, w: bufio.NewWriter(f), path: path}
	ev := appendEventHead(nil, now, 0)
	ev = protowire.AppendTag(ev, eventFileVersion, protowire.BytesType)
	ev = protowire.AppendString(ev, FileVersion)
	if err := w.write(ev); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// Path is the event file's path.
func (w *Writer) Path() string { return w.path }

func appendEventHead(b []byte, t time.Time, step int64) []byte {
	b = protowire.AppendTag(b, eventWallTime, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, math.Float64bits(float64(t.UnixNano())/1e9))
	if step != 0 {
		b = protowire.AppendTag(b, eventStep, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(step))
	}
	return b
}

func (w *Writer) write(event []byte) error {
	w.rec = AppendRecord(w.rec[:0], event)
	if _, err := w.w.Write(w.rec); err != nil {
		return fmt.Errorf("tensorboard: writing %s: %w", w.path, err)
	}
	return nil
}

// Scalar writes the value of tag at step, in the form TensorFlow 2's
// tf.summary.scalar writes it, which is what Keras 3's TensorBoard
// callback calls: a rank-0 float32 tensor (TensorProto with dtype
// DT_FLOAT, an empty shape and the 4 bytes of the value in tensor_content,
// as SummaryFileWriter::WriteTensor in
// tensorflow/core/summary/summary_file_writer.cc encodes it) with summary
// metadata naming the "scalars" plugin
// (tensorboard/plugins/scalar/summary_v2.py and metadata.py). The older
// Summary.Value.simple_value form, which TensorBoard also reads, is not
// used.
func (w *Writer) Scalar(tag string, step int64, v float64) error {
	var content [4]byte
	binary.LittleEndian.PutUint32(content[:], math.Float32bits(float32(v)))
	return w.tensor(tag, step, "scalars", nil, dataClassScalar, dtFloat, nil, content[:])
}

// Histogram writes a histogram of data at step as TensorFlow 2's
// tf.summary.histogram does (tensorboard/plugins/histogram/summary_v2.py):
// a float64 tensor of shape [k, 3] holding each bucket's left edge, right
// edge and count, HistogramBuckets equal-width buckets from the minimum to
// the maximum, one bucket [v-0.5, v+0.5] when every value is v, none for
// no data; the "histograms" plugin.
func (w *Writer) Histogram(tag string, step int64, data []float32) error {
	b := Buckets(data, HistogramBuckets)
	content := make([]byte, 0, len(b)*24)
	for _, row := range b {
		for _, v := range row {
			content = binary.LittleEndian.AppendUint64(content, math.Float64bits(v))
		}
	}
	return w.tensor(tag, step, "histograms", nil, dataClassTensor, dtDouble, []int64{int64(len(b)), 3}, content)
}

// Buckets computes the histogram Histogram writes, as _buckets in
// tensorboard/plugins/histogram/summary_v2.py: rows of (left edge, right
// edge, count). NaN values are not counted.
func Buckets(data []float32, count int) [][3]float64 {
	lo, hi, n := math.Inf(1), math.Inf(-1), 0
	for _, v := range data {
		f := float64(v)
		if math.IsNaN(f) {
			continue
		}
		lo, hi, n = math.Min(lo, f), math.Max(hi, f), n+1
	}
	if n == 0 {
		return nil
	}
	if lo == hi {
		return [][3]float64{{lo - 0.5, lo + 0.5, float64(n)}}
	}
	out := make([][3]float64, count)
	width := (hi - lo) / float64(count)
	for _, v := range data {
		f := float64(v)
		if math.IsNaN(f) {
			continue
		}
		i := min(int(math.Floor((f-lo)/width)), count-1)
		out[i][2]++
	}
	// NumPy's linspace(lo, hi, count+1): i*step + lo, the last edge hi.
	for i := range out {
		out[i][0] = float64(i)*width + lo
		out[i][1] = float64(i+1)*width + lo
	}
	out[count-1][1] = hi
	return out
}

// KerasModel writes a model's Keras JSON (Model.to_json) at step 0 as
// keras_model_summary in keras/src/callbacks/tensorboard.py does for
// write_graph: tag "keras", a scalar DT_STRING tensor (its string_val, as
// TensorFlow writes string tensors) and the "graph_keras_model" plugin
// with content "1"; TensorBoard's graph dashboard draws the model from it.
func (w *Writer) KerasModel(modelJSON []byte) error {
	return w.tensor("keras", 0, "graph_keras_model", []byte("1"), 0, dtString, nil, modelJSON)
}

// tensor writes an Event{wall_time, step, summary{value{tag, metadata,
// tensor}}}; class 0 leaves data_class out, and a DT_STRING tensor holds
// content as its one string_val.
func (w *Writer) tensor(tag string, step int64, plugin string, pluginData []byte, class, dtype uint64, shape []int64, content []byte) error {
	var meta []byte
	var pd []byte
	pd = protowire.AppendTag(pd, pluginName, protowire.BytesType)
	pd = protowire.AppendString(pd, plugin)
	if len(pluginData) > 0 {
		pd = protowire.AppendTag(pd, pluginContent, protowire.BytesType)
		pd = protowire.AppendBytes(pd, pluginData)
	}
	meta = protowire.AppendTag(meta, metaPluginData, protowire.BytesType)
	meta = protowire.AppendBytes(meta, pd)
	if class != 0 {
		meta = protowire.AppendTag(meta, metaDataClass, protowire.VarintType)
		meta = protowire.AppendVarint(meta, class)
	}

	var sh []byte
	for _, d := range shape {
		var dim []byte
		dim = protowire.AppendTag(dim, dimSize, protowire.VarintType)
		dim = protowire.AppendVarint(dim, uint64(d))
		sh = protowire.AppendTag(sh, shapeDim, protowire.BytesType)
		sh = protowire.AppendBytes(sh, dim)
	}
	var t []byte
	t = protowire.AppendTag(t, tensorDType, protowire.VarintType)
	t = protowire.AppendVarint(t, dtype)
	t = protowire.AppendTag(t, tensorShape, protowire.BytesType)
	t = protowire.AppendBytes(t, sh)
	if dtype == dtString {
		t = protowire.AppendTag(t, tensorString, protowire.BytesType)
	} else {
		t = protowire.AppendTag(t, tensorContent, protowire.BytesType)
	}
	t = protowire.AppendBytes(t, content)

	var v []byte
	v = protowire.AppendTag(v, valueTag, protowire.BytesType)
	v = protowire.AppendString(v, tag)
	v = protowire.AppendTag(v, valueMetadata, protowire.BytesType)
	v = protowire.AppendBytes(v, meta)
	v = protowire.AppendTag(v, valueTensor, protowire.BytesType)
	v = protowire.AppendBytes(v, t)

	var s []byte
	s = protowire.AppendTag(s, summaryValue, protowire.BytesType)
	s = protowire.AppendBytes(s, v)

	ev := appendEventHead(nil, time.Now(), step)
	ev = protowire.AppendTag(ev, eventSummary, protowire.BytesType)
	ev = protowire.AppendBytes(ev, s)
	return w.write(ev)
}

// Flush writes the buffered events to the file.
func (w *Writer) Flush() error {
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("tensorboard: writing %s: %w", w.path, err)
	}
	return nil
}

// Close flushes and closes the file.
func (w *Writer) Close() error {
	err := w.Flush()
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("tensorboard: closing %s: %w", w.path, cerr)
	}
	return err
}
