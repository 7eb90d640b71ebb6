"""The 6-variable data of the lingam package's tutorials (docs/tutorial/lingam.rst and
evaluate_model_fit.rst in cdt15/lingam): numpy's legacy RandomState, seed 100. Writes
float64 samples x variables (row-major) to argv[1]."""
import sys

import numpy as np

np.random.seed(100)
x3 = np.random.uniform(size=1000)
x0 = 3.0 * x3 + np.random.uniform(size=1000)
x2 = 6.0 * x3 + np.random.uniform(size=1000)
x1 = 3.0 * x0 + 2.0 * x2 + np.random.uniform(size=1000)
x5 = 4.0 * x0 + np.random.uniform(size=1000)
x4 = 8.0 * x0 - 1.0 * x2 + np.random.uniform(size=1000)
np.array([x0, x1, x2, x3, x4, x5]).T.astype("<f8").tofile(sys.argv[1])
print("{}")
