# Copyright 2025 Kenji Watanabe
# SPDX-License-Identifier: Apache-2.0
"""tinyzip: run-length encoding for byte strings."""

from tinyzip.rle import decode, encode

__all__ = ["decode", "encode"]
