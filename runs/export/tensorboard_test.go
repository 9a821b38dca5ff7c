package export

import (
	"bytes"
	"encoding/json"
	"math"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/maskdash/maskdash/runs"
)

// readEvents is a reader written from TensorBoard's published event.proto
// and summary.proto (the field numbers below), with python3-protobuf's
// dynamic messages: it checks every record's CRCs and prints the events.
const readEvents = `
import json, struct, sys
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF

def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xa282ead8) & 0xFFFFFFFF

F = descriptor_pb2.FieldDescriptorProto
fd = descriptor_pb2.FileDescriptorProto(name="tb.proto", package="tensorboard", syntax="proto3")
def add(m, name, number, typ, label=F.LABEL_OPTIONAL, type_name=None):
    f = m.field.add(name=name, number=number, type=typ, label=label)
    if type_name: f.type_name = type_name
shape = fd.message_type.add(name="TensorShapeProto")
tensor = fd.message_type.add(name="TensorProto")
add(tensor, "dtype", 1, F.TYPE_INT32)
add(tensor, "tensor_shape", 2, F.TYPE_MESSAGE, type_name=".tensorboard.TensorShapeProto")
add(tensor, "string_val", 8, F.TYPE_BYTES, F.LABEL_REPEATED)
meta = fd.message_type.add(name="SummaryMetadata")
pd = meta.nested_type.add(name="PluginData")
add(pd, "plugin_name", 1, F.TYPE_STRING)
add(pd, "content", 2, F.TYPE_BYTES)
add(meta, "plugin_data", 1, F.TYPE_MESSAGE, type_name=".tensorboard.SummaryMetadata.PluginData")
histo = fd.message_type.add(name="HistogramProto")
for i, name in enumerate(["min", "max", "num", "sum", "sum_squares"]):
    add(histo, name, i + 1, F.TYPE_DOUBLE)
add(histo, "bucket_limit", 6, F.TYPE_DOUBLE, F.LABEL_REPEATED)
add(histo, "bucket", 7, F.TYPE_DOUBLE, F.LABEL_REPEATED)
summ = fd.message_type.add(name="Summary")
val = summ.nested_type.add(name="Value")
add(val, "tag", 1, F.TYPE_STRING)
add(val, "simple_value", 2, F.TYPE_FLOAT)
add(val, "histo", 5, F.TYPE_MESSAGE, type_name=".tensorboard.HistogramProto")
add(val, "node_name", 7, F.TYPE_STRING)
add(val, "tensor", 8, F.TYPE_MESSAGE, type_name=".tensorboard.TensorProto")
add(val, "metadata", 9, F.TYPE_MESSAGE, type_name=".tensorboard.SummaryMetadata")
add(summ, "value", 1, F.TYPE_MESSAGE, F.LABEL_REPEATED, ".tensorboard.Summary.Value")
ev = fd.message_type.add(name="Event")
add(ev, "wall_time", 1, F.TYPE_DOUBLE)
add(ev, "step", 2, F.TYPE_INT64)
add(ev, "file_version", 3, F.TYPE_STRING)
add(ev, "graph_def", 4, F.TYPE_BYTES)
add(ev, "summary", 5, F.TYPE_MESSAGE, type_name=".tensorboard.Summary")
pool = descriptor_pool.DescriptorPool()
pool.Add(fd)
Event = message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName("tensorboard.Event"))

data = open(sys.argv[1], "rb").read()
out, i = [], 0
while i < len(data):
    n = data[i:i+8]
    (length,) = struct.unpack("<Q", n)
    (lc,) = struct.unpack("<I", data[i+8:i+12])
    assert lc == masked(n), "bad length CRC at %d" % i
    body = data[i+12:i+12+length]
    (dc,) = struct.unpack("<I", data[i+12+length:i+16+length])
    assert dc == masked(body), "bad data CRC at %d" % i
    i += 16 + length
    e = Event()
    e.ParseFromString(body)
    vals = []
    for v in e.summary.value:
        d = {"tag": v.tag}
        if v.HasField("tensor"):
            d["text"] = v.tensor.string_val[0].decode()
            d["plugin"] = v.metadata.plugin_data.plugin_name
        elif v.HasField("histo"):
            h = v.histo
            d["histo"] = {"min": h.min, "max": h.max, "num": h.num, "sum": h.sum, "sum_squares": h.sum_squares,
                          "limits": list(h.bucket_limit), "counts": list(h.bucket)}
        else:
            d["value"] = v.simple_value
        vals.append(d)
    out.append({"step": e.step, "wall": e.wall_time, "version": e.file_version, "values": vals})
print(json.dumps(out))
`

func TestTensorBoardReadsBack(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import google.protobuf").Run(); err != nil {
		t.Skip("python3-protobuf is not installed (apt-get install python3-protobuf)")
	}
	store := runs.NewStore(t.TempDir())
	r, err := store.Create(runs.Info{Model: "cnn-s", Loss: "ce", Config: map[string]any{"model": "cnn-s", "lr": 0.001}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 300; i++ {
		if err := r.AppendHistory(i, map[string]float64{"loss": 1 / float64(i), "lr": 1e-3}); err != nil {
			t.Fatal(err)
		}
	}
	for ep := 1; ep <= 2; ep++ {
		e := map[string]any{"kind": "epoch", "epoch": ep, "step": 150 * ep, "t": "2026-11-29T10:00:00Z", "train_acc": 0.5, "train_weights_f1": 0.125,
			"val": map[string]any{"loss": 1.0, "accuracy": 0.5, "macro_f1": 0.25 * float64(ep), "tasks": map[string]any{"age": map[string]any{"macro_f1": 0.75}}}}
		if err := r.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	// One measured step's parameter norms.
	if err := r.Append(map[string]any{"kind": "step", "step": 120, "t": "2026-11-29T10:00:00Z", "loss": 1.0,
		"layers": []map[string]any{{"name": "conv1.weight", "n": 432, "w": 4.0, "g": 0.5, "u": 0.004,
			"q": []float64{-0.5, -0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3, 0.6}}}}); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(runs.StatusDone, nil); err != nil {
		t.Fatal(err)
	}
	path, err := TensorBoard(r.Dir, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", readEvents, path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	var evs []struct {
		Step    int64
		Wall    float64
		Version string
		Values  []struct {
			Tag    string
			Value  *float64
			Text   string
			Plugin string
			Histo  *struct {
				Min, Max, Num, Sum float64
				SumSquares         float64 `json:"sum_squares"`
				Limits, Counts     []float64
			}
		}
	}
	if err := json.Unmarshal(out, &evs); err != nil {
		t.Fatal(err, string(out))
	}
	if len(evs) != 2+300+2+1 || evs[0].Version != "brain.Event:2" {
		t.Fatalf("%d events, first %+v", len(evs), evs[0])
	}
	if v := evs[1].Values[0]; v.Tag != "settings" || v.Plugin != "text" || !strings.Contains(v.Text, `"model": "cnn-s"`) {
		t.Errorf("settings %+v", v)
	}
	last := evs[301]
	if last.Step != 300 || len(last.Values) != 2 || last.Values[0].Tag != "train/loss" || math.Abs(*last.Values[0].Value-1.0/300) > 1e-7 {
		t.Errorf("last step event %+v", last)
	}
	ep2 := evs[303]
	tags := map[string]float64{}
	for _, v := range ep2.Values {
		tags[v.Tag] = *v.Value
	}
	if ep2.Step != 300 || tags["val/macro_f1"] != 0.5 || tags["val/age_macro_f1"] != 0.75 || tags["train/accuracy"] != 0.5 || tags["val/macro_f1_training_weights"] != 0.125 || ep2.Wall < 1.7e9 {
		t.Errorf("epoch 2 event %+v", ep2)
	}
	lay := evs[304]
	tags = map[string]float64{}
	for _, v := range lay.Values {
		if v.Histo != nil {
			// The weights' spread as a histogram: a bucket between each
			// two percentiles with that share of the 432 values.
			h := v.Histo
			wantCounts := []float64{28.8576, 39.7008, 64.7136, 82.728, 82.728, 64.7136, 39.7008, 28.8576} // 432 × 6.68%, 9.19%, 14.98%, 19.15%, …
			if v.Tag != "layers/conv1.weight/weights" || h.Min != -0.5 || h.Max != 0.6 || h.Num != 432 || h.SumSquares != 16 ||
				!slices.Equal(h.Limits, []float64{-0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3, 0.6}) || len(h.Counts) != 8 {
				t.Errorf("the weights' histogram %s %+v", v.Tag, h)
				continue
			}
			for k, c := range h.Counts {
				if math.Abs(c-wantCounts[k]) > 1e-9 {
					t.Errorf("bucket %d holds %g, want %g", k, c, wantCounts[k])
				}
			}
			continue
		}
		tags[v.Tag] = *v.Value
	}
	if _, ok := tags["layers/conv1.weight/update_ratio"]; !ok || len(lay.Values) != 4 {
		t.Errorf("want three scalars and the histogram: %+v", lay.Values)
	}
	if lay.Step != 120 || tags["layers/conv1.weight/weight_norm"] != 4 || tags["layers/conv1.weight/grad_norm"] != 0.5 ||
		math.Abs(tags["layers/conv1.weight/update_ratio"]-0.001) > 1e-9 {
		t.Errorf("the layers event %+v", lay)
	}
}
