#!/usr/bin/env python3
"""Checks the floors of src/: a folder includes only folders on its own floor or below,
folders on one floor never include each other in a circle, and a front end never includes
another front end (README "Layout of the source").

Scans every `#include "folder/..."` (and `#include <folder/...>` naming a folder of src/)
in every file under src/ and prints each violation as
    src/file:line: <folder> (floor N) includes <folder> (floor M)
A folder of src/ that is not in FLOORS is an error too: give a new folder its floor here
and in the README. Files directly in src/ (main.cpp, version.h.in) stand above every floor.

Violations listed in the allowlist (default scripts/floors-allowlist.txt; one
"src/file: folder -> folder" a line) are tolerated until they are removed; an entry that no
longer occurs is an error too, so the list can only shrink.

Usage: scripts/check-floors.py [--root DIR] [--allowlist FILE]
Exit status: 0 clean, 1 violations (or stale allowlist entries), 2 usage error.
"""

import argparse
import os
import re
import sys

# The floor of every folder of src/, from the ground up (same table as the README).
FLOORS = {
    "util": 1,
    "stream": 2, "crypto": 2, "schedule": 2, "state": 2,
    "config": 3,
    "storage": 4,
    "catalog": 5,
    "pg": 6,
    "ops": 7,
    "notify": 8,
    "cli": 9, "bot": 9, "web": 9,
    "serve": 10,  # the long-running host: the scheduler, hosting the bot (and the web console)
}
# Front ends share the top floor but never include each other.
FRONT_ENDS = {"cli", "bot", "web"}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')


def describe(folder):
    return f"{folder} (floor {FLOORS[folder]})"


def scan(root):
    """Returns (errors, violations): errors are plain messages; violations map
    (file, from, to) -> the first "file:line: message" where it occurs."""
    src = os.path.join(root, "src")
    errors, violations, same_floor = [], {}, {}
    for entry in sorted(os.listdir(src)):
        if os.path.isdir(os.path.join(src, entry)) and entry not in FLOORS:
            errors.append(f"src/{entry}/: folder has no floor — add it to FLOORS in scripts/check-floors.py "
                          "and to the README's layout table")
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, root)
        parts = rel_dir.split(os.sep)
        if len(parts) < 2:
            continue  # src/main.cpp, src/version.h.in: above every floor
        own = parts[1]
        if own not in FLOORS:
            continue  # reported above
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            rel = os.path.join(rel_dir, name).replace(os.sep, "/")
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    lines = f.readlines()
            except OSError as e:
                errors.append(f"{rel}: cannot read: {e.strerror}")
                continue
            for number, line in enumerate(lines, 1):
                m = INCLUDE.match(line)
                if not m or "/" not in m.group(2):
                    continue
                bracket, target = m.group(1), m.group(2).split("/", 1)[0]
                if bracket == "<" and not os.path.isdir(os.path.join(src, target)):
                    continue  # a system or library header (<date/tz.h>, <openssl/evp.h>)
                where = f"{rel}:{number}"
                if target in (".", ".."):
                    errors.append(f"{where}: relative include \"{m.group(2)}\" — write it from src/ "
                                  "(\"folder/file.h\") so its floor can be checked")
                    continue
                if target not in FLOORS:
                    errors.append(f"{where}: includes \"{m.group(2)}\": {target}/ has no floor — add it to FLOORS "
                                  "in scripts/check-floors.py and to the README's layout table")
                    continue
                if target == own:
                    continue
                if FLOORS[target] > FLOORS[own]:
                    message = f"{where}: {describe(own)} includes {describe(target)}"
                elif own in FRONT_ENDS and target in FRONT_ENDS:
                    message = f"{where}: {describe(own)} includes {describe(target)}: front ends never include each other"
                else:
                    if FLOORS[target] == FLOORS[own]:
                        same_floor.setdefault((own, target), []).append((rel, where))
                    continue
                violations.setdefault((rel, own, target), message)
    # Folders on one floor may include each other, but never round in a circle.
    edges = {}
    for own, target in same_floor:
        edges.setdefault(own, set()).add(target)

    def reaches(start, goal):
        seen, todo = set(), [start]
        while todo:
            folder = todo.pop()
            if folder == goal:
                return True
            if folder not in seen:
                seen.add(folder)
                todo.extend(edges.get(folder, ()))
        return False

    for (own, target), places in sorted(same_floor.items()):
        if reaches(target, own):
            for rel, where in places:
                violations.setdefault((rel, own, target), f"{where}: {describe(own)} includes {describe(target)}, "
                                      f"which leads back to {own}: folders on one floor never include each other in a circle")
    return errors, violations


def read_allowlist(path):
    """Returns {(file, from, to): line number}, or raises ValueError naming the bad line."""
    allowed = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            m = re.fullmatch(r"(\S+):\s*([a-z_0-9]+)\s*->\s*([a-z_0-9]+)", text)
            if not m:
                raise ValueError(f"{path}:{number}: \"{text}\" is not \"src/file: folder -> folder\"")
            allowed[(m.group(1), m.group(2), m.group(3))] = number
    return allowed


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description="Check that src/ folders include only folders on their floor or below.")
    parser.add_argument("--root", default=os.path.dirname(here), help="the repository (default: this script's)")
    parser.add_argument("--allowlist", help="tolerated violations (default: ROOT/scripts/floors-allowlist.txt)")
    args = parser.parse_args()
    allowlist = args.allowlist or os.path.join(args.root, "scripts", "floors-allowlist.txt")
    if not os.path.isdir(os.path.join(args.root, "src")):
        print(f"check-floors: {args.root} has no src/ folder — pass the repository with --root", file=sys.stderr)
        return 2
    try:
        allowed = read_allowlist(allowlist) if os.path.exists(allowlist) else {}
    except ValueError as e:
        print(f"check-floors: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"check-floors: cannot read {allowlist}: {e.strerror}", file=sys.stderr)
        return 2

    errors, violations = scan(args.root)
    failed = list(errors)
    broken = [message for key, message in sorted(violations.items()) if key not in allowed]
    failed += broken
    stale = [key for key in allowed if key not in violations]
    for key in sorted(stale, key=lambda k: allowed[k]):
        failed.append(f"{os.path.relpath(allowlist, args.root)}:{allowed[key]}: \"{key[0]}: {key[1]} -> {key[2]}\" "
                      "no longer occurs — delete the line (the allowlist only shrinks)")
    for line in failed:
        print(line)
    tolerated = len(violations) - sum(1 for key in violations if key not in allowed)
    if broken:
        print("A folder includes only folders on its own floor or below (README \"Layout of the source\"): "
              "move what both need down to a floor both may include.")
    if failed:
        print(f"check-floors: {len(failed)} problem(s)")
        return 1
    print(f"check-floors: ok ({tolerated} allowlisted file(s) in {os.path.relpath(allowlist, args.root)} left to remove)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
