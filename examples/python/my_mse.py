"""An exec target for losscheck: mse_loss in numpy, forward and the gradients of input and target (reductions none,
mean, sum, torch's legacy flags, broadcasting); every other loss is answered `unsupported` by losscheck_protocol.
Audit: losscheck audit --target 'exec:/usr/bin/python3 examples/python/my_mse.py' --loss mse_loss (docs/ci.md)."""
import losscheck_protocol as lp


def mse_loss(case):  # L = (x - t)^2, reduced; dL/dx = 2 (x - t) g = -dL/dt, g the reduction's weight per element
    x, t = case.inputs["input"], case.inputs["target"]
    diff = x - t  # broadcasts as torch does; shapes that do not broadcast raise, which answers an error
    out, g = lp.reduce(diff * diff, case.reduction, case.grad_output)
    return out, {"input": lp.sum_to_shape(2 * diff * g, x.shape), "target": lp.sum_to_shape(-2 * diff * g, t.shape)}


lp.serve({"mse_loss": mse_loss})
