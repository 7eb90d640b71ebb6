// Opens a report in headless Chromium and fails (exit 1) on a console error,
// a network request, or a figure drawn empty; saves a screenshot.
// Usage: check-report.ts <index.html> <screenshot.png>
import { resolve } from 'node:path';
import { checkReportInBrowser } from '../src/browser-check.js';

const [html, png] = process.argv.slice(2);
if (!html || !png) {
  console.error('usage: check-report.ts <index.html> <screenshot.png>');
  process.exit(2);
}
const seen = await checkReportInBrowser(resolve(html), resolve(png));
const empty = seen.figures.filter((f) => f.width < 50 || f.height < 50 || f.marks < 5);
for (const f of seen.figures)
  console.log(`${f.id}: ${Math.round(f.width)}×${Math.round(f.height)} px, ${f.marks} marks`);
for (const e of seen.errors) console.error(`console error: ${e}`);
for (const f of empty) console.error(`empty figure: ${f.id}`);
console.log(`${seen.figures.length} figures, ${seen.errors.length} errors; screenshot ${png}`);
process.exit(seen.errors.length > 0 || empty.length > 0 || seen.figures.length === 0 ? 1 : 0);
