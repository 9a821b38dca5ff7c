// Package serve serves maskdash's dashboard over SSH with wish: one Bubble
// Tea program per session, fed from the trainer's hub, with roles taken
// from the client's public key (operators steer, everyone else watches).
//
// Files: serve.go is the SSH server and its sessions; keys.go reads the
// authorised keys and gives each its role.
package serve
