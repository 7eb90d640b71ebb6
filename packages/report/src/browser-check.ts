import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ChromflowError } from '@chromflow/core';
import puppeteer from 'puppeteer-core';

/** What a headless browser saw of a report. */
export interface BrowserCheck {
  /** Console errors and uncaught page errors, in order. */
  errors: string[];
  /** Per figure: its id, drawn size in CSS pixels and number of SVG marks (paths, shapes, text). */
  figures: { id: string; width: number; height: number; marks: number }[];
}

/** Debian's and the common names of a Chromium/Chrome binary; `$CHROMIUM` first. */
export function findChromium(): string | undefined {
  const candidates = [
    process.env['CHROMIUM'],
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
  ];
  return candidates.find((c): c is string => Boolean(c) && existsSync(c!));
}

/**
 * Opens a report in headless Chromium (no network: the page must be
 * self-contained), records console errors, measures every
 * `figure.chromflow-figure`'s SVG, and saves a full-page screenshot.
 */
export async function checkReportInBrowser(
  htmlPath: string,
  screenshotPath: string,
  executablePath = findChromium(),
): Promise<BrowserCheck> {
  if (!executablePath)
    throw new ChromflowError('IO', 'no Chromium to open the report with', {
      expected: '/usr/bin/chromium (Debian package chromium) or $CHROMIUM',
    });
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e instanceof Error ? e.message : String(e)));
    // Any request other than the file itself means the report is not self-contained.
    await page.setRequestInterception(true);
    const url = pathToFileURL(htmlPath).href;
    page.on('request', (r) => {
      if (r.url() === url) void r.continue();
      else {
        errors.push(`the report requested ${r.url()}`);
        void r.abort();
      }
    });
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(url, { waitUntil: 'load' });
    // Runs in the page; a string keeps the DOM's types out of this Node compilation.
    const figures =
      (await page.evaluate(`[...document.querySelectorAll('figure.chromflow-figure')].map((n) => {
      const svg = n.querySelector('svg');
      const box = svg ? svg.getBoundingClientRect() : undefined;
      return {
        id: n.id,
        width: box ? box.width : 0,
        height: box ? box.height : 0,
        marks: svg ? svg.querySelectorAll('path, circle, rect, line, text').length : 0,
      };
    })`)) as BrowserCheck['figures'];
    await page.screenshot({ path: screenshotPath, fullPage: true });
    return { errors, figures };
  } finally {
    await browser.close();
  }
}
