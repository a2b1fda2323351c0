"""Command-line front end: `pyutils slug`, `pyutils wrap`, `pyutils size`."""

import argparse
import os
import sys

from pyutils.fileio import file_size_human
from pyutils.text import slugify, wrap


def build_parser():
    parser = argparse.ArgumentParser(prog="pyutils", description="Small text and file helpers.")
    sub = parser.add_subparsers(dest="command", required=True)

    slug = sub.add_parser("slug", help="print a URL slug for the given title")
    slug.add_argument("title")
    slug.add_argument("--max-length", type=int, default=None)

    wrapper = sub.add_parser("wrap", help="wrap standard input to a width")
    wrapper.add_argument("--width", type=int, default=72)

    size = sub.add_parser("size", help="print human-readable sizes of files")
    size.add_argument("paths", nargs="+")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == "slug":
        print(slugify(args.title, max_length=args.max_length))
    elif args.command == "wrap":
        for line in wrap(sys.stdin.read(), width=args.width):
            print(line)
    elif args.command == "size":
        status = 0
        for path in args.paths:
            try:
                print(f"{file_size_human(os.path.getsize(path)):>10}  {path}")
            except OSError as error:
                print(f"pyutils: {path}: {error.strerror}", file=sys.stderr)
                status = 1
        return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
