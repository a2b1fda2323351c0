"""Language detection: names, extensions, shebangs and the content heuristics."""

from __future__ import annotations

import pytest

from curate.languages import detect_language
from curate.languages.detect import interpreter_of


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("src/main.py", "Python"),
        ("pkg/types.pyi", "Python"),
        ("web/app.jsx", "JavaScript"),
        ("web/app.tsx", "TSX"),
        ("Main.java", "Java"),
        ("Program.cs", "C#"),
        ("lib/engine.cpp", "C++"),
        ("lib/engine.HPP", "C++"),
        ("core/list.c", "C"),
        ("cmd/server/main.go", "Go"),
        ("src/lib.rs", "Rust"),
        ("deploy.sh", "Shell"),
        ("README.md", "Markdown"),
        ("package.json", "JSON"),
        (".github/workflows/ci.yml", "YAML"),
        ("Cargo.toml", "TOML"),
        ("index.html", "HTML"),
        ("style.css", "CSS"),
        ("schema.sql", "SQL"),
        ("a/b/Makefile", "Makefile"),
        ("rules.mk", "Makefile"),
        ("Dockerfile", "Dockerfile"),
        ("docker/Dockerfile.prod", "Dockerfile"),
        ("CMakeLists.txt", "CMake"),
        ("Gemfile", "Ruby"),
        ("go.mod", "Go Module"),
        ("BUILD.bazel", "Starlark"),
        ("requirements.txt", "Pip Requirements"),
        ("notes.txt", "Text"),
        ("LICENSE", "Text"),
        (".bashrc", "Shell"),
        ("C:\\proj\\src\\main.rs", "Rust"),
        ("data.unknownext", None),
        ("noext", None),
        (".hidden", None),
    ],
)
def test_names_and_extensions(path: str, expected: str | None) -> None:
    assert detect_language(path) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("#!/usr/bin/env python3\n", "Python"),
        ("#!/usr/bin/python2.7\n", "Python"),
        ("#!/usr/bin/env -S node --experimental-modules\n", "JavaScript"),
        ("#!/bin/bash -e\n", "Shell"),
        ("#!/bin/sh\n", "Shell"),
        ("#!/usr/bin/env ruby\n", "Ruby"),
        ("#!/usr/bin/perl -w\n", "Perl"),
        ("#!/usr/bin/env Rscript\n", "R"),
        ("#! /usr/bin/env  php\n", "PHP"),
        ("#!/usr/bin/env weird-tool\n", None),
        ("no shebang here\n", None),
    ],
)
def test_shebang_for_files_without_known_extension(line: str, expected: str | None) -> None:
    assert detect_language("bin/tool", line + "body\n") == expected
    assert detect_language("cgi-bin/run.cgi", line) == expected


def test_interpreter_of_env_with_assignments() -> None:
    assert interpreter_of("#!/usr/bin/env LANG=C python3 -u\n") == "python3"
    assert interpreter_of("#!/usr/bin/env\n") is None


def test_extension_wins_over_shebang() -> None:
    assert detect_language("tool.py", "#!/bin/sh\n") == "Python"


C_HEADER = """#ifndef LIST_H
#define LIST_H
#include <stddef.h>
struct node { struct node *next; int value; };
size_t list_len(const struct node *head);
#endif
"""
CPP_HEADER = """#pragma once
#include <vector>
namespace geo {
class Shape {
 public:
  virtual ~Shape() = default;
  virtual double area() const = 0;
};
}  // namespace geo
"""
CPP_TEMPLATE_HEADER = """#pragma once
template <typename T>
T clamp(T v, T lo, T hi) { return v < lo ? lo : (v > hi ? hi : v); }
"""
OBJC_HEADER = """#import <Foundation/Foundation.h>
@interface Person : NSObject
@property (nonatomic, copy) NSString *name;
- (void)greet;
@end
"""


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (C_HEADER, "C"),
        (CPP_HEADER, "C++"),
        (CPP_TEMPLATE_HEADER, "C++"),
        (OBJC_HEADER, "Objective-C"),
        (None, "C"),
    ],
)
def test_dot_h(head: str | None, expected: str) -> None:
    assert detect_language("include/x.h", head) == expected


OBJC_IMPL = """#import "Person.h"
@implementation Person
- (void)greet {
    NSLog(@"Hello, %@", self.name);
}
@end
"""
MATLAB_FUNC = """function y = smooth(x, k)
% SMOOTH moving average of x over k samples
y = conv(x, ones(1, k) / k, 'same');
end
"""
MATLAB_SCRIPT = """x = linspace(0, 2*pi, 100);
y = sin(x);
plot(x, y);
"""


@pytest.mark.parametrize(
    ("head", "expected"),
    [(OBJC_IMPL, "Objective-C"), (MATLAB_FUNC, "MATLAB"), (MATLAB_SCRIPT, "MATLAB")],
)
def test_dot_m(head: str, expected: str) -> None:
    assert detect_language("src/file.m", head) == expected


PERL = """use strict;
use warnings;
my @items = qw(a b c);
foreach my $i (@items) { print "$i\\n"; }
"""
PROLOG = """:- module(family, [parent/2]).
parent(tom, bob).
grandparent(X, Z) :- parent(X, Y), parent(Y, Z).
"""
PROLOG_NO_DIRECTIVE = """% family facts
parent(tom, bob).
ancestor(X, Y) :- parent(X, Y).
"""


@pytest.mark.parametrize(
    ("head", "expected"),
    [(PERL, "Perl"), (PROLOG, "Prolog"), (PROLOG_NO_DIRECTIVE, "Prolog"), (None, "Perl")],
)
def test_dot_pl(head: str | None, expected: str) -> None:
    assert detect_language("lib/thing.pl", head) == expected


QT_TS = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context><name>MainWindow</name></context>
</TS>
"""
TYPESCRIPT = """import { Injectable } from '@angular/core';
export interface User { id: number; name: string }
export const greet = (u: User): string => `hi ${u.name}`;
"""


def test_dot_ts() -> None:
    assert detect_language("i18n/app_de.ts", QT_TS) == "XML"
    assert detect_language("src/user.ts", TYPESCRIPT) == "TypeScript"
    assert detect_language("src/user.ts") == "TypeScript"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("<?php\n$config = ['debug' => true];\n", "PHP"),
        ("#ifndef CONFIG_INC\n#define CONFIG_INC 1\n#endif\n", "C++"),
        ("%macro PRINT 1\n  mov eax, %1\n%endmacro\n", "Assembly"),
        ("{$IFDEF FPC}\n{$MODE DELPHI}\n{$ENDIF}\n", "Pascal"),
        ('<div class="footer">(c) 2024</div>\n', "HTML"),
        ("just some words\n", None),
    ],
)
def test_dot_inc(head: str, expected: str | None) -> None:
    assert detect_language("include/config.inc", head) == expected


VERILOG = """`timescale 1ns / 1ps
module counter(input clk, output reg [3:0] q);
  always @(posedge clk) q <= q + 1;
endmodule
"""
COQ = """Require Import Arith.
Theorem plus_0_r : forall n : nat, n + 0 = n.
Proof. intros n. induction n; simpl; auto. Qed.
"""
VLANG = """module main

fn main() {
    println('hello')
}
"""


@pytest.mark.parametrize(("head", "expected"), [(VERILOG, "Verilog"), (COQ, "Coq"), (VLANG, "V")])
def test_dot_v(head: str, expected: str) -> None:
    assert detect_language("rtl/top.v", head) == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("\\NeedsTeXFormat{LaTeX2e}\n\\ProvidesClass{thesis}[2020/01/01]\n", "TeX"),
        ('VERSION 1.0 CLASS\nBEGIN\n  MultiUse = -1\nEND\nAttribute VB_Name = "Foo"\n', "VBA"),
        ("public with sharing class AccountService {\n  public void run() {}\n}\n", "Apex"),
    ],
)
def test_dot_cls(head: str, expected: str) -> None:
    assert detect_language("src/Thing.cls", head) == expected


def test_other_shared_extensions() -> None:
    glsl = "#version 330 core\nout vec4 color;\nvoid main() { color = vec4(1.0); }\n"
    fsharp = "module Math\nlet square x = x * x\n"
    assert detect_language("shaders/blur.fs", glsl) == "GLSL"
    assert detect_language("src/Math.fs", fsharp) == "F#"
    assert detect_language("k.cl", "__kernel void add(__global float* a) { }\n") == "OpenCL"
    assert detect_language("k.cl", "(defun square (x) (* x x))\n") == "Common Lisp"
    assert detect_language("app.pp", "program Hello;\nbegin\n  writeln('hi');\nend.\n") == "Pascal"
    assert (
        detect_language("init.pp", "class nginx {\n  package { 'nginx': ensure => installed }\n}\n")
        == "Puppet"
    )
    assert detect_language("build/main.d", "main.o: main.c util.h \\\n  config.h\n") == "Makefile"
    assert detect_language("src/app.d", "module app;\nimport std.stdio;\nvoid main() {}\n") == "D"
    assert detect_language("qt/app.pro", "QT += core gui\nTARGET = app\n") == "QMake"
    assert detect_language("src/view.hh", "<?hh\nfunction f(): void {}\n") == "Hack"
    assert detect_language("src/view.hh", "#pragma once\nclass View {};\n") == "C++"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("template <typename T> struct Box { T v; };\n", "C++"),  # first line, no newline before
        ('extern "C" int legacy(void);\n', "C++"),
        ('#ifdef __cplusplus\nextern "C" {\n#endif\nint f(void);\n', "C"),
        ("int mystd::x;\n", "C"),  # not a word boundary before std::
        ("/* uses nullptr */ void *p = nullptr;\n", "C++"),
        ("int snullptr = 0;\n", "C"),
    ],
)
def test_header_heuristic_word_boundaries_and_first_line(head: str, expected: str) -> None:
    assert detect_language("include/x.h", head) == expected
