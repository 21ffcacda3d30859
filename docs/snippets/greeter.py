"""A Python object for JavaScript to call (docs/quickstart.md starts it with startPythonWorker)."""

import comlink_py


class Greeter:
    def __init__(self):
        self.greeted = 0

    def greet(self, name):
        self.greeted += 1
        return f"Hello, {name}, from Python!"

    async def shout(self, name):  # coroutines are awaited before the answer goes back
        return self.greet(name).upper()


comlink_py.expose(Greeter())  # in a worker, the default endpoint is the worker itself
