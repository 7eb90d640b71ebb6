import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Renders a Vega-Lite specification to an SVG string in this process (no
 * browser, no canvas: Vega's headless view). Data must be inline (`values`);
 * the loader is denied every URL, so a report never reaches the network.
 */
export async function renderVegaLite(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec).spec;
  const denyAll = vega.loader();
  denyAll.load = (uri: string): Promise<string> =>
    Promise.reject(new Error(`the report renders inline data only; refused to load ${uri}`));
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader: denyAll });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
