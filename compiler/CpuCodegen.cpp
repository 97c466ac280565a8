//===- CpuCodegen.cpp - LLVM dialect to a host shared object --------------===//
//
// LLVM IR translation, packed entry points, optimization, object emission
// and linking for the CPU target.
//
//===----------------------------------------------------------------------===//

#include "compiler/CpuCodegen.h"

#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;
using namespace mlir::tessera;
namespace artifact = ::tessera::artifact;

/// Adds `void tessera_packed_<f>(void **args)` calling the C interface of
/// (renamed) `f`
/// with args[0..A) as argument descriptors and args[A] as the result area.
static LogicalResult addPackedEntry(llvm::Module &module,
                                    const artifact::FunctionDesc &sig) {
  llvm::Function *ciface =
      module.getFunction("_mlir_ciface_" + getInternalFunctionName(sig.name));
  if (!ciface || module.getNamedValue(sig.symbol))
    return failure();
  llvm::LLVMContext &ctx = module.getContext();
  llvm::Type *ptr = llvm::PointerType::getUnqual(ctx);
  auto *type =
      llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr}, false);
  auto *entry = llvm::Function::Create(type, llvm::Function::ExternalLinkage,
                                       sig.symbol, module);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", entry));
  llvm::Value *args = entry->getArg(0);
  auto load = [&](unsigned slot) -> llvm::Value * {
    llvm::Value *addr = b.CreateConstGEP1_64(ptr, args, slot);
    return b.CreateLoad(ptr, addr);
  };
  size_t numArgs = sig.args.size();
  bool hasResults = !sig.results.empty();
  if (ciface->arg_size() != numArgs + (hasResults ? 1 : 0))
    return failure();
  SmallVector<llvm::Value *> callArgs;
  if (hasResults)
    callArgs.push_back(load(numArgs));
  for (size_t i = 0; i < numArgs; ++i)
    callArgs.push_back(load(i));
  b.CreateCall(ciface, callArgs);
  b.CreateRetVoid();
  return success();
}

/// Defines `__truncsfbf2` (f32 -> bf16, round to nearest even, quiet NaN)
/// in the module: the x86 backend calls it for bf16 vector shuffles and
/// selects, and neither the runtime nor older libgcc versions provide it.
/// Written with integer operations only, so it never calls itself.
static void defineTruncSFBF2(llvm::Module &module) {
  if (llvm::Function *existing = module.getFunction("__truncsfbf2"))
    if (!existing->isDeclaration())
      return;
  llvm::LLVMContext &ctx = module.getContext();
  llvm::Type *f32 = llvm::Type::getFloatTy(ctx);
  llvm::Type *bf16 = llvm::Type::getBFloatTy(ctx);
  llvm::Type *i32 = llvm::Type::getInt32Ty(ctx);
  llvm::Type *i16 = llvm::Type::getInt16Ty(ctx);
  llvm::FunctionCallee callee = module.getOrInsertFunction(
      "__truncsfbf2", llvm::FunctionType::get(bf16, {f32}, false));
  auto *fn = llvm::cast<llvm::Function>(callee.getCallee());
  // External (kept by the optimizer for the backend) but not exported.
  fn->setLinkage(llvm::Function::ExternalLinkage);
  fn->setVisibility(llvm::GlobalValue::HiddenVisibility);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
  llvm::Value *x = fn->getArg(0);
  llvm::Value *bits = b.CreateBitCast(x, i32);
  llvm::Value *lsb = b.CreateAnd(b.CreateLShr(bits, 16), 1);
  llvm::Value *rounded =
      b.CreateAdd(bits, b.CreateAdd(b.getInt32(0x7fff), lsb));
  llvm::Value *isNan = b.CreateFCmpUNO(x, x);
  llvm::Value *result = b.CreateSelect(
      isNan, b.CreateOr(b.CreateLShr(bits, 16), b.getInt32(0x40)),
      b.CreateLShr(rounded, 16));
  b.CreateRet(b.CreateBitCast(b.CreateTrunc(result, i16), bf16));
}

std::string mlir::tessera::getHostCpuLevel() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  auto all = [&](std::initializer_list<const char *> names) {
    return llvm::all_of(names,
                        [&](const char *n) { return features.lookup(n); });
  };
  bool v2 = all({"cx16", "popcnt", "sse3", "sse4.1", "sse4.2", "ssse3"});
  bool v3 = v2 && all({"avx", "avx2", "bmi", "bmi2", "f16c", "fma", "lzcnt",
                       "movbe", "xsave"});
  bool v4 =
      v3 && all({"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"});
  return v4 ? "x86-64-v4" : v3 ? "x86-64-v3" : v2 ? "x86-64-v2" : "x86-64";
}

static std::unique_ptr<llvm::TargetMachine>
createHostMachine(std::string &error, unsigned optLevel) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  std::string triple = llvm::sys::getProcessTriple();
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(llvm::Triple(triple), error);
  if (!target)
    return nullptr;
  llvm::TargetOptions options;
  // Contract multiply-adds into FMA instructions (one rounding instead of
  // two: as accurate or more, and twice the throughput).
  options.AllowFPOpFusion = llvm::FPOpFusion::Fast;
  auto level = optLevel == 0   ? llvm::CodeGenOptLevel::None
               : optLevel == 1 ? llvm::CodeGenOptLevel::Less
               : optLevel == 2 ? llvm::CodeGenOptLevel::Default
                               : llvm::CodeGenOptLevel::Aggressive;
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      llvm::Triple(triple), getHostCpuLevel(), "", options, llvm::Reloc::PIC_,
      std::nullopt, level));
}

std::unique_ptr<llvm::Module>
mlir::tessera::translateForHost(ModuleOp module, llvm::LLVMContext &context,
                                ArrayRef<artifact::FunctionDesc> signatures,
                                unsigned optLevel) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);

  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context, "tessera");
  if (!llvmModule) {
    module.emitError() << "translation to LLVM IR failed";
    return nullptr;
  }
  for (const artifact::FunctionDesc &sig : signatures)
    if (failed(addPackedEntry(*llvmModule, sig))) {
      module.emitError() << "no C interface for @" << sig.name
                         << " after lowering";
      return nullptr;
    }
  // Only the packed entry points are exported: nothing in the object can
  // interpose on, or be interposed by, another library's symbols.
  for (llvm::Function &fn : *llvmModule)
    if (!fn.isDeclaration() && !fn.getName().starts_with("tessera_packed_"))
      fn.setLinkage(llvm::GlobalValue::InternalLinkage);
  for (llvm::GlobalVariable &global : llvmModule->globals())
    if (!global.isDeclaration())
      global.setLinkage(llvm::GlobalValue::InternalLinkage);
  defineTruncSFBF2(*llvmModule);

  std::string error;
  std::unique_ptr<llvm::TargetMachine> machine =
      createHostMachine(error, optLevel);
  if (!machine) {
    module.emitError() << "no LLVM target for the host: " << error;
    return nullptr;
  }
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(machine->getTargetTriple());

  // The LLVM optimization pipeline for the requested level.
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(machine.get());
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = optLevel == 0   ? llvm::OptimizationLevel::O0
                                  : optLevel == 1 ? llvm::OptimizationLevel::O1
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                                  : llvm::OptimizationLevel::O3;
  llvm::ModulePassManager mpm = optLevel == 0
                                    ? pb.buildO0DefaultPipeline(level)
                                    : pb.buildPerModuleDefaultPipeline(level);
  mpm.run(*llvmModule, mam);
  return llvmModule;
}

FailureOr<std::vector<char>> mlir::tessera::emitHostObject(ModuleOp diagAnchor,
                                                           llvm::Module &module,
                                                           unsigned optLevel) {
  std::string error;
  std::unique_ptr<llvm::TargetMachine> machine =
      createHostMachine(error, optLevel);
  if (!machine)
    return diagAnchor.emitError() << "no LLVM target for the host: " << error;
  llvm::SmallVector<char> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  if (machine->addPassesToEmitFile(pm, os, nullptr,
                                   llvm::CodeGenFileType::ObjectFile))
    return diagAnchor.emitError() << "the host target cannot emit objects";
  pm.run(module);
  return std::vector<char>(buffer.begin(), buffer.end());
}

FailureOr<std::vector<char>>
mlir::tessera::linkSharedObject(ModuleOp diagAnchor, ArrayRef<char> object) {
  llvm::ErrorOr<std::string> cc = llvm::sys::findProgramByName("cc");
  if (!cc)
    return diagAnchor.emitError()
           << "linking the CPU object needs a C compiler driver 'cc' on PATH "
              "(install build-essential)";
  // Private temporary files (created with mode 0600 and unique names).
  SmallString<128> objPath, soPath;
  int objFd;
  if (llvm::sys::fs::createTemporaryFile("tessera", "o", objFd, objPath) ||
      llvm::sys::fs::createTemporaryFile("tessera", "so", soPath))
    return diagAnchor.emitError() << "cannot create temporary files";
  llvm::scope_exit cleanup([&] {
    llvm::sys::fs::remove(objPath);
    llvm::sys::fs::remove(soPath);
  });
  {
    llvm::raw_fd_ostream os(objFd, /*shouldClose=*/true);
    os.write(object.data(), object.size());
  }
  // Every symbol the object uses must resolve (libc, libm) now, not when a
  // user loads it; its own calls bind to its own definitions.
  SmallVector<StringRef> argv = {*cc,
                                 "-shared",
                                 "-o",
                                 soPath,
                                 objPath,
                                 "-lm",
                                 "-Wl,-z,noexecstack",
                                 "-Wl,--no-undefined",
                                 "-Wl,-Bsymbolic"};
  std::string message;
  int rc =
      llvm::sys::ExecuteAndWait(*cc, argv, std::nullopt, {}, 0, 0, &message);
  if (rc != 0)
    return diagAnchor.emitError()
           << "linking the CPU object failed (" << *cc << " exited with " << rc
           << (message.empty() ? "" : ": ") << message << ")";
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> so =
      llvm::MemoryBuffer::getFile(soPath, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!so)
    return diagAnchor.emitError() << "cannot read the linked shared object";
  return std::vector<char>((*so)->getBufferStart(), (*so)->getBufferEnd());
}
