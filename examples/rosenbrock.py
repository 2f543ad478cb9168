"""MATLAB's dlfeval example: value and gradient of the Rosenbrock function at [-1, 2]."""
from minidl import dlarray, dlfeval, dlgradient


def rosenbrock(x):
    y = 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2
    return y, dlgradient(y, x)


if __name__ == "__main__":
    y, dydx = dlfeval(rosenbrock, dlarray([-1, 2]))
    print("y =", y)
    print("dydx =", dydx)
