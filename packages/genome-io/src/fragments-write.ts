import { writeFileAtomic } from '@chromflow/core';
import { bgzfFromBytes } from './bgzf.js';
import { fragmentsToText } from './fragments.js';
import type { Fragment } from './fragments.js';
import { tabixIndexFromBgzf } from './tabix-write.js';

/**
 * Writes 10x fragments (0-based half-open, in the given order) as bgzip text
 * with its tabix index `<path>.tbi`, both atomically. The records must already
 * be sorted by chromosome (contiguous) and start; otherwise UNSORTED is thrown
 * and nothing is written. `header` lines are written first, each prefixed `# `.
 */
export async function writeFragments(
  path: string,
  fragments: Iterable<Fragment>,
  options: { header?: readonly string[] } = {},
): Promise<void> {
  const head = (options.header ?? []).map((h) => `# ${h}\n`).join('');
  const { data } = bgzfFromBytes(new TextEncoder().encode(head + fragmentsToText(fragments)));
  const tbi = tabixIndexFromBgzf(data, path);
  await writeFileAtomic(path, data);
  await writeFileAtomic(`${path}.tbi`, tbi);
}
