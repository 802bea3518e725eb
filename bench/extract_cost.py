"""What extraction costs on a folder, and a digest of every fact it produced.

    python -m bench.extract_cost FOLDER [--suffix .py] [--rounds 3] [--step 1]
    PYTHONPATH=<other daemon> python -m bench.extract_cost FOLDER ...   # the other build

Extracts every file with the suffix under FOLDER (`extract_facts`, as a parse worker
does: parse, queries, the language's hooks, chunks), `--rounds` times in one process,
and prints the CPU seconds of each round (the median first) and a SHA-256 over every
file's `FileFacts`, encoded with msgspec in path order. Two builds that extract alike
print the same digest: a check that a change to extraction left its output alone,
in seconds instead of a full index per build (`store_digest.py` checks the stores).
`--step N` takes every Nth file, for a quick look. The first round includes compiling
the queries. Module names are the paths with dots, which is all the digest needs.

CPU time on the shared machine drifts by 20 % and more between runs; alternate the
builds and compare medians, or count instructions under callgrind (`--rounds 2` minus
`--rounds 1` is one round without start-up), as `resolve_cost.py` describes.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time
from pathlib import Path

import msgspec

import kenning
from kenning.languages import LANGUAGES


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--suffix", default=".py", help="which files (.py)")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the files (3)")
    parser.add_argument("--step", type=int, default=1, help="every Nth file (1: all)")
    args = parser.parse_args()
    language = next((lang for lang in LANGUAGES if args.suffix in lang.suffixes), None)
    if language is None:
        parser.error(f"no language reads {args.suffix} files")
    files = sorted(
        f for f in args.folder.rglob(f"*{args.suffix}") if f.is_file() and ".kenning" not in f.parts
    )[:: args.step]
    sources = [(f.relative_to(args.folder).as_posix(), f.read_bytes()) for f in files]
    encoder = msgspec.msgpack.Encoder()
    seconds: list[float] = []
    digest = ""
    for _ in range(args.rounds):
        h = hashlib.sha256()
        spent = 0.0
        for rel, source in sources:
            module = rel.rpartition(".")[0].replace("/", ".")
            start = time.process_time()
            facts = language.extract_facts(rel, source, module)
            spent += time.process_time() - start
            h.update(encoder.encode(facts))
        seconds.append(spent)
        digest = h.hexdigest()[:16]
    lines = sum(source.count(b"\n") for _, source in sources)
    print(f"kenning: {Path(kenning.__file__).parent}")
    print(
        f"{len(sources)} files, {lines:,} lines: extraction CPU median "
        f"{statistics.median(seconds):.2f} s, rounds {' '.join(f'{s:.2f}' for s in seconds)}; "
        f"facts digest {digest}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
