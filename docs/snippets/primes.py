"""Stateless work for a pool of worker processes (docs/stopping.md starts one)."""

import os


class Primes:
    def count(self, limit):
        """How many primes are below ``limit``: CPU-bound, and keeps nothing between calls."""
        sieve = bytearray([1]) * max(limit, 2)
        sieve[0] = sieve[1] = 0
        for n in range(2, int(limit**0.5) + 1):
            if sieve[n]:
                sieve[n * n :: n] = bytes(len(range(n * n, limit, n)))
        return sum(sieve[:limit])

    def crash(self):
        os._exit(3)  # stands for a worker that dies: a segfault, the OOM killer


primes = Primes()
