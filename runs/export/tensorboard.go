package export

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"sort"
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
	times, epochs, err := readLog(runDir)
	if err != nil {
		return "", err
	}
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
		for _, t := range tasks {
			if te, ok := e.Val.Tasks[t]; ok {
				vals = append(vals, scalarValue("val/"+t+"_macro_f1", te.MacroF1))
			}
		}
		record(&b, event(e.wall, int64(e.Step), summary(vals...)))
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

// readLog collects the step events' times and the epochs (the last line
// of a redone epoch wins), in epoch order.
func readLog(runDir string) (map[int]float64, []timedEpoch, error) {
	times := map[int]float64{}
	byEpoch := map[int]timedEpoch{}
	err := runs.ReadLog(runDir, func(line []byte) error {
		var e struct {
			epochLine
			T time.Time `json:"t"`
		}
		if json.Unmarshal(line, &e) != nil {
			return nil
		}
		wall := float64(e.T.UnixNano()) / 1e9
		switch {
		case e.Kind == "step":
			times[e.Step] = wall
		case e.Kind == "epoch" && e.Val != nil:
			byEpoch[e.Epoch] = timedEpoch{e.epochLine, wall}
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, err
	}
	var order []int
	for ep := range byEpoch {
		order = append(order, ep)
	}
	sort.Ints(order)
	out := make([]timedEpoch, len(order))
	for i, ep := range order {
		out[i] = byEpoch[ep]
	}
	return times, out, nil
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
