// Package jpegscale decodes baseline JPEG files at 1/8, 1/4 or 1/2 of
// their size, straight from the DCT coefficients: what a loader that
// trains at 64×64 needs from a 384×512 photo, at a fraction of the work of
// decoding every pixel and averaging them down.
//
// Each 8×8 block becomes k×k pixels (k = 1, 2 or 4): the pixels are the
// means of the block's (8/k)×(8/k) squares, computed from the block's k×k
// lowest-frequency coefficients (the higher ones are decoded past and
// left out, which is where the time goes in a full decode: the inverse
// DCT of every block, and every pixel's colour conversion). With k = 1 a
// pixel is its block's mean exactly; for k > 1 what the left-out
// frequencies add to a square's mean is left out too (a little sharpness
// at edges). libjpeg-turbo's scaled decoding (djpeg -scale) does the same
// with its own reduced IDCTs; chroma is upsampled by repetition, as Go's
// image/jpeg leaves it.
//
// It reads baseline and extended sequential Huffman-coded JPEGs of 8-bit
// samples, grayscale or YCbCr with any sampling factors that divide the
// largest, restart markers included. Anything else (progressive,
// arithmetic-coded, 12-bit, CMYK or Adobe RGB files, a size over the
// largest it scales to, or data it finds damaged) is ErrUnsupported or
// another error, and the caller decodes the file in full with image/jpeg:
// a damaged file is then reported by the decoder users know.
//
// Files: decode.go is Decode and the markers before the scan, huffman.go
// the bit reader and Huffman tables, scan.go the entropy-coded scan,
// reduce.go the reduced inverse DCT, colour.go the planes to RGB.
package jpegscale
