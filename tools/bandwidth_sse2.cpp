// The bandwidth loops compiled for sse2 (flags set in tools/CMakeLists.txt).
#define NORMRT_BW_ENTRY(name) name##_sse2
#include "bandwidth_loops.inl"
