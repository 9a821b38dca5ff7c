// Package pth reads the tensors of a PyTorch file, what torch.save writes
// of a state_dict (a model's named weights), such as torchvision's
// ImageNet weights (resnet18-f37072fd.pth): both of torch.save's formats,
// the zip archive (PyTorch 1.6 on) and the legacy stream, float32, float64,
// float16 and bfloat16 storages, any strides. A file's pickle is read by a
// small pickle machine of its own (pickle.go) that knows the opcodes
// torch.save writes and builds only dicts, lists, tuples, numbers, strings
// and tensors: it calls nothing a file names, so a file cannot run code
// here, as Python's pickle would let it.
package pth
