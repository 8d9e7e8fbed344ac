"""A seeded mutator for the reader fuzz test: valid uploads (``fuzz_uploads``) changed the way real
exports and transfers break them, each change registering what its lines must still read as.

``mutated(fmt, seed, index)`` is case ``index`` of a campaign. It has its own random stream (one case
can be rebuilt alone), a first mutation taken in turn from the format's list (so every kind runs in a
short campaign; the encoding shifts by one from mutation to mutation and from turn to turn, so each
meets every encoding within three turns) and up to two more at random; line ends and truncation last.
"""

from __future__ import annotations

import random

from tests.loaders import mutate_formats, mutate_sheet, mutate_text
from tests.loaders.fuzz_uploads import Doc, Sheet, base_upload


def mutations(fmt: str) -> dict:
    """The mutations of a format by name (``none``/``x_none`` keep the upload valid)."""
    if fmt == "xlsx":
        return mutate_sheet.MUTATIONS
    own = mutate_formats.JSON_MUTATIONS if fmt == "ndjson" else mutate_formats.CSV_MUTATIONS
    return mutate_text.MUTATIONS | own


def mutated(fmt: str, seed: int, index: int) -> Doc | Sheet:
    """Case ``index`` of a campaign over ``fmt`` (ndjson, csv or xlsx)."""
    rng = random.Random(f"{seed}:{fmt}:{index}")
    table = mutations(fmt)
    names = list(table)
    upload = base_upload(rng, fmt, turn=index // len(names) + index % len(names))
    chosen = [names[index % len(names)], *rng.sample(names, rng.choice([0, 0, 1, 2]))]
    late = ("x_corrupt", *mutate_text.LATE)
    chosen = [n for n in chosen if n not in late] + sorted((n for n in chosen if n in late), key=late.index)
    for name in chosen:
        if table[name](upload, rng) is not False:
            upload.mutations.append(name)
    return upload
