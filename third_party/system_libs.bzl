"""Wraps Debian -dev libraries as cc_library targets (@system//:NAME).

Runs pkg-config locally when the repository is fetched (no network) and emits
one cc_library per package. Headers are in /usr/include, a system include
directory of the auto-configured toolchain.
"""

_PKGS = {
    "hwloc": ["hwloc"],
    "gtest": ["gtest"],
    "gtest_main": ["gtest_main"],
    "gmock": ["gmock"],
    "gmock_main": ["gmock_main"],
    "benchmark": ["benchmark"],
    "nlohmann_json": ["nlohmann_json"],
}

def _pkg_config(rctx, args):
    res = rctx.execute(["pkg-config"] + args)
    if res.return_code != 0:
        fail("pkg-config %s failed (run tools/setup.sh):\n%s" % (" ".join(args), res.stderr))
    out = res.stdout.strip()
    return out.split(" ") if out else []

def _system_libs_impl(rctx):
    build = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, mods in _PKGS.items():
        libs = _pkg_config(rctx, ["--libs"] + mods)
        defines = []
        for flag in _pkg_config(rctx, ["--cflags"] + mods):
            if flag.startswith("-D"):
                defines.append(flag[2:])  # defines propagate to dependents, copts don't
            elif flag in ("-I/usr/include", "-pthread"):
                pass
            else:
                fail("%s: unsupported pkg-config cflag %s" % (name, flag))
        build.append("cc_library(")
        build.append('    name = "%s",' % name)
        build.append("    linkopts = %s," % repr(libs))
        build.append("    defines = %s," % repr(defines))
        build.append(")")
        build.append("")
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)
    rctx.file("BUILD.bazel", "\n".join(build))

system_libs = repository_rule(
    implementation = _system_libs_impl,
    local = True,
    environ = ["PKG_CONFIG_PATH"],
)
