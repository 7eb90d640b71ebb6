import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** True when `name` runs here; prints why a differential test is skipped otherwise. */
export function hasTool(name: string): boolean {
  const ok = spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
  if (!ok)
    console.warn(
      `skipping: ${name} is not installed (apt-get install ${name === 'bgzip' ? 'tabix' : name})`,
    );
  return ok;
}

/** stdout of a command as a string (throws on a non-zero exit). */
export function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { input, maxBuffer: 1 << 30, encoding: 'latin1' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'chromflow-genome-io-'));
}

/** A .tbi (inflated) as header + per-reference sorted bins and linear index. */
export function parseTbi(d: Uint8Array): unknown {
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  let p = 4;
  const i32 = () => ((p += 4), v.getInt32(p - 4, true));
  const u64 = () => ((p += 8), v.getBigUint64(p - 8, true).toString());
  const head = Array.from({ length: 8 }, i32);
  const names = new TextDecoder().decode(d.subarray(p, p + head[7]!));
  p += head[7]!;
  const refs = [];
  for (let r = 0; r < head[0]!; r++) {
    const bins: [number, string[]][] = [];
    const nBin = i32();
    for (let b = 0; b < nBin; b++) {
      const bin = ((p += 4), v.getUint32(p - 4, true));
      const n = i32();
      bins.push([bin, Array.from({ length: 2 * n }, u64)]);
    }
    bins.sort((a, b) => a[0] - b[0]);
    const nIntv = i32();
    refs.push({ bins, linear: Array.from({ length: nIntv }, u64) });
  }
  return { head, names, refs, rest: Array.from(d.subarray(p)) };
}
