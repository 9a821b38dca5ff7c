package export

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/maskdash/maskdash/runs"
)

// TensorBoard writes a run as a TensorBoard event file,
// out/<run>/events.out.tfevents.<start>.maskdash, that `tensorboard
// --logdir out` reads: the step metrics of the history columns as scalars
// train/<metric>, every epoch's validation figures as val/<figure> and
// train/accuracy, and the run's settings as text (tag "settings"). It
// returns the file's path. The file is TFRecord framing (length, masked
// CRC-32C of the length, data, masked CRC-32C of the data) around Event
// protocol buffers, encoded here by hand after TensorBoard's published
// event.proto and summary.proto.
func TensorBoard(runDir, out string) (string, error) {
	info, err := runs.ReadInfo(runDir)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(out, info.ID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("export folder: %w", err)
	}
	var b bytes.Buffer
	start := float64(info.Start.UnixNano()) / 1e9
	record(&b, event(start, 0, fieldString(3, "brain.Event:2"))) // file_version
	settings, err := json.MarshalIndent(info.Config, "", "  ")
	if err != nil {
		return "", err
	}
	record(&b, event(start, 0, summary(textValue("settings", "```\n"+string(settings)+"\n```"))))
	lg, err := readLog(runDir)
	if err != nil {
		return "", err
	}
	times, epochs := lg.times, lg.epochs
	h, err := runs.ReadHistory(runDir, 0)
	if err != nil {
		return "", err
	}
	names := h.Names()
	for i := range h.Rows {
		var vals [][]byte
		step := 0
		for _, n := range names {
			s := h.Series[n]
			step = s.Step[i]
			if v := s.Last[i]; !math.IsNaN(v) {
				vals = append(vals, scalarValue("train/"+n, v))
			}
		}
		wall, ok := times[step]
		if !ok {
			wall = start
		}
		if len(vals) > 0 {
			record(&b, event(wall, int64(step), summary(vals...)))
		}
	}
	for _, e := range epochs {
		vals := [][]byte{scalarValue("val/loss", e.Val.Loss), scalarValue("val/accuracy", e.Val.Accuracy), scalarValue("val/macro_f1", e.Val.MacroF1)}
		if e.TrainAcc != nil {
			vals = append(vals, scalarValue("train/accuracy", *e.TrainAcc))
		}
		if e.TrainWeightsF1 != nil { // --ema: val/macro_f1 is the average's
			vals = append(vals, scalarValue("val/macro_f1_training_weights", *e.TrainWeightsF1))
		}
		for _, t := range tasks {
			if te, ok := e.Val.Tasks[t]; ok {
				vals = append(vals, scalarValue("val/"+t+"_macro_f1", te.MacroF1))
			}
		}
		record(&b, event(e.wall, int64(e.Step), summary(vals...)))
	}
	for _, l := range lg.layers {
		var vals [][]byte
		for _, s := range l.Layers {
			vals = append(vals, scalarValue("layers/"+s.Name+"/weight_norm", s.Weight), scalarValue("layers/"+s.Name+"/grad_norm", s.Grad),
				scalarValue("layers/"+s.Name+"/update_ratio", s.Ratio()))
			if h, ok := s.histogram(); ok {
				vals = append(vals, h)
			}
		}
		record(&b, event(l.wall, int64(l.Step), summary(vals...)))
	}
	path := filepath.Join(dir, fmt.Sprintf("events.out.tfevents.%d.maskdash", info.Start.Unix()))
	if err := runs.WriteFileAtomic(path, b.Bytes()); err != nil {
		return "", fmt.Errorf("export %s: %w", path, err)
	}
	return path, nil
}

// timedEpoch is an epoch line with its time.
type timedEpoch struct {
	epochLine
	wall float64
}

// layerLine is a step event's parameter norms (package training's
// LayerStat, as metrics.jsonl holds them).
type layerLine struct {
	Step   int           `json:"step"`
	Layers []layerFigure `json:"layers"`
	wall   float64
}

// layerFigure is one tensor's norms at a measured step.
type layerFigure struct {
	Name   string  `json:"name"`
	Size   int     `json:"n"`
	Rank   int     `json:"rank"`
	Weight float64 `json:"w"`
	Grad   float64 `json:"g"`
	Update float64 `json:"u"`
	// NonFinite names the norms that were NaN or infinite (they read 0).
	NonFinite []string `json:"nonfinite"`
	// Spread is the weights at runs.SpreadPercentiles; none in logs
	// from before it was kept.
	Spread []float64 `json:"q"`
}

// ratio is the update's norm over the weights' (0 for zero weights), as
// the dashboard shows it.
func (f layerFigure) Ratio() float64 {
	if f.Weight == 0 {
		return 0
	}
	return f.Update / f.Weight
}

// histogram is the weights' spread as a Summary.Value of TensorBoard's
// histograms and distributions: a bucket between each two of the kept
// percentiles, holding that share of the tensor's values. TensorBoard's
// distribution chart, which reads percentiles back from the buckets, so
// draws the measured ones at its own basis points, which are
// runs.SpreadPercentiles. The sum of squares is the norm's square; the
// sum puts each bucket's values at its middle (the measure keeps no
// mean). false without a spread.
func (f layerFigure) histogram() ([]byte, bool) {
	q := f.Spread
	if len(q) != len(runs.SpreadPercentiles) || f.Size <= 0 {
		return nil, false
	}
	n := float64(f.Size)
	var limits, counts []float64
	sum := 0.0
	for k := 1; k < len(q); k++ {
		c := n * (runs.SpreadPercentiles[k] - runs.SpreadPercentiles[k-1]) / 100
		limits, counts = append(limits, q[k]), append(counts, c)
		sum += c * (q[k-1] + q[k]) / 2
	}
	h := append(doubleField(1, q[0]), doubleField(2, q[len(q)-1])...)
	h = append(h, doubleField(3, n)...)
	h = append(h, doubleField(4, sum)...)
	h = append(h, doubleField(5, f.Weight*f.Weight)...)
	h = append(h, packedDoubles(6, limits)...)
	h = append(h, packedDoubles(7, counts)...)
	b := fieldString(1, "layers/"+f.Name+"/weights")
	return append(b, fieldBytes(5, h)...), true // Summary.Value.histo
}

// logFigures are what the exports read from a run's log.
type logFigures struct {
	times  map[int]float64 // each step event's time
	epochs []timedEpoch    // in epoch order
	layers []layerLine     // the measured steps, in step order
}

// readLog collects the step events' times, the epochs (the last line of a
// redone epoch wins), in epoch order, and the measured steps' parameter
// norms (a step measured twice, redone after a crash, keeps its last).
func readLog(runDir string) (logFigures, error) {
	times := map[int]float64{}
	byEpoch := map[int]timedEpoch{}
	byStep := map[int]layerLine{}
	// Step lines are nearly all of a long run's log (320,000 in a day's,
	// 162 MB): each is read here at once, and passed over by ReadLogWhere
	// (which would check it and hand it back to be decoded whole). A plain
	// one gives its time and step from its first fields (stepTimeAndNumber);
	// one with layer measures is decoded once. A day's csv export took
	// 7.7 s, nearly all of it in json's scanner.
	fast := func(line []byte) bool {
		if !bytes.HasPrefix(line, stepLinePrefix) {
			return true
		}
		if !bytes.Contains(line, []byte(`"layers":`)) {
			wall, step, ok := stepTimeAndNumber(line)
			if ok {
				times[step] = wall
			}
			return !ok // a line it cannot read goes the long way
		}
		var l struct {
			T time.Time `json:"t"`
			layerLine
		}
		if json.Unmarshal(line, &l) != nil {
			return true // ReadLogWhere says where a corrupt line is
		}
		wall := float64(l.T.UnixNano()) / 1e9
		times[l.Step] = wall
		if len(l.Layers) > 0 {
			l.wall = wall
			byStep[l.Step] = l.layerLine
		}
		return false
	}
	err := runs.ReadLogWhere(runDir, fast, func(line []byte) error {
		var e struct {
			epochLine
			T      time.Time       `json:"t"`
			Layers json.RawMessage `json:"layers"`
		}
		if json.Unmarshal(line, &e) != nil {
			return nil
		}
		wall := float64(e.T.UnixNano()) / 1e9
		switch {
		case e.Kind == "step":
			times[e.Step] = wall
			if len(e.Layers) > 0 {
				var l layerLine
				if json.Unmarshal(line, &l) == nil && len(l.Layers) > 0 {
					l.wall = wall
					byStep[l.Step] = l
				}
			}
		case e.Kind == "epoch" && e.Val != nil:
			byEpoch[e.Epoch] = timedEpoch{e.epochLine, wall}
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return logFigures{}, err
	}
	f := logFigures{times: times}
	for _, ep := range slices.Sorted(maps.Keys(byEpoch)) {
		f.epochs = append(f.epochs, byEpoch[ep])
	}
	for _, st := range slices.Sorted(maps.Keys(byStep)) {
		f.layers = append(f.layers, byStep[st])
	}
	return f, nil
}

// stepLinePrefix is how the trainer writes a step event's line to start:
// its kind, then its time (training.Event's first two fields).
var stepLinePrefix = append(runs.KindLine("step"), `,"t":"`...)

// stepTimeAndNumber reads a step line's time (as seconds) and step from
// its first fields, without decoding the rest: the time up to its closing
// quote, the step after the first ,"step": (the fields before it, the
// run's id and the epoch, cannot hold one: a quote in a JSON string is
// escaped). ok is false for a line not written that way, and for a torn
// one whose step may have lost digits.
func stepTimeAndNumber(line []byte) (wall float64, step int, ok bool) {
	rest, found := bytes.CutPrefix(line, stepLinePrefix)
	if !found {
		return 0, 0, false
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return 0, 0, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(rest[:end]))
	if err != nil {
		return 0, 0, false
	}
	key := []byte(`,"step":`)
	at := bytes.Index(rest[end:], key)
	if at < 0 {
		return 0, 0, false
	}
	digits := rest[end+at+len(key):]
	n := 0
	for n < len(digits) && digits[n] >= '0' && digits[n] <= '9' {
		n++
	}
	if n == 0 || n == len(digits) || digits[n] != ',' && digits[n] != '}' {
		return 0, 0, false
	}
	if step, err = strconv.Atoi(string(digits[:n])); err != nil {
		return 0, 0, false
	}
	return float64(t.UnixNano()) / 1e9, step, true
}

// The protocol buffer encoding, as much of it as events need.

func key(field, wire int) []byte { return binary.AppendUvarint(nil, uint64(field<<3|wire)) }

func fieldBytes(field int, b []byte) []byte {
	out := append(key(field, 2), binary.AppendUvarint(nil, uint64(len(b)))...)
	return append(out, b...)
}

func fieldString(field int, s string) []byte { return fieldBytes(field, []byte(s)) }

// event is an Event: wall_time (1, double), step (2, int64) and what.
func event(wall float64, step int64, what []byte) []byte {
	b := append(key(1, 1), binary.LittleEndian.AppendUint64(nil, math.Float64bits(wall))...)
	if step != 0 {
		b = append(append(b, key(2, 0)...), binary.AppendUvarint(nil, uint64(step))...)
	}
	return append(b, what...)
}

// doubleField is a double (wire type 1).
func doubleField(field int, v float64) []byte {
	return binary.LittleEndian.AppendUint64(key(field, 1), math.Float64bits(v))
}

// packedDoubles is a packed repeated double.
func packedDoubles(field int, v []float64) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return fieldBytes(field, b)
}

// summary is Event.summary (5): a Summary of values (1).
func summary(values ...[]byte) []byte {
	var s []byte
	for _, v := range values {
		s = append(s, fieldBytes(1, v)...)
	}
	return fieldBytes(5, s)
}

// scalarValue is a Summary.Value with tag (1) and simple_value (2, float).
func scalarValue(tag string, v float64) []byte {
	b := fieldString(1, tag)
	b = append(b, key(2, 5)...)
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(v)))
}

// textValue is a Summary.Value for TensorBoard's text plugin: metadata
// (9) naming the plugin "text", and tensor (8) holding one string
// (dtype 7 = DT_STRING, an empty tensor_shape 2, string_val 8).
func textValue(tag, text string) []byte {
	meta := fieldBytes(1, fieldString(1, "text")) // plugin_data { plugin_name }
	tensor := append(append(key(1, 0), 7), fieldBytes(2, nil)...)
	tensor = append(tensor, fieldString(8, strings.TrimSpace(text))...)
	b := fieldString(1, tag)
	b = append(b, fieldBytes(9, meta)...)
	return append(b, fieldBytes(8, tensor)...)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// masked is TFRecord's masked CRC-32C.
func masked(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return (c>>15 | c<<17) + 0xa282ead8
}

// record appends one TFRecord.
func record(w *bytes.Buffer, data []byte) {
	n := binary.LittleEndian.AppendUint64(nil, uint64(len(data)))
	w.Write(n)
	w.Write(binary.LittleEndian.AppendUint32(nil, masked(n)))
	w.Write(data)
	w.Write(binary.LittleEndian.AppendUint32(nil, masked(data)))
}
