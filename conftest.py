"""pytest configuration shared by the unit tests and nbval.

nbval compares the stream text of cells marked ``# NBVAL_CHECK_OUTPUT``. TensorFlow
can write C++ log lines to stderr in one environment and not in another (a kernel
started under pytest does not capture fd 2; JupyterLab's does), so stderr is never
compared: the documented nbval hook below skips it for every notebook.
"""


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)
