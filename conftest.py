"""The suite's command-line switch; it sits here, at the root, because pytest reads options only from the
conftest files it loads before collecting (tests/conftest.py does the rest)."""


def pytest_addoption(parser):
    parser.addoption("--backend", choices=("numpy", "strict"), default="numpy",
                     help="numpy (default): the suite on host arrays; strict: on the strict CuPy stand-in "
                          "(minidl.testing_strict), as on a machine with a GPU")
