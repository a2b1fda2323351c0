"""Detection mistakes found by ingesting real PyPI sdists and npm tarballs (docs/ingest.md,
"Checked on third-party archives"); every snippet here is written for the test."""

from __future__ import annotations

import pytest

from curate.languages import detect_language

MAN_PAGE = '.TH "WIDGET" "1" "May 2024"\n.SH NAME\nwidget \\- frobs things\n'
MAN_PAGE_COMMENT = '.\\" written by hand\n.TH WIDGET 1\n'
SOURCE_MAP = '{"version":3,"file":"widget.js","sources":["../src/widget.ts"],"mappings":"AAAA"}'
INI_CONF = "# settings for the doc builder\n\n[builder]\nprune: .\n"


@pytest.mark.parametrize(
    "path,head,expected",
    [
        # document files: any case, or with a suffix after '-' / '.'
        ("LICENSE-MIT", None, "Text"),
        ("LICENSE-APACHE", None, "Text"),
        ("LICENSE.apache2", None, "Text"),
        ("package/license", None, "Text"),
        ("debian/changelog", None, "Text"),
        ("Changelog", None, "Text"),
        ("COPYRIGHT", None, "Text"),
        ("CREDITS", None, "Text"),
        ("ACKNOWLEDGEMENTS", None, "Text"),
        ("PKG-INFO", None, "Text"),
        ("src/widget.egg-info/PKG-INFO", None, "Text"),
        ("MANIFEST.in", None, "Text"),
        # a known extension still wins over the document stem
        ("LICENSE.md", None, "Markdown"),
        ("CHANGES.rst", None, "reStructuredText"),
        # Cython sources and declarations
        ("msgpack/_packer.pyx", "cdef class Packer:\n    pass\n", "Cython"),
        ("msgpack/buff_converter.pxd", "cdef extern from *:\n    pass\n", "Cython"),
        # man pages
        ("man/widget.1", MAN_PAGE, "Roff"),
        ("docs/widget.8", MAN_PAGE_COMMENT, "Roff"),
        ("docs/widget.man", MAN_PAGE, "Roff"),
        # source maps are JSON
        ("dist/widget.js.map", SOURCE_MAP, "JSON"),
        ("dist/widget.min.css.map", '{\n  "version": 3,\n  "sources": []}', "JSON"),
        # INI-style .conf
        ("docs/builder.conf", INI_CONF, "INI"),
        # MSBuild / Visual Studio files
        ("msvc/widget.vcxproj.filters", '<?xml version="1.0"?>\n<Project/>\n', "XML"),
        ("debug/widget.natvis", "<AutoVisualizer/>\n", "XML"),
        (
            "msvc/widget.sln",
            "\nMicrosoft Visual Studio Solution File\n",
            "Microsoft Visual Studio Solution",
        ),
        ("docs/widget.dtd", "<!ELEMENT widget (#PCDATA)>\n", "DTD"),
        # a known extension after a `Name.` prefix wins: cargo-make's Makefile.toml is TOML
        ("Makefile.toml", '[tasks.build]\ncommand = "cargo"\n', "TOML"),
        ("docs/Makefile.docutils-update", "all:\n\ttrue\n", "Makefile"),
        ("Dockerfile.dev", "FROM alpine\n", "Dockerfile"),
        # template suffixes: detected by the rest of the name
        ("cmake/WidgetConfig.cmake.in", "@PACKAGE_INIT@\n", "CMake"),
        ("include/config.h.in", "#undef HAVE_WIDGET\n", "C"),
        ("phpunit.xml.dist", "<phpunit/>\n", "XML"),
        ("Makefile.in", "all:\n", "Makefile"),
    ],
)
def test_package_files(path, head, expected):
    assert detect_language(path, head) == expected


@pytest.mark.parametrize(
    "path,head",
    [
        ("linker.map", "Memory Configuration\n\nName Origin Length\n"),  # a linker map
        ("nginx.conf", "server {\n    listen 80;\n}\n"),  # not INI
        ("logs/run.1", "started at 12:00\n"),  # a numbered log, not a man page
        ("filters/ads.filters", "||ads.example^\n"),
        ("build", "cc -o widget widget.c\n"),  # lower-case build is not a Bazel BUILD file
        ("widget.in", "@VERSION@\n"),  # a template of nothing known
        ("licenses", None),  # only the stem before '-' / '.' counts
    ],
)
def test_ambiguous_names_stay_unknown(path, head):
    assert detect_language(path, head) is None


def test_shebang_beats_document_stem():
    assert detect_language("install", "#!/bin/sh\necho hi\n") == "Shell"
    assert detect_language("install", "copy the files by hand\n") == "Text"


CXX_ONLY_LINKAGE = """#ifndef CHECKS_H_
#define CHECKS_H_
#include <string.h>
extern "C" void Fatal(const char* file, int line, const char* format, ...);
static inline void Check(const char* file, int line, bool ok) {
  if (!ok) Fatal(file, line, "check failed");
}
#endif
"""
C_HEADER_WITH_GUARD = """#ifndef WIDGET_H
#define WIDGET_H
#ifdef __cplusplus
extern "C" {
#endif
int widget_count(void);
#ifdef __cplusplus
}
#endif
#endif
"""


def test_header_with_bare_extern_c_declaration_is_cpp():
    # `extern "C" <declaration>` outside a brace block only compiles as C++ ...
    assert detect_language("test/checks.h", CXX_ONLY_LINKAGE) == "C++"
    # ... while the usual `extern "C" {` guard keeps a C header C.
    assert detect_language("include/widget.h", C_HEADER_WITH_GUARD) == "C"
