#!/usr/bin/env python3
"""mkdataset.py SEED FILES BYTES DIR — a backup data set in DIR, the same bytes for
the same SEED: FILES files in 1000 directories (100 x 10), BYTES bytes in all.
Mixed sizes: about 80% small (512 B - 32 KiB), 18% medium (32 - 256 KiB) and 2%
large (the rest of BYTES, 1 to 6 parts each, so a few MiB apiece). Half of the
small and medium files are text (compressible), the rest random bytes; every file
starts with its own header line, so no two files share content (restic would
deduplicate them). Used by bench/backup. Prints "files bytes text-bytes"."""

import os
import random
import sys


def main():
    seed, nfiles, total, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    rng = random.Random(seed)

    # Sizes first: the large files share what the others leave of BYTES.
    kinds, sizes, weights = [], [], []
    for _ in range(nfiles):
        u = rng.random()
        if u < 0.80:
            kinds.append("small"), sizes.append(rng.randint(512, 32 << 10))
        elif u < 0.98:
            kinds.append("medium"), sizes.append(rng.randint(32 << 10, 256 << 10))
        else:
            kinds.append("large"), sizes.append(0)
            weights.append(rng.uniform(1, 6))
    rest = total - sum(sizes)
    if not weights or rest < len(weights) << 20:
        sys.exit("mkdataset: BYTES too small for FILES files of these sizes")
    wsum, left, k = sum(weights), rest, 0
    for i, kind in enumerate(kinds):
        if kind == "large":
            k += 1
            sizes[i] = left if k == len(weights) else int(rest * weights[k - 1] / wsum)
            left -= sizes[i]

    # A text corpus to cut text files from: seeded pseudo-words, 4 MiB.
    letters = "etaoinshrdlucmfwypvbgkjqxz"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 9))) for _ in range(5000)]
    corpus = " ".join(rng.choice(words) for _ in range(700000)).encode()[: 4 << 20]

    text_bytes = 0
    for i in range(nfiles):
        d = os.path.join(out, "d%02d" % (i % 100), "s%d" % (i // 100 % 10))
        if i < 1000:
            os.makedirs(d, exist_ok=True)
        header = b"file %d of data set %d\n" % (i, seed)
        n = max(sizes[i] - len(header), 0)
        if kinds[i] != "large" and rng.random() < 0.5:
            off = rng.randrange(0, len(corpus) - n)
            body = corpus[off:off + n]
            text_bytes += len(header) + n
        else:
            body = rng.randbytes(n)
        with open(os.path.join(d, "f%05d.%s" % (i, kinds[i])), "wb") as f:
            f.write(header)
            f.write(body)
    print(nfiles, sum(max(s, 0) for s in sizes), text_bytes)


if __name__ == "__main__":
    main()
