"""Bazel macros for BPF programs: bpf_program and bpf_skeleton.

    bpf_program(name = "atlas", src = "atlas.bpf.c", hdrs = [...])
        -> :atlas, the linked BPF object atlas.bpf.o (clang -target bpf, then
           `bpftool gen object`, which also strips DWARF)
    bpf_skeleton(name = "atlas_skel", bpf_object = ":atlas", skel_name = "atlas")
        -> cc_library with atlas.skel.h (`bpftool gen skeleton`), linked
           against libbpf 1.5

The object is built against the vmlinux.h of the sched_ext guest kernel
(@vmlinux, made by tools/setup.sh), that kernel's sched_ext BPF headers
(<scx/common.bpf.h>, @vmlinux//:scx_headers) and libbpf 1.5's BPF headers.
Tools are called by absolute path: /usr/sbin is not on the strict action
PATH.
"""

CLANG = "/usr/bin/clang-19"
BPFTOOL = "/usr/sbin/bpftool"

BPF_COPTS = [
    "-g",
    "-O2",
    "-target bpf",
    "-mcpu=v3",
    "-mlittle-endian",
    "-D__TARGET_ARCH_x86",
    "-Wall",
    "-Werror",
    "-Wno-compare-distinct-pointer-types",
    # vmlinux.h of 7.x has anonymous struct members: without this clang only
    # warns and drops them, silently changing struct layouts.
    "-fms-extensions",
    "-Wno-microsoft-anon-tag",
]

def bpf_program(name, src, hdrs = [], copts = [], visibility = None):
    native.genrule(
        name = name,
        srcs = [src] + hdrs + [
            "@vmlinux//:vmlinux.h",
            "@vmlinux//:scx_headers",
            "@libbpf//:bpf_headers",
            "//shared:intf_headers",
        ],
        outs = [name + ".bpf.o"],
        cmd = " && ".join([
            "%s %s -I. -I$$(dirname $(location @vmlinux//:vmlinux.h)) -Iexternal/libbpf/include -c $(location %s) -o $(@D)/%s.unlinked.o" %
            (CLANG, " ".join(BPF_COPTS + copts), src, name),
            "%s gen object $@ $(@D)/%s.unlinked.o" % (BPFTOOL, name),
            "rm -f $(@D)/%s.unlinked.o" % name,
        ]),
        visibility = visibility,
    )

def bpf_skeleton(name, bpf_object, skel_name, visibility = None):
    header = skel_name + ".skel.h"
    native.genrule(
        name = name + "_gen",
        srcs = [bpf_object],
        outs = [header],
        cmd = "%s gen skeleton $(location %s) name %s > $@" % (BPFTOOL, bpf_object, skel_name),
    )
    native.cc_library(
        name = name,
        hdrs = [header],
        deps = ["@libbpf"],
        visibility = visibility,
    )
