import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A checkpoint directory of another model (a GET model.json header, no
 * weights) under `dir`, for the XChrom stages' bad-input tests; returns it.
 */
export async function writeGetModelJson(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'model.json'),
    JSON.stringify({
      format: 'layers-model',
      modelTopology: { format: 'chromflow-get' },
      weightsManifest: [],
    }),
  );
  return dir;
}
