// Package dataset reads image-classification data for maskdash: the mask
// competition layout, torchvision-style ImageFolder trees and IDX files
// (MNIST, Fashion-MNIST). It also splits, augments, samples and batches
// images, and draws the built-in synthetic mask set.
//
// The package imports only the standard library, golang.org/x/image and
// its own jpegscale (JPEGs decoded at a reduced size).
//
// Files: labels.go is the 18 classes and their three tasks, age_ranges.go
// ranges of ages a run's training may skip; mask.go,
// folder.go and idx.go read the three layouts (open.go picks one);
// set.go is a data set in memory, split.go its profile-level and random
// splits, stats.go its class counts, corrections.go the label
// corrections applied to it (--fix-labels), pseudo.go eval images labelled
// by another run's predictions (--pseudo-labels), task.go a set seen by
// one task (--task: mask, gender or age); augment.go and cutmix.go
// (CutMix's boxes, pasted between a batch's images), mixup.go (Mixup's
// blend of two images), erase.go (random erasing's box), sampler.go (balanced
// and weighted sampling) and loader.go (the batches, decoded by worker
// goroutines) feed the trainer; prepared_store.go keeps the prepared
// images on disk between runs (prepared_map_*.go maps them back);
// jpeg_scaled.go decodes JPEGs at a reduced size with jpegscale,
// jpeg_turbo.go with libjpeg-turbo (tag turbojpeg); synth.go and draw.go make the synthetic mask set.
package dataset
