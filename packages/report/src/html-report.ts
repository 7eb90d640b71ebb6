/** A figure of the report: its SVG (rendered), a file-name stem and a caption. */
export interface ReportFigure {
  /** Stem of the SVG file written beside the report (letters, digits, - and _). */
  id: string;
  title: string;
  svg: string;
  caption?: string;
}

/** A table of the report (small: rendered as HTML). */
export interface ReportTable {
  title: string;
  columns: string[];
  rows: (string | number)[][];
}

export interface ReportSection {
  title: string;
  /** Plain text paragraphs (escaped). */
  paragraphs?: string[];
  figures?: ReportFigure[];
  tables?: ReportTable[];
}

export interface ReportDocument {
  title: string;
  /** One line under the title: what ran, when. */
  subtitle?: string;
  sections: ReportSection[];
}

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f3b57;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.8}nav{padding:8px 32px;background:#eef2f6;font-size:14px}
nav a{margin-right:14px;color:#1f3b57}main{padding:8px 32px 48px;max-width:1200px}
section{margin-top:28px}h2{border-bottom:1px solid #ccd;padding-bottom:4px}
figure{display:inline-block;vertical-align:top;margin:12px 24px 12px 0;background:#fff;
border:1px solid #dde;padding:8px}figcaption{font-size:13px;color:#555;max-width:560px}
figure h3{font-size:15px;margin:0 0 6px}table{border-collapse:collapse;margin:12px 0;background:#fff}
td,th{border:1px solid #dde;padding:3px 8px;text-align:right;font-size:13px}th{background:#eef2f6}
td:first-child,th:first-child{text-align:left}`;

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const anchor = (title: string): string => title.toLowerCase().replace(/[^a-z0-9]+/g, '-');

function formatCell(v: string | number): string {
  if (typeof v === 'string') return escapeHtml(v);
  if (Number.isInteger(v)) return String(v);
  return Number.isFinite(v) ? v.toPrecision(4) : 'NA';
}

/**
 * One self-contained HTML page: inline CSS and inline SVG figures, no
 * script and no external reference, so it opens offline and in any browser.
 */
export function htmlReport(doc: ReportDocument): string {
  const nav = doc.sections
    .map((s) => `<a href="#${anchor(s.title)}">${escapeHtml(s.title)}</a>`)
    .join('');
  const sections = doc.sections.map((s) => {
    const paragraphs = (s.paragraphs ?? []).map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
    const tables = (s.tables ?? [])
      .map(
        (t) =>
          `<table><caption>${escapeHtml(t.title)}</caption><tr>${t.columns
            .map((c) => `<th>${escapeHtml(c)}</th>`)
            .join('')}</tr>${t.rows
            .map((r) => `<tr>${r.map((v) => `<td>${formatCell(v)}</td>`).join('')}</tr>`)
            .join('')}</table>`,
      )
      .join('\n');
    const figures = (s.figures ?? [])
      .map(
        (f) =>
          `<figure id="fig-${escapeHtml(f.id)}" class="chromflow-figure"><h3>${escapeHtml(f.title)}</h3>${f.svg}${
            f.caption ? `<figcaption>${escapeHtml(f.caption)}</figcaption>` : ''
          }</figure>`,
      )
      .join('\n');
    return `<section id="${anchor(s.title)}"><h2>${escapeHtml(s.title)}</h2>\n${paragraphs}\n${tables}\n${figures}</section>`;
  });
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.title)}</title><style>${STYLE}</style></head>
<body><header><h1>${escapeHtml(doc.title)}</h1>${doc.subtitle ? `<p>${escapeHtml(doc.subtitle)}</p>` : ''}</header>
<nav>${nav}</nav><main>
${sections.join('\n')}
</main></body></html>
`;
}
