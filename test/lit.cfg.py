# -*- Python -*-
# lit configuration of the Tessera test suite.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "TESSERA"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.excludes = [
    "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs", "lit.local.cfg"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tessera_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(
    ("%tessera_examples", os.path.join(config.tessera_src_root, "examples")))
llvm_config.use_default_substitutions()

# Tools: Tessera's first, then LLVM 22's (never the older ones on PATH).
llvm_config.with_system_environment(["PATH"])
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.tessera_tools_dir, append_path=True)
tools = [
    ToolSubst("tessera-opt", unresolved="fatal"),
    ToolSubst("tessera-compile", unresolved="fatal"),
    ToolSubst("tessera-run", unresolved="fatal"),
]
llvm_config.add_tool_substitutions(tools, [config.tessera_tools_dir])
llvm_config.add_tool_substitutions(
    [ToolSubst("not"), ToolSubst("llvm-nm")], [config.llvm_tools_dir])

# Hardware features: GPU tests require `cuda` (and `sm_90` for Hopper
# kernels); PTX validation requires `ptxas`.
if config.has_ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", config.ptxas))
if config.has_cuda:
    config.available_features.add("cuda")
    if config.gpu_sm:
        config.available_features.add("sm_" + config.gpu_sm)
