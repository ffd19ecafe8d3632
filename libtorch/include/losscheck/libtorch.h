#pragma once
/// @file libtorch.h
/// LibTorch 1.13 as a target: each case is evaluated by ATen's loss functions exactly as torch.nn.functional calls
/// them (the Python-level argument handling of functional.py is reproduced here), and differentiated by autograd.

#include <memory>

#include "losscheck/case.h"
#include "losscheck/target.h"

namespace losscheck::libtorch {

/// Evaluates `c` with LibTorch; torch's exceptions become error results ("<loss>: <torch's message>").
loss_result evaluate(const loss_case& c);

/// The LibTorch target ("libtorch").
std::unique_ptr<target> make_target();

/// "1.13.1" etc.: the LibTorch version this was built against.
const char* version();

}  // namespace losscheck::libtorch
