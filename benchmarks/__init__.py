"""comlink_py's benchmarks against real JS Comlink, all measured in one run: ``python -m benchmarks``."""
