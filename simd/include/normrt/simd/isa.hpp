#pragma once
// Instruction sets normrt has kernels for, what this CPU and OS support, and
// which one runs. Detection is our own (cpuid + xgetbv, getauxval): xsimd
// 8.1's detection misreads some bits and skips the OS-state (XCR0) check.
#include <ostream>
#include <string>
#include <vector>

namespace normrt {

enum class Isa { scalar, neon, avx2, avx512 };

// "scalar", "neon", "avx2", "avx512".
const char* isa_name(Isa isa);
// Prints the name (also what GoogleTest shows for an Isa parameter).
inline std::ostream& operator<<(std::ostream& os, Isa isa) { return os << isa_name(isa); }
// Parses an ISA name; throws normrt::Error naming `what` on an unknown name.
Isa parse_isa(const std::string& name, const char* what = "ISA");

struct CpuFeatures {
  bool sse2 = false, avx = false, avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512dq = false, avx512vl = false;
  bool os_avx = false;     // XCR0 enables YMM state
  bool os_avx512 = false;  // XCR0 enables opmask + ZMM state
  bool neon = false;
  std::string vendor;
  std::string brand;
};

// Detected once per process.
const CpuFeatures& cpu_features();

// ISAs with kernels in this build, best last.
const std::vector<Isa>& compiled_isas();
// True when the build has kernels for `isa` and the CPU + OS can run them.
bool cpu_supports(Isa isa);
// Why `isa` cannot run here (empty when it can): "not compiled in", "CPU lacks ...".
std::string isa_unavailable_reason(Isa isa);
// The NORMRT_ISA cap, if set (like ONEDNN_MAX_CPU_ISA). Throws normrt::Error when
// the variable names an unknown ISA or one this CPU cannot run.
const Isa* isa_cap();
// Compiled, runnable and within the cap; best last. Never empty (scalar).
std::vector<Isa> supported_isas();
// The best of supported_isas().
Isa best_isa();
// Throws normrt::Error unless `isa` is in supported_isas(); names the reason.
void require_isa(Isa isa);

}  // namespace normrt
