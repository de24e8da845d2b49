"""Markdown rendering of contributions on pathological inputs: time must grow linearly.

    .venv/bin/python bench/bench_markdown.py

Renders the portal's ``proposals.rendering.render_markdown`` (markdown-it-py + nh3) on inputs of
10k, 20k and 40k characters built from patterns that made Python-Markdown quadratic (``[``,
``![``, ``*a``, ``[a](``…), and the peer — Python-Markdown 3 with raw HTML disabled, as the
portal used it before — on 2.5k, 5k and 10k characters (larger inputs take minutes). Prints each
time, the growth ratio when the input doubles (≈ 2 is linear, ≈ 4 quadratic) and, at 10k
characters, the speed-up against the peer measured in the same run.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

PATTERNS = ["[", "![", "*a", "[a](", "<", "_a", "`a", "> a\n"]


def timed(fn, text, repeat):
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(text)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def peer_render(text):
    import markdown

    class NoRawHtml(markdown.Extension):
        def extendMarkdown(self, md):  # noqa: N802
            md.preprocessors.deregister("html_block")
            md.inlinePatterns.deregister("html")

    return markdown.markdown(text, extensions=[NoRawHtml()])


def main():
    from common import header

    header("bench_markdown")
    from proposals.rendering import render_markdown

    print(
        f"{'pattern':>8} | {'10k':>8} {'20k':>8} {'40k':>8} | x2 growth | "
        "peer 2.5k/5k/10k (s) | x2 growth | speed-up @10k"
    )
    for pattern in PATTERNS:
        ours = [timed(render_markdown, pattern * (n // len(pattern)), 3) for n in (10_000, 20_000, 40_000)]
        peer = [timed(peer_render, pattern * (n // len(pattern)), 1) for n in (2_500, 5_000, 10_000)]
        growth = statistics.mean([ours[1] / ours[0], ours[2] / ours[1]])
        peer_growth = statistics.mean([peer[1] / peer[0], peer[2] / peer[1]])
        print(
            f"{pattern!r:>8} | {ours[0]:8.3f} {ours[1]:8.3f} {ours[2]:8.3f} | {growth:9.2f} | "
            f"{peer[0]:6.2f} {peer[1]:6.2f} {peer[2]:6.2f} | {peer_growth:9.2f} | {peer[2] / ours[0]:8.0f}×"
        )


if __name__ == "__main__":
    main()
