#include <cstdlib>
#include <optional>

#include "normrt/error.hpp"
#include "normrt/simd/isa.hpp"

namespace normrt {
namespace {

int isa_rank(Isa isa) {
  switch (isa) {
    case Isa::scalar: return 0;
    case Isa::neon: return 1;
    case Isa::avx2: return 1;
    case Isa::avx512: return 2;
  }
  return 0;
}

bool compiled_in(Isa isa) {
  for (Isa c : compiled_isas()) {
    if (c == isa) return true;
  }
  return false;
}

// The parsed NORMRT_ISA, or the error it produced; computed once.
struct Cap {
  std::optional<Isa> isa;
  std::string error;
};

Cap read_cap() {
  Cap cap;
  const char* env = std::getenv("NORMRT_ISA");
  if (env == nullptr || *env == '\0') return cap;
  try {
    const Isa isa = parse_isa(env, "NORMRT_ISA");
    const std::string why = isa_unavailable_reason(isa);
    if (!why.empty()) {
      cap.error = std::string("NORMRT_ISA=") + env + " cannot be used: " + why;
    } else {
      cap.isa = isa;
    }
  } catch (const Error& e) {
    cap.error = e.what();
  }
  return cap;
}

const Cap& cap_state() {
  static const Cap cap = read_cap();
  return cap;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::scalar: return "scalar";
    case Isa::neon: return "neon";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
  }
  return "unknown";
}

Isa parse_isa(const std::string& name, const char* what) {
  for (Isa isa : {Isa::scalar, Isa::neon, Isa::avx2, Isa::avx512}) {
    if (name == isa_name(isa)) return isa;
  }
  throw Error(std::string(what) + ": unknown ISA '" + name +
              "' (expected one of scalar, avx2, avx512, neon)");
}

const std::vector<Isa>& compiled_isas() {
  static const std::vector<Isa> isas = {
      Isa::scalar,
#ifdef NORMRT_HAVE_NEON
      Isa::neon,
#endif
#ifdef NORMRT_HAVE_AVX2
      Isa::avx2,
#endif
#ifdef NORMRT_HAVE_AVX512
      Isa::avx512,
#endif
  };
  return isas;
}

std::string isa_unavailable_reason(Isa isa) {
  if (!compiled_in(isa)) {
    return std::string(isa_name(isa)) + " kernels are not compiled into this build";
  }
  const CpuFeatures& f = cpu_features();
  switch (isa) {
    case Isa::scalar:
      return {};
    case Isa::neon:
      return f.neon ? std::string() : "the CPU lacks Advanced SIMD (NEON)";
    case Isa::avx2:
      if (!(f.avx && f.avx2 && f.fma)) return "the CPU lacks AVX2 and FMA";
      if (!f.os_avx) return "the OS has not enabled AVX (YMM) state";
      return {};
    case Isa::avx512:
      if (!(f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl && f.fma)) {
        return "the CPU lacks AVX-512 F/BW/DQ/VL";
      }
      if (!f.os_avx512) return "the OS has not enabled AVX-512 (opmask/ZMM) state";
      return {};
  }
  return "unknown ISA";
}

bool cpu_supports(Isa isa) { return isa_unavailable_reason(isa).empty(); }

const Isa* isa_cap() {
  const Cap& cap = cap_state();
  if (!cap.error.empty()) throw Error(cap.error);
  return cap.isa ? &*cap.isa : nullptr;
}

std::vector<Isa> supported_isas() {
  const Isa* cap = isa_cap();
  std::vector<Isa> out;
  for (Isa isa : compiled_isas()) {
    if (!cpu_supports(isa)) continue;
    if (cap != nullptr && isa_rank(isa) > isa_rank(*cap)) continue;
    out.push_back(isa);
  }
  return out;
}

Isa best_isa() { return supported_isas().back(); }

void require_isa(Isa isa) {
  std::string why = isa_unavailable_reason(isa);
  if (why.empty()) {
    const Isa* cap = isa_cap();
    if (cap != nullptr && isa_rank(isa) > isa_rank(*cap)) {
      why = std::string("it is above the NORMRT_ISA=") + isa_name(*cap) + " cap";
    }
  }
  if (!why.empty()) {
    throw Error(std::string("ISA ") + isa_name(isa) + " cannot be used: " + why);
  }
}

}  // namespace normrt
