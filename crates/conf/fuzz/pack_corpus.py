#!/usr/bin/env python3
"""Packs a minimised fuzz corpus into a few files for tests/fuzz_corpus (and back).

  pack_corpus.py pack DIR OUT_DIR [FILES]   inputs of DIR -> OUT_DIR/corpus-NN.pack (FILES packs, default 8)
  pack_corpus.py unpack OUT_DIR DIR         the packs back into single inputs (fuzzer seeds)

A pack is a sequence of inputs, each a 4-byte little-endian length and the bytes.
"""
import hashlib
import os
import struct
import sys


def pack(src, dst, n):
    names = sorted(os.listdir(src))
    os.makedirs(dst, exist_ok=True)
    for old in os.listdir(dst):
        if old.endswith(".pack"):
            os.remove(os.path.join(dst, old))
    packs = [bytearray() for _ in range(n)]
    for i, name in enumerate(names):
        data = open(os.path.join(src, name), "rb").read()
        packs[i % n] += struct.pack("<I", len(data)) + data
    for i, p in enumerate(packs):
        open(os.path.join(dst, "corpus-%02d.pack" % i), "wb").write(p)
    print("%d inputs in %d packs" % (len(names), n))


def unpack(src, dst):
    os.makedirs(dst, exist_ok=True)
    count = 0
    for name in sorted(os.listdir(src)):
        if not name.endswith(".pack"):
            continue
        b = open(os.path.join(src, name), "rb").read()
        i = 0
        while i + 4 <= len(b):
            (n,) = struct.unpack_from("<I", b, i)
            data = b[i + 4 : i + 4 + n]
            i += 4 + n
            open(os.path.join(dst, hashlib.sha1(data).hexdigest()), "wb").write(data)
            count += 1
    print("%d inputs" % count)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "pack":
        pack(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 8)
    elif len(sys.argv) == 4 and sys.argv[1] == "unpack":
        unpack(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
