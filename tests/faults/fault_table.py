#!/usr/bin/python3
"""The fault table of docs/faults.md from the output of disk_faults.py (its
"TABLE | ..." lines), e.g. build/Testing/Temporary/LastTest.log:

    python3 tests/faults/fault_table.py build/Testing/Temporary/LastTest.log
"""
import sys


def main(paths):
    rows = []
    for path in paths:
        with open(path, errors="replace") as f:
            rows += [line.strip().split(" | ")[1:] for line in f if line.startswith("TABLE | ")]
    print("| verb | ranks | failing writes | failing rank | outcome | ranks that reported |")
    print("|---|---|---|---|---|---|")
    for verb, ranks, point, rank, outcome, reported in rows:
        print(f"| {verb} | {ranks} | `{point}` | {rank} | {outcome} | {reported} |")
    hangs = sum("hang" in row[4] for row in rows)
    idle = sum("no fault" in row[4] for row in rows)
    print(f"\n{len(rows) - idle} runs with a fault, {idle} where the failing rank writes no such "
          f"file; {hangs} hangs.")


if __name__ == "__main__":
    main(sys.argv[1:])
