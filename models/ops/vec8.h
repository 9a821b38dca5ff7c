// Shared by the cgo preambles of kernels_c.go and winograd_c.go (the
// openblas build): eight-lane float vectors with GCC's vector extensions
// (two SSE registers, or one AVX2 register in the clone built for it and
// picked at load time on x86-64).
#ifndef MASKDASH_VEC8_H
#define MASKDASH_VEC8_H

#include <stddef.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define KERNEL
#endif

typedef float v8f __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));

// LD and ST move eight floats at any alignment; HSUM adds the eight lanes
// in a fixed order. (Macros: GCC warns about functions passing 32-byte
// vectors by value.)
#define LD(p) ({ v8f v_; __builtin_memcpy(&v_, (p), sizeof v_); v_; })
#define ST(p, v) do { v8f v_ = (v); __builtin_memcpy((p), &v_, sizeof v_); } while (0)
#define HSUM(v) ((((v)[0] + (v)[1]) + ((v)[2] + (v)[3])) + (((v)[4] + (v)[5]) + ((v)[6] + (v)[7])))

#endif
