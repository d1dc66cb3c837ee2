#pragma once
// The norm adapters, one file per family; register_norm_kernels
// (norm_register.cpp) adds them all.
#include "kernels/kernel.hpp"

namespace normrt::rt::kern {

void register_batch_norm_kernels(KernelRegistry& r);  // norm_batch.cpp
void register_row_norm_kernels(KernelRegistry& r);    // norm_row.cpp: LN, RMS, Skip*
void register_group_norm_kernels(KernelRegistry& r);  // norm_group.cpp: GN, IN
void register_lrn_kernels(KernelRegistry& r);         // norm_lrn.cpp

}  // namespace normrt::rt::kern
