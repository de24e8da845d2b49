"""The élus of a council meeting (bench/bench_meeting.py): each simulated user opens the pages of
the mix in turn, from a random place in it, and reads each for 0.5–1.5 × THINK_MS."""

import os
import random

from bench_meeting import MIX, category
from locust import HttpUser, between, task

THINK = int(os.environ.get("THINK_MS", "1000")) / 1000


class Elu(HttpUser):
    wait_time = between(THINK / 2, THINK * 3 / 2)

    def on_start(self):
        self.i = random.randrange(len(MIX))

    @task
    def next_page(self):
        path = MIX[self.i % len(MIX)]
        self.i += 1
        self.client.get(path, name=category(path), headers={"Accept-Encoding": "gzip"})
