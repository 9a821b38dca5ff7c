// Package training runs maskdash's training loop: losses, optimizers,
// learning-rate schedules, metrics, the trainer goroutine with its command
// channel and event hub, checkpoints, prediction and ensembles. It imports
// no UI code; a dashboard watches it through a Hub subscription.
//
// Files: trainer.go is the loop and command.go, events.go and hub.go
// its contract with the outside (commands in, events out, fanned out to
// subscribers without blocking; header.go the run's header as viewers
// show it); start.go prepares a run from a Config (config.go) and
// manager.go runs and replaces it (StartChecks, a sweep's checks of its
// trials' starts); loss.go, optim.go, schedule.go and metrics.go are the
// losses, optimizers, learning-rate schedules (plateau.go the plateau
// schedule's state), and macro F1 with the confusion matrix; clip.go
// clips the gradients' norm (--clip-grad); ema.go keeps the moving
// average of the weights that validation and checkpoints use (--ema); mix.go mixes training batches and their labels' losses, by
// CutMix (cutmix.go) or Mixup (mixup.go); valtrain.go has the last epochs
// train on the validation images too (--val-train); offsets.go fits class offsets
// for macro F1 (with f1tally.go, macro F1 kept up to date one image at a
// time), calibrate.go fits them for a run's checkpoint and
// calibrate_vote.go for a vote of runs (heldout.go, the held-out halves
// that judge offsets and a vote's weights); vote_validation.go scores a
// vote on the validation images its runs share and vote_weights.go fits
// a weighted vote by ensemble selection; embed.go and embed_run.go are a
// checkpoint's embeddings of the validation images, their projection and
// silhouettes (maskdash embed, the dashboard's projector); record.go
// writes a run's folder;
// checkpoint.go, predict.go (and ensembles; task_vote.go combines runs of
// one task each) and compare.go work on finished runs; control.go and
// remote.go steer a run from another process, tail.go and curves.go read
// one back; alert.go and notify.go are the alerts; sysstats.go,
// cputime_*.go, gpumem.go and crashwatch.go watch the process; lrfind.go
// is the learning-rate range test. Sweeps are subpackage sweep.
package training
