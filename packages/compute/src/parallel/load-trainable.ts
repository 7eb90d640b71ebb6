import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ChromflowError } from '@chromflow/core';
import type { Trainable, TrainableFactory } from '../train/trainable.js';

/** A module specifier the worker and main thread can both import: file URLs and absolute paths. */
export function moduleUrl(module: string): string {
  if (module.startsWith('file:')) return module;
  if (isAbsolute(module)) return pathToFileURL(module).href;
  throw new ChromflowError(
    'PARAM',
    `The Trainable module '${module}' must be an absolute path or a file: URL.`,
    {
      field: 'module',
      found: module,
      hint: "Pass new URL('./my-model.js', import.meta.url).href.",
    },
  );
}

/** Imports `module` and builds the Trainable with its exported factory. */
export async function loadTrainable(
  module: string,
  factory: string,
  config: unknown,
  seed: number,
): Promise<Trainable> {
  const mod: Record<string, unknown> = (await import(
    /* @vite-ignore */ moduleUrl(module)
  )) as Record<string, unknown>;
  const make = mod[factory];
  if (typeof make !== 'function') {
    throw new ChromflowError(
      'PARAM',
      `The module ${module} does not export a Trainable factory named '${factory}'.`,
      {
        field: 'factory',
        expected: 'an exported function (config, seed) => Trainable',
        found: typeof make,
      },
    );
  }
  return await (make as TrainableFactory)(config, seed);
}
