// Builds the optional native GEMM addon (native/blas-gemm.c → native/build/chromflow-blas.node)
// with the system C compiler against Node's headers and the machine's GEMM library: oneDNN
// (libdnnl.so.2; 1.5–3× OpenBLAS 0.3.21 here, docs/adr/0002) where present, else OpenBLAS.
// Never fails the package build: where a compiler, the headers or a GEMM library is missing it
// says which and exits 0, and chromflow keeps to its wasm kernels (`src/kernels/native-blas.ts`
// reports the choice). `node native/build.mjs [--quiet]`; CHROMFLOW_NATIVE=0 skips it; CC picks
// the compiler; CHROMFLOW_BLAS=openblas|onednn forces one library.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'build', 'chromflow-blas.node');
const say = (line) => console.log(`chromflow native BLAS: ${line}`);

function firstExisting(paths) {
  return paths.find((p) => existsSync(p));
}

function skip(why) {
  say(`not built (${why}); the wasm kernels will be used.`);
  process.exit(0);
}

if (process.env.CHROMFLOW_NATIVE === '0') skip('CHROMFLOW_NATIVE=0');
const cc = process.env.CC ?? 'cc';
try {
  execFileSync(cc, ['--version'], { stdio: 'ignore' });
} catch {
  skip(`no C compiler '${cc}'`);
}
// Node's own headers: beside the running binary (official tarballs) or Debian's nodejs-dev.
const nodeInclude = firstExisting([
  join(dirname(process.execPath), '..', 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
]);
if (nodeInclude === undefined || !existsSync(join(nodeInclude, 'node_api.h')))
  skip('no node_api.h (Debian: apt-get install libnode-dev)');
const multiarch = `${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
const blasDirs = [
  {
    inc: `/usr/include/${multiarch}/openblas-pthread`,
    lib: `/usr/lib/${multiarch}/openblas-pthread`,
  },
  {
    inc: `/usr/include/${multiarch}/openblas-openmp`,
    lib: `/usr/lib/${multiarch}/openblas-openmp`,
  },
  { inc: '/usr/include/openblas', lib: '/usr/lib64' },
  { inc: '/opt/homebrew/opt/openblas/include', lib: '/opt/homebrew/opt/openblas/lib' },
];
const wanted = process.env.CHROMFLOW_BLAS;
// oneDNN: the runtime library suffices (the C source declares dnnl_sgemm itself).
const dnnl =
  wanted === 'openblas'
    ? undefined
    : firstExisting([`/usr/lib/${multiarch}/libdnnl.so.2`, '/usr/local/lib/libdnnl.so.2']);
const openblas =
  wanted === 'onednn'
    ? undefined
    : blasDirs.find((d) => existsSync(join(d.inc, 'cblas.h')) && existsSync(d.lib));
let libraryArgs;
let library;
if (dnnl !== undefined) {
  library = `oneDNN ${dnnl}`;
  libraryArgs = ['-DCHROMFLOW_DNNL', dnnl, '-lgomp'];
} else if (openblas !== undefined) {
  library = `OpenBLAS ${openblas.lib}`;
  libraryArgs = [
    `-I${openblas.inc}`,
    `-L${openblas.lib}`,
    `-Wl,-rpath,${openblas.lib}`,
    '-lopenblas',
  ];
} else {
  skip(
    'no oneDNN (libdnnl.so.2) or OpenBLAS headers (Debian: apt-get install libdnnl2 or libopenblas-dev)',
  );
}
mkdirSync(join(here, 'build'), { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
// Built on the machine that runs it, so -march=native is safe and lets the fused
// element-wise loops use its widest vectors.
const args = [
  '-O3',
  '-march=native',
  '-fno-math-errno',
  '-shared',
  '-fPIC',
  '-Wall',
  '-Wextra',
  `-I${nodeInclude}`,
  join(here, 'blas-gemm.c'),
  join(here, 'fused.c'),
  join(here, 'conv1d.c'),
  '-o',
  tmp,
  ...libraryArgs,
  '-lm',
];
if (process.platform === 'darwin') args.push('-undefined', 'dynamic_lookup');
try {
  execFileSync(cc, args, { stdio: ['ignore', 'inherit', 'inherit'] });
} catch {
  skip(`${cc} failed (command: ${cc} ${args.join(' ')})`);
}
renameSync(tmp, out);
if (!process.argv.includes('--quiet')) say(`built ${out} (${cc}, ${library})`);
