import { afterEach, describe, expect, it, vi } from 'vitest';
import { TtyReporter, etaText } from '../src/reporter.js';

/** A terminal stand-in that keeps everything written to it. */
function fakeTerminal(): { stream: NodeJS.WriteStream; text: () => string } {
  let written = '';
  const write = (chunk: string): boolean => ((written += chunk), true);
  return { stream: { columns: 200, write } as unknown as NodeJS.WriteStream, text: () => written };
}

describe('the live line on a terminal', () => {
  afterEach(() => vi.useRealTimers());

  it('ETA comes from the rate since the first report, so a resumed stage is not credited with its old epochs', () => {
    // Resumed at epoch 3 of 10; epoch 5 two minutes later → 1 min per epoch, 5 to go.
    expect(etaText({ at: 0, done: 3 }, 120_000, 5, 10)).toBe(', ETA 5 min 0 s');
    expect(etaText({ at: 0, done: 3 }, 120_000, 3, 10)).toBe(''); // no rate yet
    expect(etaText({ at: 0, done: 3 }, 120_000, 10, 10)).toBe(''); // finished
    expect(etaText({ at: 0, done: 0 }, 120_000, 5, undefined)).toBe(''); // no total
  });

  it("shows the stage's progress message (best so far) with an ETA", () => {
    vi.useFakeTimers({ now: 0, toFake: ['Date', 'setInterval', 'clearInterval'] });
    const term = fakeTerminal();
    const r = new TtyReporter(term.stream);
    r.start('train', 'models.xchrom-train', 'cpu');
    r.progress('train', 1, 4, 'epoch 1: val 0.7000 (best 0.7000 at epoch 1)');
    vi.setSystemTime(30_000);
    r.progress('train', 2, 4, 'epoch 2: val 0.6900 (best 0.6900 at epoch 2)');
    vi.advanceTimersByTime(300); // one redraw
    r.close();
    const out = term.text();
    expect(out).toContain('50% epoch 2: val 0.6900 (best 0.6900 at epoch 2), ETA 1 min 0 s');
  });
});
