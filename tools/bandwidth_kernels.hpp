#pragma once
// Streaming loops that measure the memory roofline of the norm kernels: a
// norm reads its input once and writes its output once, like a copy. Each
// loop processes one contiguous range; threads are added by the caller.
#include <cstddef>

namespace normrt::bench {

struct BandwidthKernels {
  const char* isa;  // the vector width the loops use: "sse2", "avx2", "avx512", "generic"
  // dst[i] = src[i]: n floats read + n written.
  void (*copy)(const float* src, float* dst, std::size_t n);
  // The same with non-temporal (cache-bypassing) stores; dst 64-byte aligned.
  void (*nt_copy)(const float* src, float* dst, std::size_t n);
  // STREAM triad a[i] = b[i] + s * c[i]: 2n floats read + n written.
  void (*triad)(const float* b, const float* c, float* a, float s, std::size_t n);
};

// The widest loops this CPU and OS run (the hardware's limit, so the
// NORMRT_ISA cap does not apply).
const BandwidthKernels& bandwidth_kernels();

}  // namespace normrt::bench
