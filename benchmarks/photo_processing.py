"""Benchmark of a photo's server-side processing (issue 16), before and after in the same run. Prints the median
of several runs for the 12 MP phone JPEG, a 48 MP JPEG (the 12 MP photo upscaled 2x, with its EXIF), the iPhone
HEIC and the browser-shrunk 1600 px JPEG, each with

* before: the pipeline as it was (JPEG draft, then always resampled to exactly the long side; the thumbnail
  from a copy of the photo), reproduced by setting the tolerance to 0 and the old thumbnail step;
* after: the DCT-native (or integer-reduced) size kept when within LONG_SIDE_TOLERANCE over the long side,
  the thumbnail resampled from the reduced photo.

Usage: python benchmarks/photo_processing.py [--runs 7] [--long-side 2000]
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOOD = ROOT.parent / "shared" / "data" / "uploads" / "good"
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from silabu.evidence import processing  # noqa: E402


def _old_thumbnail(photo: Image.Image, thumb_side: int) -> Image.Image:
    thumb = photo.copy()
    thumb.thumbnail((thumb_side, thumb_side), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return thumb


@contextmanager
def before():
    saved = processing.LONG_SIDE_TOLERANCE, processing._thumbnail
    processing.LONG_SIDE_TOLERANCE, processing._thumbnail = 0.0, _old_thumbnail
    try:
        yield
    finally:
        processing.LONG_SIDE_TOLERANCE, processing._thumbnail = saved


def photo_48mp() -> bytes:
    with Image.open(GOOD / "phone_12mp_gps.jpg") as src:
        exif = src.info.get("exif", b"")
        big = src.convert("RGB").resize((src.width * 2, src.height * 2), Image.Resampling.BICUBIC)
    out = io.BytesIO()
    big.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def median_ms(data: bytes, runs: int, long_side: int) -> tuple[float, processing.ProcessedFile]:
    times = []
    result = None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = processing.process_upload(data, "foto", max_bytes=40 * 2**20, max_pixels=60_000_000,
                                           long_side=long_side, thumb_side=320)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--long-side", type=int, default=2000)
    args = ap.parse_args()
    photos = [
        ("12 MP JPEG (4032x3024)", (GOOD / "phone_12mp_gps.jpg").read_bytes()),
        ("12 MP JPEG portrait, orientation 6", (GOOD / "phone_portrait_orient6.jpg").read_bytes()),
        ("48 MP JPEG (8064x6048)", photo_48mp()),
        ("HEIC iPhone (4032x3024)", (GOOD / "iphone.heic").read_bytes()),
        ("browser-shrunk JPEG (1600x1200)", (GOOD / "browser_compressed_1600.jpg").read_bytes()),
    ]
    print(f"== photo processing, server side, long side {args.long_side}, median of {args.runs} runs")
    print(f"{'photo':38s} {'before':>9s} {'after':>9s}  served before -> after")
    for name, data in photos:
        with before():
            old_ms, old = median_ms(data, args.runs, args.long_side)
        new_ms, new = median_ms(data, args.runs, args.long_side)
        print(f"{name:38s} {old_ms:7.0f} ms {new_ms:6.0f} ms  {old.width}x{old.height} {old.size // 1024} KB -> "
              f"{new.width}x{new.height} {new.size // 1024} KB")


if __name__ == "__main__":
    main()
